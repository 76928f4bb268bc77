//! The committed OpenAPI document in `openapi/` must be exactly what the code generates,
//! so that clients generated from it match the server.

use std::path::PathBuf;

const REGENERATE: &str = "ORDERS_UPDATE_OPENAPI=1 cargo test -p orders-server the_committed_openapi_documents";

fn openapi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi")
}

#[test]
fn the_committed_openapi_documents_match_the_code() {
    let service = crate::api::spec_service();
    let generated = [("openapi.json", format!("{}\n", service.spec())), ("openapi.yaml", service.spec_yaml())];
    let update = std::env::var_os("ORDERS_UPDATE_OPENAPI").is_some();
    let mut stale = Vec::new();
    for (name, content) in generated {
        let path = openapi_dir().join(name);
        if update {
            std::fs::write(&path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(format!("openapi/{name}"));
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from what the code generates; regenerate them with:\n    {REGENERATE}\nand commit the result.",
        stale.join(" and ")
    );
}
