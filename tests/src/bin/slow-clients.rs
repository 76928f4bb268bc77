//! `slow-clients ADDRESS COUNT`: opens COUNT connections to ADDRESS that send, in turn,
//! each of [`STALLED_REQUESTS`]; prints `held N` once N are open (fewer if this process runs out of files), then
//! holds them until killed. A process of its own, so that its thousands of sockets do
//! not use up the file limit of the tests running beside it; it raises its soft file
//! limit to the hard limit first, as the server does.

use orders_tests::server::STALLED_REQUESTS;
use std::io::Write;
use std::net::TcpStream;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(count)) = (args.next(), args.next().and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: slow-clients ADDRESS COUNT");
        std::process::exit(2);
    };
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("slow-clients: cannot raise the file limit: {error}");
    }
    let mut held = Vec::with_capacity(count);
    for n in 0..count {
        match TcpStream::connect(&address) {
            Ok(mut stream) => {
                let _ = stream.write_all(STALLED_REQUESTS[n % STALLED_REQUESTS.len()]);
                held.push(stream);
            }
            Err(error) => {
                eprintln!("slow-clients: stopped at {n} connections: {error}");
                break;
            }
        }
    }
    println!("held {}", held.len());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
