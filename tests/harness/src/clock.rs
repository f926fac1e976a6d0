//! The wall clock guests see through `wasi:clocks/wall-clock` (what `SystemTime::now()` reads
//! inside a component). Production uses the system clock; tests pin it and move it by hand.
//! Clones share one time, so a test keeps a clone and moves the clock of a running app.
//! Nothing a request does can change it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime_wasi::HostWallClock;

/// A wall clock shared between a test and the app it drives.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    System,
    /// Nanoseconds since the Unix epoch.
    Fixed(AtomicU64),
}

impl Clock {
    /// The real system clock.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner::System),
        }
    }

    /// A clock standing still at `unix_seconds` until [`Clock::set`] or [`Clock::advance`].
    pub fn fixed(unix_seconds: u64) -> Self {
        Self {
            inner: Arc::new(Inner::Fixed(AtomicU64::new(
                unix_seconds.saturating_mul(1_000_000_000),
            ))),
        }
    }

    /// Moves a fixed clock to `unix_seconds`.
    ///
    /// # Panics
    /// On the system clock, which cannot be set.
    pub fn set(&self, unix_seconds: u64) {
        self.fixed_nanos()
            .store(unix_seconds.saturating_mul(1_000_000_000), Ordering::SeqCst);
    }

    /// Moves a fixed clock forward by `by`.
    ///
    /// # Panics
    /// On the system clock, which cannot be moved.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.fixed_nanos().fetch_add(nanos, Ordering::SeqCst);
    }

    /// The current time since the Unix epoch.
    pub fn now(&self) -> Duration {
        match &*self.inner {
            Inner::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            Inner::Fixed(n) => Duration::from_nanos(n.load(Ordering::SeqCst)),
        }
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        self.now().as_secs()
    }

    /// True for [`Clock::system`].
    pub fn is_system(&self) -> bool {
        matches!(&*self.inner, Inner::System)
    }

    fn fixed_nanos(&self) -> &AtomicU64 {
        match &*self.inner {
            Inner::Fixed(n) => n,
            Inner::System => panic!("the system clock cannot be set; use Clock::fixed"),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl HostWallClock for Clock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Clock::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_time() {
        let c = Clock::fixed(1_700_000_000);
        let other = c.clone();
        other.advance(Duration::from_secs(90));
        assert_eq!(c.unix_seconds(), 1_700_000_090);
        c.set(5);
        assert_eq!(other.now(), Duration::from_secs(5));
    }

    #[test]
    fn system_clock_is_real() {
        assert!(Clock::system().unix_seconds() > 1_600_000_000);
    }
}
