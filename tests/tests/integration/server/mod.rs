//! The real `orders-server` process, for what only a process and its sockets show.

mod crash;
mod lifecycle;
mod outage;
mod overload;
mod protocol;
mod two_servers;
