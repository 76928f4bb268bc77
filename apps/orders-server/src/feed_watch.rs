//! Long polling of the event feed: a request that found no event after its cursor
//! waits until the feed's head moves past it, or its wait ends. One task per server
//! reads the head every [`POLL_EVERY`] while at least one request waits (and never
//! otherwise), and wakes them all; so an event committed through any server of the
//! deployment is answered within about that long, and waiting requests cost the
//! database one cheap query per interval however many they are. Polling works through
//! any pooler, where `LISTEN`/`NOTIFY` would need a session of its own.

use orders_core::domain::FeedPosition;
use orders_core::usecases::Service;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How often the head is read while requests wait.
pub const POLL_EVERY: Duration = Duration::from_millis(200);

/// Watches the feed's head for waiting requests; cheap to clone.
#[derive(Clone)]
pub struct FeedWatch {
    inner: Arc<Inner>,
}

struct Inner {
    service: Service,
    head: watch::Sender<Option<FeedPosition>>,
    waiting: AtomicUsize,
    polling: AtomicBool,
    /// The longest a request may wait.
    longest_wait: Duration,
}

impl FeedWatch {
    /// Watches `service`'s feed, for waits of at most `longest_wait`. Nothing runs
    /// until a request first waits.
    pub fn new(service: Service, longest_wait: Duration) -> Self {
        let inner = Inner {
            service,
            head: watch::Sender::new(None),
            waiting: AtomicUsize::new(0),
            polling: AtomicBool::new(false),
            longest_wait,
        };
        Self { inner: Arc::new(inner) }
    }

    /// How long a request that asked to wait `wait` will wait at most.
    pub fn wait_for(&self, wait: Duration) -> Duration {
        wait.min(self.inner.longest_wait)
    }

    /// Waits until the feed's head is past `position`, or until `deadline`: whether it is.
    pub async fn wait_past(&self, position: FeedPosition, deadline: Instant) -> bool {
        if !self.inner.polling.swap(true, Ordering::AcqRel) {
            tokio::spawn(poll(Arc::downgrade(&self.inner)));
        }
        self.inner.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.inner);
        let mut head = self.inner.head.subscribe();
        let moved = head.wait_for(|head| head.is_some_and(|head| head > position));
        matches!(tokio::time::timeout_at(deadline, moved).await, Ok(Ok(_)))
    }
}

/// One request waiting, until dropped.
struct Waiting<'a>(&'a Inner);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Reads the head while requests wait, until the watch is dropped.
async fn poll(watch: Weak<Inner>) {
    let mut every = tokio::time::interval(POLL_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(inner) = watch.upgrade() else { return };
        if inner.waiting.load(Ordering::Acquire) == 0 {
            continue;
        }
        match inner.service.feed_head().await {
            Ok(head) => {
                inner.head.send_if_modified(|known| {
                    let moved = *known != head;
                    *known = head;
                    moved
                });
            }
            Err(error) => {
                tracing::warn!(cause = %crate::api::errors::cause_chain(&error), "cannot read the event feed's head")
            }
        }
    }
}
