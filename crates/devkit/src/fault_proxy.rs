//! A fault-injection TCP proxy between the browser and the broker, on loopback only.
//!
//! It forwards bytes both ways (WebSocket and MQTT pass through untouched) and, on command,
//! cuts every connection at once (`cut`, like a broker crash or a NAT reset) or silently
//! swallows all traffic while keeping the sockets open (`stall`, like a dead Wi-Fi access
//! point), until `resume`. New connections made during a stall are stalled too.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// What the proxy does to traffic.
#[derive(Clone, Default)]
pub struct FaultSwitch {
    stalled: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl FaultSwitch {
    /// Closes every connection now (new ones are still accepted).
    pub fn cut(&self) {
        if let Ok(mut connections) = self.connections.lock() {
            for stream in connections.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// Swallows all traffic from now on, keeping sockets open.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Forwards traffic again.
    pub fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    fn track(&self, stream: &TcpStream) {
        if let (Ok(mut connections), Ok(clone)) = (self.connections.lock(), stream.try_clone()) {
            connections.push(clone);
        }
    }
}

/// Accepts on `listener` and forwards each connection to `upstream`.
pub fn run_proxy(
    listener: TcpListener,
    upstream: String,
    switch: FaultSwitch,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                let _ = client.shutdown(Shutdown::Both);
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            switch.track(&client);
            switch.track(&server);
            for (from, to) in [(&client, &server), (&server, &client)] {
                if let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) {
                    let stalled = switch.stalled.clone();
                    thread::spawn(move || forward(from, to, &stalled));
                }
            }
        }
    })
}

fn forward(mut from: TcpStream, mut to: TcpStream, stalled: &AtomicBool) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stalled.load(Ordering::SeqCst) {
                    continue;
                }
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn echo_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let mut writer = stream;
                    let _ = std::io::copy(&mut reader, &mut writer);
                });
            }
        });
        address
    }

    fn proxied(switch: &FaultSwitch) -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        run_proxy(listener, echo_server(), switch.clone());
        let stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        stream
    }

    fn round_trip(stream: &mut TcpStream, bytes: &[u8]) -> Option<Vec<u8>> {
        stream.write_all(bytes).ok()?;
        let mut buffer = vec![0u8; bytes.len()];
        stream.read_exact(&mut buffer).ok()?;
        Some(buffer)
    }

    #[test]
    fn traffic_passes_then_a_stall_swallows_it_then_resume_restores_it() {
        let switch = FaultSwitch::default();
        let mut stream = proxied(&switch);
        assert_eq!(
            round_trip(&mut stream, b"hello").as_deref(),
            Some(&b"hello"[..])
        );
        switch.stall();
        assert_eq!(
            round_trip(&mut stream, b"lost"),
            None,
            "a stalled proxy forwarded bytes"
        );
        switch.resume();
        assert_eq!(
            round_trip(&mut stream, b"again").as_deref(),
            Some(&b"again"[..])
        );
    }

    #[test]
    fn cut_closes_open_connections() {
        let switch = FaultSwitch::default();
        let mut stream = proxied(&switch);
        assert!(round_trip(&mut stream, b"x").is_some());
        switch.cut();
        let mut buffer = [0u8; 1];
        let read = stream.read(&mut buffer);
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "connection still open: {read:?}"
        );
    }
}
