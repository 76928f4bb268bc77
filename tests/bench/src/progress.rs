//! Progress on stderr while the benchmark runs, drawn by indicatif: a line per database
//! (its runs done of those planned, and for how long it has run) and below it a bar for
//! the run under way (which run and slice, the seconds measured so far and those still
//! to measure; warm-ups and seeding are not measured time). indicatif draws nothing when
//! stderr is not a terminal; [`Progress::note`] then prints plain lines, as it does above
//! the bars on a terminal.

use indicatif::{HumanDuration, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    /// The line of the database being measured, if any.
    database: Arc<Mutex<Option<ProgressBar>>>,
}

impl Progress {
    pub fn stderr() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            database: Arc::new(Mutex::new(None)),
        }
    }

    /// Prints `line` on stderr, above the bars.
    pub fn note(&self, line: impl AsRef<str>) {
        self.suspend(|| eprintln!("{}", line.as_ref()));
    }

    /// Runs `f` with the bars taken off the screen, for anything else that writes to it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    /// The line of `database`, of which `runs` are planned; it is finished when dropped.
    pub fn database(&self, database: &str, runs: u64) -> DatabaseLine {
        let style =
            ProgressStyle::with_template("{spinner} {prefix:.bold} {pos}/{len} runs {elapsed_precise} {wide_msg}")
                .expect("a valid template");
        let bar = self.multi.add(ProgressBar::new(runs).with_style(style).with_prefix(database.to_owned()));
        if !self.multi.is_hidden() {
            bar.enable_steady_tick(TICK * 2);
        }
        *self.database.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
        DatabaseLine { bar, progress: self.clone() }
    }

    /// Shows what the database is doing between measured runs.
    pub fn doing(&self, what: impl Into<String>) {
        if let Some(line) = self.current() {
            line.set_message(what.into());
        }
    }

    /// A run called `what` that will measure for `measured` in all, as slices (see
    /// [`Run::slice`]); counted done on its database's line when dropped.
    pub fn run(&self, what: impl Into<String>, measured: Duration) -> Run {
        let what = what.into();
        let style = ProgressStyle::with_template("  {wide_msg} [{bar:30}] {measured}")
            .expect("a valid template")
            .with_key("measured", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let (pos, len) = (state.pos(), state.len().unwrap_or(0));
                let (pos, len, left) = (seconds(pos, len), seconds(len, len), seconds(len.saturating_sub(pos), len));
                let _ = write!(w, "{pos}/{len} s measured, {left} s to go");
            })
            .progress_chars("=> ");
        let length = u64::try_from(measured.as_millis()).unwrap_or(u64::MAX);
        let bar = self.multi.add(ProgressBar::new(length).with_style(style).with_message(what.clone()));
        if let Some(line) = self.current() {
            line.set_message(what.clone());
        }
        let clock = Arc::new(Mutex::new(Clock::default()));
        let ticker = (!self.multi.is_hidden()).then(|| Ticker::start(bar.clone(), clock.clone()));
        Run { what, bar, clock, ticker, database: self.current() }
    }

    fn current(&self) -> Option<ProgressBar> {
        self.database.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// `ms` in seconds, with a decimal when the whole (`of`) is under 10 s.
fn seconds(ms: u64, of: u64) -> String {
    let s = ms as f64 / 1000.0;
    if of < 10_000 { format!("{s:.1}") } else { format!("{s:.0}") }
}

/// A database's line; when dropped, it gives way to a note of how many runs it did in
/// how long.
pub struct DatabaseLine {
    bar: ProgressBar,
    progress: Progress,
}

impl Drop for DatabaseLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        self.progress.database.lock().unwrap_or_else(PoisonError::into_inner).take();
        let (done, planned) = (self.bar.position(), self.bar.length().unwrap_or(0));
        let took = HumanDuration(self.bar.elapsed());
        let database = self.bar.prefix();
        self.progress.note(if done >= planned {
            format!("{database}: {done} runs in {took}")
        } else {
            format!("{database}: stopped after {done} of {planned} runs, in {took}")
        });
    }
}

/// How much of a run has been measured.
#[derive(Debug, Default)]
struct Clock {
    /// The slices before the current one.
    done: Duration,
    /// The current slice: when its measured time starts, and how long it is.
    current: Option<(Instant, Duration)>,
}

impl Clock {
    fn measured(&self, now: Instant) -> Duration {
        let current =
            self.current.map_or(Duration::ZERO, |(from, length)| now.saturating_duration_since(from).min(length));
        self.done + current
    }
}

/// Moves a run's bar along its clock while the run goes on.
struct Ticker {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Ticker {
    fn start(bar: ProgressBar, clock: Arc<Mutex<Clock>>) -> Self {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                let measured = clock.lock().unwrap_or_else(PoisonError::into_inner).measured(Instant::now());
                bar.set_position(u64::try_from(measured.as_millis()).unwrap_or(u64::MAX));
            }
        });
        Self { stop, thread }
    }
}

/// A measured run: a bar under its database's line, cleared when dropped.
pub struct Run {
    what: String,
    bar: ProgressBar,
    clock: Arc<Mutex<Clock>>,
    ticker: Option<Ticker>,
    database: Option<ProgressBar>,
}

impl Run {
    /// The run's next slice, `label`: measured for `length` once `warmup` has passed.
    pub fn slice(&self, label: &str, warmup: Duration, length: Duration) {
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        clock.done = clock.measured(now);
        clock.current = Some((now + warmup, length));
        self.bar.set_message(if label.is_empty() { self.what.clone() } else { format!("{}, {label}", self.what) });
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.stop.send(());
            let _ = ticker.thread.join();
        }
        self.bar.finish_and_clear();
        if let Some(database) = &self.database {
            database.inc(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_only_measured_time_of_each_slice() {
        let start = Instant::now();
        let second = Duration::from_secs(1);
        let mut clock = Clock { done: Duration::ZERO, current: Some((start + second, 2 * second)) };
        assert_eq!(clock.measured(start), Duration::ZERO, "warming up");
        assert_eq!(clock.measured(start + 2 * second), second);
        assert_eq!(clock.measured(start + 10 * second), 2 * second, "never past the slice");
        clock.done = clock.measured(start + 10 * second);
        clock.current = Some((start + 10 * second, second));
        assert_eq!(clock.measured(start + 10 * second), 2 * second);
    }

    #[test]
    fn runs_work_without_a_terminal() {
        let progress =
            Progress { multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()), ..Progress::stderr() };
        let line = progress.database("SQLite", 1);
        {
            let run = progress.run("@8 connections", Duration::from_millis(20));
            run.slice("round 1/1, service", Duration::ZERO, Duration::from_millis(20));
            progress.note("a note goes to stderr");
        }
        assert_eq!(line.bar.position(), 1);
        drop(line);
        assert!(progress.current().is_none());
    }
}
