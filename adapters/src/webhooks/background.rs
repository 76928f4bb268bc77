//! The runtime deliveries are sent on: one thread of its own, at a lower scheduling
//! priority than the threads that answer requests. Sending a delivery (the HTTP
//! request, its TLS, the answer) costs about as much CPU as answering a request, and a
//! delivery can wait where a client cannot: under load, the CPU goes to answering first
//! and deliveries take what is left. Never starved: a thread [`NICENESS`] steps below
//! the others still gets about a tenth of a core that requests keep busy.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Handle};

/// How many nice steps the sending thread is below the process (Linux; nice values run
/// from -20 to 19, the lowest priority).
pub const NICENESS: i32 = 10;
/// The lowest priority there is.
const LOWEST: i32 = 19;

/// The sending runtime, started on first use and kept for the life of the process.
pub(super) fn sending() -> &'static Handle {
    static SENDING: OnceLock<Handle> = OnceLock::new();
    SENDING.get_or_init(|| lowered_runtime("webhook-sender").expect("a thread with a tokio runtime can be started"))
}

/// A current-thread runtime on a thread of its own named `name`, [`NICENESS`] steps
/// below the caller's priority, kept for the life of the process: its handle. The
/// benchmark's webhook receiver, a stand-in for an endpoint on another machine, runs on
/// one too.
pub fn lowered_runtime(name: &str) -> std::io::Result<Handle> {
    let runtime = Builder::new_current_thread().enable_all().build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        lower_priority();
        runtime.block_on(std::future::pending::<()>());
    })?;
    Ok(handle)
}

/// Lowers the calling thread's priority by [`NICENESS`]; elsewhere than on Linux (where
/// nice values are per process, not per thread) it keeps its priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let thread = Some(rustix::thread::gettid());
        let lowered =
            getpriority_process(thread).and_then(|now| setpriority_process(thread, (now + NICENESS).min(LOWEST)));
        if let Err(error) = lowered {
            tracing::warn!(%error, "webhook deliveries are sent at the same priority as requests");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn deliveries_are_sent_at_a_lower_priority_than_the_caller() {
        let caller = rustix::process::getpriority_process(None).unwrap();
        let sender = std::thread::spawn(|| {
            let (tell, told) = std::sync::mpsc::channel();
            sending()
                .spawn(async move { tell.send(rustix::process::getpriority_process(Some(rustix::thread::gettid()))) });
            told.recv().unwrap().unwrap()
        });
        assert_eq!(sender.join().unwrap(), (caller + NICENESS).min(LOWEST));
    }
}
