//! Limits per client address on what is worth guessing: failed logins (many e-mails
//! tried from one place) and registrations (which say whether an e-mail is taken).
//!
//! Each limit allows `limit` attempts per address within a window that starts at the
//! first attempt counted. An attempt takes its place before the work it guards, in one
//! step with the check, so concurrent requests cannot outrun the limit; the caller gives
//! the place back when the attempt turns out not to count (a login that succeeded, a
//! request the server failed). IPv6 addresses are limited by their /64, what one host
//! is usually given. The counts live in this process: with several servers, an address
//! gets the limit at each one it reaches.

use super::client_address::TrustedProxies;
use poem::Request;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses remembered by one limit; past it, windows that ended are forgotten,
/// and if none has, a new address goes unlimited rather than locking everyone out.
const MOST_ADDRESSES: usize = 100_000;

/// The limits of one server, and whose word it takes for a client's address.
pub struct AddressLimits {
    pub proxies: TrustedProxies,
    pub failed_logins: AddressLimit,
    pub registrations: AddressLimit,
}

impl AddressLimits {
    /// No limit at all (the document generator, which serves nothing).
    pub fn none() -> Self {
        Self {
            proxies: TrustedProxies::default(),
            failed_logins: AddressLimit::new(0, Duration::ZERO),
            registrations: AddressLimit::new(0, Duration::ZERO),
        }
    }

    /// The address `request` is limited under.
    pub fn address_of(&self, request: &Request) -> Option<IpAddr> {
        self.proxies.client_address(request)
    }
}

/// Refused: the address used up its attempts; the window ends in `retry_after_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts from your address; try again in {retry_after_seconds} seconds")]
pub struct AddressThrottled {
    pub retry_after_seconds: u64,
}

/// `limit` attempts per address per `window`; a limit of 0 limits nothing.
pub struct AddressLimit {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started_at: Instant,
    attempts: u32,
}

/// An attempt counted against an address; [`Attempt::give_back`] uncounts it.
#[must_use = "an attempt stays counted unless given back"]
pub struct Attempt<'a> {
    counted: Option<(&'a AddressLimit, IpAddr, Instant)>,
}

impl Attempt<'_> {
    /// `outcome`, with this attempt left counted if `counts` says the outcome is one the
    /// limit is about, and given back otherwise.
    pub fn settle<T, E>(self, outcome: Result<T, E>, counts: impl FnOnce(&Result<T, E>) -> bool) -> Result<T, E> {
        if !counts(&outcome) {
            self.give_back();
        }
        outcome
    }

    /// Uncounts this attempt: it turned out not to be one the limit is about.
    pub fn give_back(self) {
        let Some((limit, key, started_at)) = self.counted else { return };
        let mut windows = limit.windows.lock().expect("no panic while the lock is held");
        if let Some(window) = windows.get_mut(&key).filter(|window| window.started_at == started_at) {
            window.attempts = window.attempts.saturating_sub(1);
        }
    }
}

impl AddressLimit {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `address` (none: the request did not come over IP, and is
    /// not limited), or refuses it when the address has no attempt left.
    pub fn take(&self, address: Option<IpAddr>) -> Result<Attempt<'_>, AddressThrottled> {
        self.take_at(address, Instant::now())
    }

    fn take_at(&self, address: Option<IpAddr>, now: Instant) -> Result<Attempt<'_>, AddressThrottled> {
        let Some(key) = address.filter(|_| self.limit > 0).map(host_of) else {
            return Ok(Attempt { counted: None });
        };
        let mut windows = self.windows.lock().expect("no panic while the lock is held");
        if windows.len() >= MOST_ADDRESSES && !windows.contains_key(&key) {
            windows.retain(|_, window| now.duration_since(window.started_at) < self.window);
            if windows.len() >= MOST_ADDRESSES {
                tracing::warn!(addresses = windows.len(), "address limit full: not limiting a new address");
                return Ok(Attempt { counted: None });
            }
        }
        let fresh = Window { started_at: now, attempts: 0 };
        let window = windows.entry(key).or_insert(fresh);
        if now.duration_since(window.started_at) >= self.window {
            *window = fresh;
        }
        if window.attempts >= self.limit {
            let ends_in = self.window.saturating_sub(now.duration_since(window.started_at));
            return Err(AddressThrottled { retry_after_seconds: ends_in.as_secs_f64().ceil().max(1.0) as u64 });
        }
        window.attempts += 1;
        Ok(Attempt { counted: Some((self, key, window.started_at)) })
    }
}

/// What one host is limited as: an IPv4 address, or an IPv6 address's /64.
fn host_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn an_address_gets_its_limit_per_window_and_others_are_not_affected() {
        let limit = AddressLimit::new(2, MINUTE);
        let start = Instant::now();
        let _ = limit.take_at(ip("198.51.100.7"), start).unwrap();
        let _ = limit.take_at(ip("198.51.100.7"), start + Duration::from_secs(10)).unwrap();
        let refused = limit.take_at(ip("198.51.100.7"), start + Duration::from_secs(20)).err();
        assert_eq!(refused, Some(AddressThrottled { retry_after_seconds: 40 }));
        assert!(limit.take_at(ip("198.51.100.8"), start + Duration::from_secs(20)).is_ok());
        assert!(limit.take_at(ip("198.51.100.7"), start + MINUTE).is_ok(), "a new window");
    }

    #[test]
    fn an_attempt_given_back_does_not_count() {
        let limit = AddressLimit::new(1, MINUTE);
        let now = Instant::now();
        limit.take_at(ip("198.51.100.7"), now).unwrap().give_back();
        let _ = limit.take_at(ip("198.51.100.7"), now).unwrap();
        assert!(limit.take_at(ip("198.51.100.7"), now).is_err());
    }

    #[test]
    fn one_ipv6_host_is_its_slash_64() {
        let limit = AddressLimit::new(1, MINUTE);
        let now = Instant::now();
        let _ = limit.take_at(ip("2001:db8:1:2::1"), now).unwrap();
        assert!(limit.take_at(ip("2001:db8:1:2:ffff::9"), now).is_err());
        assert!(limit.take_at(ip("2001:db8:1:3::1"), now).is_ok());
    }

    #[test]
    fn no_address_or_no_limit_is_never_refused() {
        let none = AddressLimit::new(0, MINUTE);
        let one = AddressLimit::new(1, MINUTE);
        for _ in 0..3 {
            let _ = none.take(ip("198.51.100.7")).unwrap();
            let _ = one.take(None).unwrap();
        }
    }

    #[test]
    fn concurrent_attempts_cannot_outrun_the_limit() {
        let limit = AddressLimit::new(5, MINUTE);
        let taken = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..64).map(|_| scope.spawn(|| limit.take(ip("198.51.100.7")).is_ok())).collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).filter(|taken| *taken).count()
        });
        assert_eq!(taken, 5);
    }
}
