//! shopify: replaced by the parser on its branch.

use super::{NoticeError, Request, ShopNotice};

/// Not read yet.
pub fn read(_request: &Request<'_>, _secret: &str) -> Result<ShopNotice, NoticeError> {
    Err(NoticeError::Malformed("not implemented".into()))
}
