//! The system clock, read to the microsecond: the finest precision every store keeps,
//! so that what a use case answers equals what is read back later.

use chrono::SubsecRound;
use orders_core::domain::Timestamp;
use orders_core::ports::Clock;

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now().trunc_subsecs(6)
    }
}
