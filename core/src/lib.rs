//! The order service's core: the domain (users with a tier, products with stock,
//! orders), the use cases that place and manage orders, and the ports they need from
//! the outside world. Nothing here knows about a database, HTTP or an async runtime;
//! adapters implement [`ports`] and apps call [`usecases::Service`].

pub mod domain;
pub mod ports;
pub mod usecases;
