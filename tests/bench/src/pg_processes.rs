//! PostgreSQL's processes that serve the run, as pg_stat_activity lists them: the
//! backends of the run's database (autovacuum workers included) and the server's own
//! background processes (WAL writer, checkpointer, …), with their CPU time read from
//! /proc. Backends of other databases are left out: another run may share the server.
//! Only when PostgreSQL runs on this machine; the watching connection leaves itself out.

use crate::cpu;
use anyhow::Context;
use sea_orm::sqlx::{self, Connection, PgConnection};
use std::collections::BTreeMap;

pub struct PgProcesses {
    db: PgConnection,
}

/// CPU time so far (clock ticks) of each process, by pid.
#[derive(Debug, Default)]
pub struct Snapshot(BTreeMap<u32, u64>);

impl Snapshot {
    /// Ticks used since `before` by the processes alive now (those that started since
    /// count from zero).
    pub fn since(&self, before: &Snapshot) -> u64 {
        self.0.iter().map(|(pid, ticks)| ticks.saturating_sub(before.0.get(pid).copied().unwrap_or(0))).sum()
    }
}

impl PgProcesses {
    /// Watches the database at `url`; `None` if its backend is no PostgreSQL process of
    /// this machine.
    pub async fn connect(url: &str) -> anyhow::Result<Option<Self>> {
        let mut db = PgConnection::connect(url).await.context("cannot connect to PostgreSQL")?;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut db).await?;
        let local = u32::try_from(pid).ok().and_then(cpu::command).is_some_and(|command| command == "postgres");
        Ok(local.then_some(Self { db }))
    }

    pub async fn snapshot(&mut self) -> anyhow::Result<Snapshot> {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity \
             WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut self.db)
        .await?;
        Ok(Snapshot(
            pids.into_iter()
                .filter_map(|pid| u32::try_from(pid).ok())
                .filter_map(|pid| Some((pid, cpu::process_ticks(pid)?)))
                .collect(),
        ))
    }

    /// How many backends of the run's database `application` has connected.
    pub async fn clients(&mut self, application: &str) -> anyhow::Result<usize> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        )
        .bind(application)
        .fetch_one(&mut self.db)
        .await?;
        Ok(usize::try_from(count)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_counts_what_it_used_since_or_all_if_it_is_new() {
        let before = Snapshot(BTreeMap::from([(1, 100), (2, 50), (3, 7)]));
        let after = Snapshot(BTreeMap::from([(1, 130), (2, 50), (4, 5)]));
        assert_eq!(after.since(&before), 35);
    }
}
