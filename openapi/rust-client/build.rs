//! Generates the client from the committed OpenAPI document `openapi/openapi.json` with
//! progenitor, into `$OUT_DIR/client.rs`. A document that progenitor cannot turn into a
//! client fails the build, naming the document and the reason.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let spec_path = manifest_dir.join("../openapi.json");
    println!("cargo:rerun-if-changed={}", spec_path.display());

    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|error| panic!("cannot read the OpenAPI document {}: {error}", spec_path.display()));
    let spec: openapiv3::OpenAPI = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not an OpenAPI 3.0 document: {error}", spec_path.display()));

    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder).with_tag(progenitor::TagStyle::Merged);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|error| panic!("progenitor cannot generate a client from {}: {error}", spec_path.display()));
    let file = syn::parse2(tokens).expect("progenitor generates valid Rust");
    let code = prettyplease::unparse(&file);

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("client.rs"), code).expect("the generated client can be written to OUT_DIR");
}
