//! Open connections: each one ended when it stalls, and all kept within a cap below the
//! process's file limit.
//!
//! A connection whose reads make no progress for the idle timeout is ended: a socket
//! that sends nothing, a request head or body that stops half-way, a keep-alive
//! connection left idle. The timer restarts with every byte read or written, so it also
//! ends a client that stops reading what it is sent; it ends a request whose handling
//! takes longer, so keep it above the store's timeouts. A request head must also arrive
//! whole within the head timeout of its first byte, so that a client trickling a byte at
//! a time cannot hold a connection either.
//!
//! A request refused below the application (by hyper, or by the idle timeout half-way
//! through its head or body) is answered with a problem and logged: see
//! [`refusals`](crate::refusals).
//!
//! Every accepted connection is registered, oldest first. When a new one would pass
//! the cap, the server makes room the way nginx reuses connections: it ends the oldest
//! connections that have not yet been answered anything (sockets that sent nothing, or
//! half a request, and hold a file descriptor), then, if that is not enough, the oldest
//! of the others. The new client is served at once, so a flood of silent sockets cannot
//! lock out a `/health` probe. Should accepting fail because the process is out of file
//! descriptors anyway, room is made the same way and accepting goes on.

use crate::refusals;
use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// File descriptors kept free beside the connection cap: the database's connections,
/// the SQLite files, logs.
pub const FILE_HEADROOM: u64 = 512;

/// The connection cap for a process whose file limit is `nofile`.
pub fn default_cap(nofile: u64) -> usize {
    usize::try_from(nofile.saturating_sub(FILE_HEADROOM).max(64)).unwrap_or(usize::MAX)
}

/// Raises this process's soft limit on open files to its hard limit; the soft limit now.
pub fn raise_file_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// How long a connection may go without a byte either way, and how long a request
/// head may take to arrive from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    pub idle: Duration,
    pub head: Duration,
}

/// An acceptor that keeps at most `cap` connections open and ends those that stall
/// (see the module's doc).
pub struct CappedAcceptor<A> {
    inner: A,
    registry: Arc<Registry>,
    timeouts: ConnectionTimeouts,
}

impl<A> CappedAcceptor<A> {
    pub fn new(inner: A, cap: usize, timeouts: ConnectionTimeouts) -> Self {
        let registry = Arc::new(Registry { cap: cap.max(1), open: Mutex::default(), next_id: AtomicU64::new(0) });
        Self { inner, registry, timeouts }
    }
}

struct Registry {
    cap: usize,
    /// Open connections by id; ids grow, so the first is the oldest.
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
}

/// What the registry knows of one open connection.
#[derive(Default)]
struct Connection {
    /// Whether the server has written anything to it (answered a request).
    answered: AtomicBool,
    /// Cancelled to end it.
    end: CancellationToken,
}

impl Registry {
    /// Registers a new connection, making room for it first if the cap is reached.
    fn admit(self: &Arc<Self>) -> (u64, Arc<Connection>) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let alive = open.values().filter(|c| !c.end.is_cancelled()).count();
        if alive >= self.cap {
            Self::end_oldest(&open, alive + 1 - self.cap);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection::default());
        open.insert(id, connection.clone());
        (id, connection)
    }

    /// Ends `count` open connections: the oldest never answered first, then the oldest.
    fn end_oldest(open: &BTreeMap<u64, Arc<Connection>>, count: usize) {
        let alive = || open.values().filter(|c| !c.end.is_cancelled());
        let unanswered: Vec<_> = alive().filter(|c| !c.answered.load(Ordering::Relaxed)).take(count).collect();
        let more = count - unanswered.len();
        for connection in unanswered {
            connection.end.cancel();
        }
        for connection in alive().take(more).collect::<Vec<_>>() {
            connection.end.cancel();
        }
    }

    fn make_room(&self, count: usize) {
        Self::end_oldest(&self.open.lock().unwrap_or_else(|e| e.into_inner()), count);
    }

    fn forget(&self, id: u64) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

/// Whether accepting failed because the process or system ran out of file descriptors.
fn out_of_files(error: &io::Error) -> bool {
    // EMFILE and ENFILE.
    matches!(error.raw_os_error(), Some(24 | 23))
}

impl<A: Acceptor> Acceptor for CappedAcceptor<A> {
    type Io = Capped<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            match self.inner.accept().await {
                Ok((io, local, remote, scheme)) => {
                    let (id, connection) = self.registry.admit();
                    let ended = Box::pin(connection.end.clone().cancelled_owned());
                    let registry = self.registry.clone();
                    let timeouts = self.timeouts;
                    let capped = Capped {
                        io,
                        id,
                        connection,
                        ended,
                        registry,
                        timeouts,
                        stalled: Box::pin(tokio::time::sleep(timeouts.idle)),
                        head: None,
                        remote: remote.clone(),
                        mid_request: false,
                        timed_out: false,
                        replacing: None,
                    };
                    return Ok((capped, local, remote, scheme));
                }
                Err(error) if out_of_files(&error) => {
                    tracing::warn!(%error, "out of file descriptors: ending the oldest connections");
                    self.registry.make_room(16);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// A connection the registry may end, and that ends itself when idle: its reads and
/// writes fail once it is ended.
pub struct Capped<Io> {
    io: Io,
    id: u64,
    connection: Arc<Connection>,
    ended: Pin<Box<WaitForCancellationFutureOwned>>,
    registry: Arc<Registry>,
    timeouts: ConnectionTimeouts,
    /// Ends the idle timeout after the last byte read or written.
    stalled: Pin<Box<tokio::time::Sleep>>,
    /// The request head arriving, until it is whole.
    head: Option<HeadArriving>,
    remote: RemoteAddr,
    /// Whether bytes were read since the last write: a request is arriving.
    mid_request: bool,
    /// Whether the idle timeout answered 408: nothing more is written.
    timed_out: bool,
    /// A problem answer being written in place of hyper's empty one.
    replacing: Option<Replacement>,
}

/// A problem answer written in place of what hyper wrote.
struct Replacement {
    answer: Vec<u8>,
    sent: usize,
    /// How many of hyper's bytes it stands for.
    stands_for: usize,
}

impl<Io> Capped<Io> {
    fn check_ended(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let ended = if self.connection.end.is_cancelled() { Poll::Ready(()) } else { self.ended.as_mut().poll(cx) };
        match ended {
            Poll::Ready(()) => Err(io::Error::new(io::ErrorKind::ConnectionAborted, "ended to make room")),
            Poll::Pending => Ok(()),
        }
    }

    /// What a read or write that moved no bytes answers: wait, unless the connection
    /// has been idle too long.
    fn unless_stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle past the timeout"))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed(&mut self) {
        let idle = self.timeouts.idle;
        self.stalled.as_mut().reset(tokio::time::Instant::now() + idle);
    }
}

impl<Io> Drop for Capped<Io> {
    fn drop(&mut self) {
        self.registry.forget(self.id);
    }
}

impl<Io: AsyncWrite + Unpin> Capped<Io> {
    /// Answers 408 to a request that stopped arriving, as far as the socket takes it
    /// now: a client that stalls may not be reading either.
    fn answer_timeout(&mut self, cx: &mut Context<'_>) {
        tracing::info!(remote = %self.remote, status = 408, "a request stopped arriving: answered 408 and closed");
        let _ = Pin::new(&mut self.io).poll_write(cx, &refusals::request_timeout());
        self.timed_out = true;
    }

    /// Writes the rest of the problem answer that stands for hyper's; once it is all
    /// written, tells hyper its own bytes were.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some(replacement) = self.replacing.as_mut() {
            if replacement.sent == replacement.answer.len() {
                let stands_for = replacement.stands_for;
                self.replacing = None;
                return Poll::Ready(Ok(stands_for));
            }
            match Pin::new(&mut self.io).poll_write(cx, &replacement.answer[replacement.sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(written)) => {
                    replacement.sent += written;
                    self.progressed();
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return self.unless_stalled(cx),
            }
        }
        Poll::Ready(Ok(0))
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for Capped<Io> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.check_ended(cx)?;
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(read) => {
                let fresh = &buf.filled()[before..];
                if !fresh.is_empty() {
                    if !self.mid_request {
                        self.head = Some(HeadArriving::since(Instant::now()));
                    }
                    self.mid_request = true;
                    if let Some(head) = self.head.as_mut() {
                        if head.whole_after(fresh) {
                            self.head = None;
                        } else if head.since.elapsed() > self.timeouts.head {
                            self.answer_timeout(cx);
                            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "head too slow")));
                        }
                    }
                }
                self.progressed();
                Poll::Ready(read)
            }
            Poll::Pending => {
                let stalled = self.unless_stalled(cx);
                if stalled.is_ready() && self.mid_request {
                    self.answer_timeout(cx);
                }
                stalled
            }
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Capped<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check_ended(cx)?;
        if self.timed_out {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "answered 408 already")));
        }
        self.connection.answered.store(true, Ordering::Relaxed);
        self.mid_request = false;
        if self.replacing.is_none()
            && let Some((status, answer)) = refusals::replacing_hyper_answer(buf)
        {
            let reason = status.canonical_reason().unwrap_or_default();
            tracing::info!(remote = %self.remote, status = status.as_u16(), "request refused before routing: {reason}");
            self.replacing = Some(Replacement { answer, sent: 0, stands_for: buf.len() });
        }
        if self.replacing.is_some() {
            return self.poll_replacement(cx);
        }
        match Pin::new(&mut self.io).poll_write(cx, buf) {
            Poll::Ready(written) => {
                self.progressed();
                Poll::Ready(written)
            }
            Poll::Pending => self.unless_stalled(cx),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A request head on its way: when its first byte came, and how much of the blank line
/// that ends it the last bytes were.
struct HeadArriving {
    since: Instant,
    matched: usize,
}

impl HeadArriving {
    const END: &[u8] = b"\r\n\r\n";

    fn since(since: Instant) -> Self {
        Self { since, matched: 0 }
    }

    /// Whether the head is whole once `bytes` arrived.
    fn whole_after(&mut self, bytes: &[u8]) -> bool {
        if self.matched > 0 {
            let rest = &Self::END[self.matched..];
            if bytes.starts_with(rest) {
                return true;
            }
            if rest.starts_with(bytes) {
                self.matched += bytes.len();
                return false;
            }
        }
        if memchr::memmem::find(bytes, Self::END).is_some() {
            return true;
        }
        self.matched = (1..Self::END.len()).rev().find(|&n| bytes.ends_with(&Self::END[..n])).unwrap_or(0);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_whole_at_its_blank_line_however_it_is_split() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 0..head.len() {
            let mut arriving = HeadArriving::since(Instant::now());
            let (first, rest) = head.split_at(split);
            assert!(arriving.whole_after(first) || arriving.whole_after(rest), "split at {split}");
        }
        let mut arriving = HeadArriving::since(Instant::now());
        assert!(!arriving.whole_after(b"GET / HTTP/1.1\r\nHost: x\r\n\r"));
        assert!(!HeadArriving::since(Instant::now()).whole_after(b"\r\r\n\r"));
        assert!(HeadArriving::since(Instant::now()).whole_after(b"\r\r\n\r\n"));
        let mut arriving = HeadArriving::since(Instant::now());
        assert!(!arriving.whole_after(b"GET / HTTP/1.1\r\n\r") && !arriving.whole_after(b"\r\n"));
        for pieces in [&[&b"x\r"[..], b"\n\r", b"\n"][..], &[b"x\r\n", b"\r", b"\n"], &[b"\r", b"\n", b"\r", b"\n"]] {
            let mut arriving = HeadArriving::since(Instant::now());
            let whole: Vec<bool> = pieces.iter().map(|piece| arriving.whole_after(piece)).collect();
            assert_eq!(whole.last(), Some(&true), "{pieces:?}");
            assert!(whole[..whole.len() - 1].iter().all(|w| !w), "{pieces:?}");
        }
    }

    fn registry(cap: usize) -> Arc<Registry> {
        Arc::new(Registry { cap, open: Mutex::default(), next_id: AtomicU64::new(0) })
    }

    #[test]
    fn at_the_cap_the_oldest_unanswered_connections_make_room_first() {
        let registry = registry(3);
        let (_, first) = registry.admit();
        let (_, second) = registry.admit();
        let (_, third) = registry.admit();
        first.answered.store(true, Ordering::Relaxed);
        let (_, fourth) = registry.admit();
        assert!(!first.end.is_cancelled(), "an answered connection is spared while unanswered ones remain");
        assert!(second.end.is_cancelled(), "the oldest unanswered one is ended");
        assert!(!third.end.is_cancelled() && !fourth.end.is_cancelled());
        third.answered.store(true, Ordering::Relaxed);
        fourth.answered.store(true, Ordering::Relaxed);
        registry.admit();
        assert!(first.end.is_cancelled(), "with none unanswered, the oldest goes");
    }

    #[test]
    fn a_forgotten_connection_frees_its_place() {
        let registry = registry(1);
        let (id, first) = registry.admit();
        registry.forget(id);
        registry.admit();
        assert!(!first.end.is_cancelled());
    }

    #[test]
    fn the_cap_leaves_room_for_the_database_and_logs() {
        assert_eq!(default_cap(1_048_576), 1_048_576 - 512);
        assert_eq!(default_cap(100), 64);
    }
}
