//! The real `orders-server` process, for what only a process and its sockets show.

mod crash;
mod floods;
mod lifecycle;
mod outage;
mod overload;
mod protocol;
mod two_servers;
