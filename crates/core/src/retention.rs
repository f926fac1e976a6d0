//! How long what the providers sent us is kept.
//!
//! Every notification leaves an idempotency record (`inbound_events`: its key, a digest of its
//! body and the answer it got) and payments and parcels keep the raw notification they came
//! in. Both hold payer data, so they are not kept forever: after the retention period the tick
//! deletes the idempotency records and clears the raw notifications, a small batch at a time.
//! What the events did — orders, payments, parcels, history, messages — stays.
//!
//! The idempotency record is what makes a redelivered event harmless, so the period can never
//! be shorter than the longest time a sender may still deliver an event again: Stripe retries
//! for 3 days and lets a shop resend any event of the last 30 days from its dashboard; Svix and
//! other Standard Webhooks senders retry for about 3 days. [`MIN_DAYS`] covers all of them.

/// The shortest retention period accepted, in days (the idempotency window).
pub const MIN_DAYS: u32 = 30;
/// The retention period when none is configured, in days.
pub const DEFAULT_DAYS: u32 = 90;
/// The longest retention period accepted, in days (ten years).
pub const MAX_DAYS: u32 = 3650;
/// Rows deleted or cleared per table per tick, so a tick never holds the write lock for long.
pub const BATCH: i64 = 500;

/// A retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Retention {
    /// Reads the `retention_days` setting: empty means [`DEFAULT_DAYS`]; otherwise a whole
    /// number of days from [`MIN_DAYS`] to [`MAX_DAYS`].
    pub fn parse(setting: &str) -> Result<Retention, String> {
        let setting = setting.trim();
        if setting.is_empty() {
            return Ok(Retention { days: DEFAULT_DAYS });
        }
        match setting.parse::<u32>() {
            Ok(days) if (MIN_DAYS..=MAX_DAYS).contains(&days) => Ok(Retention { days }),
            _ => Err(format!(
                "must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}: a shorter \
                 period would forget events their senders may still deliver again"
            )),
        }
    }

    /// The period in days.
    pub fn days(self) -> u32 {
        self.days
    }

    /// Records received before this time (Unix seconds) are past the period at `now`.
    pub fn cutoff(self, now: i64) -> i64 {
        now.saturating_sub(i64::from(self.days) * 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_ninety_days() {
        assert_eq!(Retention::parse("").map(Retention::days), Ok(DEFAULT_DAYS));
        assert_eq!(Retention::parse(" 45 \n").map(Retention::days), Ok(45));
    }

    #[test]
    fn a_period_shorter_than_the_providers_retries_is_refused() {
        for setting in ["0", "7", "29", "-90", "90.5", "ninety", "3651"] {
            let error = Retention::parse(setting).expect_err(setting);
            assert!(error.contains("30 to 3650"), "{setting}: {error}");
        }
        assert!(Retention::parse("30").is_ok());
        assert!(Retention::parse("3650").is_ok());
    }

    #[test]
    fn the_cutoff_is_the_period_before_now() {
        let retention = Retention::parse("30").expect("valid");
        assert_eq!(retention.cutoff(1_795_503_600), 1_795_503_600 - 30 * 86_400);
        assert_eq!(retention.cutoff(i64::MIN), i64::MIN);
    }
}
