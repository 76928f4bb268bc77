//! Where the programs from outside Cargo that some tests need are found: PostgreSQL's
//! server programs (`initdb`, `pg_ctl`), in the directory `pg_config --bindir` names,
//! else on `PATH`; a Python with the `standardwebhooks` package. The build script
//! compiles this file too, to mark the tests that need a missing program as ignored.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding PostgreSQL's `initdb` and `pg_ctl`, if they are installed.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let has_programs = |dir: &Path| ["initdb", "pg_ctl"].iter().all(|program| dir.join(program).is_file());
    let output = Command::new("pg_config").arg("--bindir").output().ok().filter(|output| output.status.success());
    let from_pg_config = output.map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    from_pg_config
        .filter(|dir| has_programs(dir))
        .or_else(|| on_path("initdb").and_then(|initdb| initdb.parent().map(Path::to_path_buf)))
        .filter(|dir| has_programs(dir))
}

/// Where `program` is on `PATH`, if it is.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|path| path.is_file())
}

/// A Python that can import the Standard Webhooks reference library: the one
/// `ORDERS_WEBHOOK_PYTHON` names, else the venv `tests/python/lib.sh` makes under
/// `target/` (or `$CARGO_TARGET_DIR`), else `python3` on `PATH`.
pub fn webhook_python() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let candidates = [
        std::env::var_os("ORDERS_WEBHOOK_PYTHON").map(PathBuf::from),
        Some(target.join("python-venv/bin/python")),
        on_path("python3"),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import standardwebhooks"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}
