//! One property per parser of untrusted bytes: any input gives `Ok` or `Err`, never a panic.
//! See the crate documentation for the inputs and `FUZZ_CASES`.

mod acquirers;
mod carriers;
mod events;
mod forms;
mod gen;
mod pbx;
mod signatures;

use orderpath_wire::acquirer::Request;

/// "Now" for the parsers that compare times: 2026-11-24, near the fixtures' timestamps.
pub const NOW: i64 = 1_795_503_608;

/// An owned request to borrow a [`Request`] from.
#[derive(Debug, Clone, Default)]
pub struct Req {
    pub method: &'static str,
    pub rest: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn post(body: Vec<u8>) -> Req {
        Req {
            method: "POST",
            body,
            ..Req::default()
        }
    }

    pub fn get(query: Vec<(String, String)>) -> Req {
        Req {
            method: "GET",
            query,
            ..Req::default()
        }
    }

    pub fn rest(mut self, rest: &str) -> Req {
        rest.clone_into(&mut self.rest);
        self
    }

    pub fn param(mut self, name: &str, value: &str) -> Req {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn as_request(&self) -> Request<'_> {
        Request {
            method: self.method,
            rest: &self.rest,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}
