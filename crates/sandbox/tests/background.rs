//! `SandboxBuilder::start_in_background`: a sandbox for synchronous tests, served from a thread
//! of its own, stopped when its handle is dropped.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;

use billing_sandbox::{Sandbox, Vendor};

fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_background_sandbox_serves_a_synchronous_test_and_stops_when_dropped() {
    let sandbox = Sandbox::stable(Vendor::Cloudspot)
        .start_in_background()
        .unwrap();
    // no runtime on this thread: the sandbox serves from its own
    assert!(tokio::runtime::Handle::try_current().is_err());
    let addr = sandbox.addr();
    let answer = get(addr, "/artikels/");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(sandbox.count("GET /artikels/"), 1);
    drop(sandbox);
    assert!(TcpStream::connect(addr).is_err(), "stopped when dropped");
}
