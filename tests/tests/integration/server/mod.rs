//! The real `orders-server` process, for what only a process and its sockets show.

mod address_limits;
mod crash;
mod floods;
mod lifecycle;
mod metrics;
mod observability;
mod outage;
mod overload;
mod protocol;
mod read_routing;
mod traces;
mod two_servers;
mod webhooks;
