//! Graceful shutdown (the mini-redis pattern): on SIGTERM the node stops accepting, ends its
//! live alert streams and exits cleanly — an open Server-Sent Events client does not keep it
//! waiting for the drain timeout.

mod support;

use std::io::Read;
use std::time::{Duration, Instant};
use support::{ADMIN_PASSWORD, Server};

#[test]
fn test_sigterm_ends_alert_streams_and_exits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    let url = format!("{}/api/v1/alerts/stream", s.url);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let resp = ureq::get(&url)
            .set("Authorization", &format!("Bearer {op}"))
            .call()
            .expect("stream opens");
        let mut body = resp.into_reader();
        let mut buf = [0u8; 1024];
        // Read until the server ends the stream.
        while let Ok(n) = body.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        let _ = tx.send(());
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The drain timeout is 10 s; a stream that kept the node waiting would hit it.
    let exit = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break Some(st);
        }
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let exit = exit.expect("the node exits after SIGTERM");
    assert!(exit.success(), "clean exit: {exit:?}");
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the alert stream was ended by the server");
    eprintln!(
        "shutdown with an open alert stream took {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "the open stream held shutdown until the drain timeout ({:?})",
        started.elapsed()
    );
}
