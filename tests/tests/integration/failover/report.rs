//! What each kill or switchover cost the failover test's clients: the seconds to the
//! first 201 of a request sent after it, the longest time with no order placed, the
//! 503s and when they came, the slowest answer; and which of the deployment's targets
//! an event missed (docs/deployment.md).

use super::load::Answer;

/// After an unplanned failover, the first order is placed within this many seconds.
const FAILOVER_FIRST_201_S: f64 = 30.0;
/// A planned switchover answers 503 for at most this many seconds.
const SWITCHOVER_503_S: f64 = 5.0;
/// No answer takes longer: the server's waits (3 s for a connection, 5 s for a
/// statement) with room to spare; a request that hangs would take the client's 40 s.
const SLOWEST_ANSWER_S: f64 = 10.0;

/// A kill or a switchover, and when it was done (Unix ms).
pub(super) struct Event {
    pub(super) name: String,
    pub(super) at: u64,
    /// A switchover asked for, rather than the loss of the primary.
    pub(super) planned: bool,
}

/// What clients met after each event, until the next.
pub(super) struct Report {
    pub(super) rows: Vec<Row>,
    answers: usize,
    acknowledged: usize,
}

pub(super) struct Row {
    name: String,
    planned: bool,
    /// Seconds from the event to the first 201 of a request sent after it.
    first_201: Option<f64>,
    /// 503 answers, and the seconds from the first to the last of them.
    unavailable: usize,
    unavailable_span: f64,
    /// The longest time between two 201s answered from the event to the next, in
    /// seconds: how long no order was placed.
    longest_gap: f64,
    /// Other answers that were retried: connection errors, 502/504 from HAProxy, 409 in use.
    other_retried: usize,
    /// The slowest answer, in seconds.
    slowest: f64,
    /// `(second after the event, 503s answered in it)`, for the seconds that had any.
    timeline: Vec<(u64, usize)>,
}

impl Report {
    pub(super) fn of(answers: &[Answer], events: &[Event]) -> Self {
        let rows = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let until = events.get(i + 1).map_or(u64::MAX, |next| next.at);
                let within: Vec<_> =
                    answers.iter().filter(|a| a.answered_ms >= event.at && a.answered_ms < until).collect();
                let seconds = |ms: u64| ms as f64 / 1000.0;
                let first_201 = within
                    .iter()
                    .filter(|a| a.status == 201 && a.sent_ms >= event.at)
                    .map(|a| a.answered_ms - event.at)
                    .min()
                    .map(seconds);
                let unavailable: Vec<_> = within.iter().filter(|a| a.status == 503).map(|a| a.answered_ms).collect();
                let mut placed: Vec<_> = answers
                    .iter()
                    .filter(|a| a.status == 201 && a.answered_ms < until)
                    .map(|a| a.answered_ms)
                    .collect();
                placed.sort_unstable();
                let from = placed.iter().rposition(|at| *at < event.at).unwrap_or(0);
                let longest_gap = placed[from..].windows(2).map(|pair| pair[1] - pair[0]).max().map_or(0.0, seconds);
                let mut timeline = std::collections::BTreeMap::new();
                for at in &unavailable {
                    *timeline.entry((at - event.at) / 1000).or_insert(0) += 1;
                }
                let span = match (unavailable.iter().min(), unavailable.iter().max()) {
                    (Some(first), Some(last)) => seconds(last - first),
                    _ => 0.0,
                };
                Row {
                    name: event.name.clone(),
                    planned: event.planned,
                    first_201,
                    unavailable: unavailable.len(),
                    unavailable_span: span,
                    longest_gap,
                    other_retried: within.iter().filter(|a| a.is_retried() && a.status != 503).count(),
                    slowest: within.iter().map(|a| seconds(a.answered_ms - a.sent_ms)).fold(0.0, f64::max),
                    timeline: timeline.into_iter().collect(),
                }
            })
            .collect();
        Self { rows, answers: answers.len(), acknowledged: answers.iter().filter(|a| a.status == 201).count() }
    }
}

impl Report {
    /// What each event missed of the targets: after a kill, the first 201 within
    /// [`FAILOVER_FIRST_201_S`]; after a switchover, 503s for at most
    /// [`SWITCHOVER_503_S`]; and no answer slower than [`SLOWEST_ANSWER_S`].
    pub(super) fn missed_targets(&self) -> Vec<String> {
        let mut missed = Vec::new();
        for row in &self.rows {
            match row.first_201 {
                None => missed.push(format!("{}: no order placed after it", row.name)),
                Some(s) if !row.planned && s > FAILOVER_FIRST_201_S => {
                    missed.push(format!("{}: first 201 after {s:.1} s", row.name));
                }
                Some(_) => {}
            }
            if row.planned && row.unavailable_span > SWITCHOVER_503_S {
                missed.push(format!("{}: 503s for {:.1} s", row.name, row.unavailable_span));
            }
            if row.slowest > SLOWEST_ANSWER_S {
                missed.push(format!("{}: an answer took {:.1} s", row.name, row.slowest));
            }
        }
        missed
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} answers, {} orders acknowledged (201)", self.answers, self.acknowledged)?;
        writeln!(
            f,
            "| event | first 201 after (s) | no 201 for (s) | 503s | 503s span (s) | other retried | slowest answer (s) |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|")?;
        for row in &self.rows {
            let first = row.first_201.map_or("none".to_owned(), |s| format!("{s:.1}"));
            writeln!(
                f,
                "| {} | {first} | {:.1} | {} | {:.1} | {} | {:.1} |",
                row.name, row.longest_gap, row.unavailable, row.unavailable_span, row.other_retried, row.slowest
            )?;
        }
        for row in &self.rows {
            let seconds: Vec<_> = row.timeline.iter().map(|(second, count)| format!("{second}s:{count}")).collect();
            writeln!(f, "503s by second after {}: {}", row.name, seconds.join(" "))?;
        }
        Ok(())
    }
}
