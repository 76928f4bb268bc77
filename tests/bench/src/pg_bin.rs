//! PostgreSQL's programs (`pg_isready`, `pgbench`): in the directory `pg_config --bindir`
//! names, else wherever PATH finds them. On Debian, PATH holds only wrappers that pick a
//! cluster's version; pg_config names the directory of the programs themselves.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The path of PostgreSQL's program `name`.
pub fn find(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    search(name, bindir().into_iter().chain(std::env::split_paths(&path))).with_context(|| {
        format!(
            "cannot find PostgreSQL's {name}: `pg_config --bindir` does not name a directory holding it, nor does PATH"
        )
    })
}

/// What `pg_config --bindir` says, if it runs.
fn bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok().filter(|o| o.status.success())?;
    let dir = String::from_utf8(output.stdout).ok()?;
    Some(PathBuf::from(dir.trim())).filter(|dir| !dir.as_os_str().is_empty())
}

/// The first of `dirs` that holds a file `name`, joined with it.
fn search(name: &str, dirs: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    dirs.into_iter().map(|dir| dir.join(name)).find(|path| is_program(path))
}

fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_directory_holding_the_program_wins() {
        let (empty, first, second) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for dir in [&first, &second] {
            let program = dir.path().join("pgbench");
            std::fs::write(&program, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        std::fs::write(empty.path().join("pg_isready"), "not a program").unwrap();
        let dirs = || [empty.path(), first.path(), second.path()].map(Path::to_path_buf);
        assert_eq!(search("pgbench", dirs()), Some(first.path().join("pgbench")));
        assert_eq!(search("pg_isready", dirs()), None);
    }

    #[test]
    fn a_missing_program_is_one_clear_sentence() {
        let error = find("pg_no_such_program").unwrap_err().to_string();
        assert!(error.starts_with("cannot find PostgreSQL's pg_no_such_program:"), "{error}");
        assert!(!error.contains('\n'), "{error}");
    }
}
