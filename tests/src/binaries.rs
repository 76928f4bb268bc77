//! The workspace's real binaries, built on first use so that any test command finds
//! them up to date (`cargo build` is a no-op when nothing changed).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The path of the workspace binary `name` (`orders-server`, `ordersctl`), built in the
/// profile these tests were built in.
pub fn path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built.entry(name.to_owned()).or_insert_with(|| build(name)).clone()
}

fn build(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet", "--workspace", "--bin", name]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let status = command.status().unwrap_or_else(|e| panic!("cannot run cargo to build {name}: {e}"));
    assert!(status.success(), "cargo build --bin {name} failed");
    let profile_dir = std::env::current_exe()
        .expect("the test binary knows its path")
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps")
        .to_path_buf();
    let binary = profile_dir.join(name);
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}
