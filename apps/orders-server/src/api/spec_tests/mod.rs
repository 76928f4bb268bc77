//! The OpenAPI document this crate generates: what generated clients and the contract
//! rely on in it ([`contract`]), and that the committed copy in `openapi/` is exactly it
//! ([`drift`]).

mod contract;
mod drift;
