//! `slow-clients ADDRESS COUNT`: opens COUNT connections to ADDRESS in turn that send
//! nothing, half a request head, or a head promising a 100-byte body and one byte of
//! it; prints `held N` once N are open (fewer if this process runs out of files), then
//! holds them until killed. A process of its own, so that its thousands of sockets do
//! not use up the file limit of the tests running beside it.

use std::io::Write;
use std::net::TcpStream;

const PARTS: [&[u8]; 3] = [
    b"",
    b"GET /health HTTP/1.1\r\nHost: slow\r\n",
    b"POST /v1/users HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(count)) = (args.next(), args.next().and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: slow-clients ADDRESS COUNT");
        std::process::exit(2);
    };
    let mut held = Vec::with_capacity(count);
    for n in 0..count {
        match TcpStream::connect(&address) {
            Ok(mut stream) => {
                let _ = stream.write_all(PARTS[n % PARTS.len()]);
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
