//! CPU time from /proc: utime + stime of a process (all its threads) or of the calling
//! thread, in clock ticks (`getconf CLK_TCK`, read once), and CPU per order from it.

use std::process::Command;
use std::sync::OnceLock;

/// utime + stime of process `pid` so far, in clock ticks; `None` if it cannot be read.
pub fn process_ticks(pid: u32) -> Option<u64> {
    Stat::of(&format!("/proc/{pid}/stat")).map(|stat| stat.ticks)
}

/// utime + stime of the calling thread so far, in clock ticks.
pub fn thread_ticks() -> Option<u64> {
    Stat::of("/proc/thread-self/stat").map(|stat| stat.ticks)
}

/// The command name of process `pid` (`comm`: at most 15 bytes of the program's name).
pub fn command(pid: u32) -> Option<String> {
    Stat::of(&format!("/proc/{pid}/stat")).map(|stat| stat.command)
}

/// What this module reads of a /proc `stat` file.
struct Stat {
    command: String,
    ticks: u64,
}

impl Stat {
    fn of(path: &str) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// Field 2 (the command, in parentheses, which may hold spaces and parentheses of
    /// its own) and fields 14 and 15 (utime, stime).
    fn parse(stat: &str) -> Option<Self> {
        let (open, close) = (stat.find('(')?, stat.rfind(')')?);
        let mut fields = stat.get(close + 1..)?.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(Self { command: stat.get(open + 1..close)?.to_owned(), ticks: utime + stime })
    }
}

/// Clock ticks per second, as `getconf CLK_TCK` says.
fn ticks_per_s() -> Option<u64> {
    static TICKS: OnceLock<Option<u64>> = OnceLock::new();
    *TICKS.get_or_init(|| {
        let output = Command::new("getconf").arg("CLK_TCK").output().ok().filter(|o| o.status.success())?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok().filter(|&ticks| ticks > 0)
    })
}

/// CPU time spent on some orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    pub ticks: u64,
    pub orders: u64,
}

impl Spent {
    /// Microseconds per order; `None` without orders.
    pub fn us_per_order(self) -> Option<f64> {
        let per_s = ticks_per_s()?;
        (self.orders > 0).then(|| self.ticks as f64 * 1e6 / per_s as f64 / self.orders as f64)
    }

    /// The sum of `slices`, or `None` if any of them was not measured.
    pub fn total(slices: impl IntoIterator<Item = Option<Spent>>) -> Option<Spent> {
        slices.into_iter().try_fold(Spent::default(), |sum, slice| {
            slice.map(|slice| Spent { ticks: sum.ticks + slice.ticks, orders: sum.orders + slice.orders })
        })
    }
}

/// CPU spent on the service's orders by the server process and by the database's
/// processes (PostgreSQL; SQLite's work is the server's own).
#[derive(Debug, Clone, Copy, Default)]
pub struct Used {
    pub server: Option<Spent>,
    pub database: Option<Spent>,
}

impl Used {
    pub fn total(slices: &[Used]) -> Used {
        Used {
            server: Spent::total(slices.iter().map(|slice| slice.server)),
            database: Spent::total(slices.iter().map(|slice| slice.database)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_read_past_a_command_with_spaces_and_parentheses() {
        let stat = "4242 (orders (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 7 9 20 0 5 0 1234";
        let stat = Stat::parse(stat).unwrap();
        assert_eq!((stat.command.as_str(), stat.ticks), ("orders (x) y", 281));
    }

    #[test]
    fn this_thread_and_process_are_readable() {
        assert!(thread_ticks().is_some());
        assert!(process_ticks(std::process::id()).is_some());
        assert!(ticks_per_s().is_some());
    }

    #[test]
    fn a_total_needs_every_slice() {
        let slice = Some(Spent { ticks: 10, orders: 100 });
        assert_eq!(Spent::total([slice, slice]), Some(Spent { ticks: 20, orders: 200 }));
        assert_eq!(Spent::total([slice, None]), None);
        assert_eq!(Spent { ticks: 1, orders: 0 }.us_per_order(), None);
    }
}
