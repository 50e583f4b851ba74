//! A blocking MQTT connection over TCP for the dev kit's simulators, driven by the same
//! sans-IO `Session` the page uses (so the simulators exercise the core too).
//!
//! The socket is read with a short timeout so the caller can interleave its own work (control
//! commands, delayed replies, telemetry) in one thread without async.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use switchboard_core::session::{Session, SessionEvent, SessionOptions};
use switchboard_core::time::Millis;

/// A connected (or connecting) MQTT session on a TCP stream.
pub struct MqttConnection {
    stream: TcpStream,
    session: Session,
    started: Instant,
}

impl MqttConnection {
    /// Connects the TCP stream and sends CONNECT.
    pub fn open(address: &str, options: SessionOptions) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_millis(20)))?;
        let mut connection = Self {
            stream,
            session: Session::new(options),
            started: Instant::now(),
        };
        let now = connection.now();
        connection.session.handle_transport_open(now);
        connection.flush()?;
        Ok(connection)
    }

    /// Milliseconds since this connection was opened.
    pub fn now(&self) -> Millis {
        self.started.elapsed().as_millis() as Millis
    }

    /// The session, to subscribe and publish.
    pub fn session(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Reads what arrived (waiting at most ~20 ms), runs timers, and returns the events.
    /// An error means the connection is gone.
    pub fn poll(&mut self) -> std::io::Result<Vec<SessionEvent>> {
        let mut buffer = [0u8; 16 * 1024];
        match self.stream.read(&mut buffer) {
            Ok(0) => return Err(ErrorKind::ConnectionAborted.into()),
            Ok(n) => {
                let now = self.now();
                self.session.handle_bytes(now, &buffer[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        let now = self.now();
        self.session.handle_timeout(now);
        self.flush()?;
        let events: Vec<_> = std::iter::from_fn(|| self.session.poll_event()).collect();
        if events
            .iter()
            .any(|e| matches!(e, SessionEvent::Lost(_) | SessionEvent::Refused(_)))
        {
            let _ = self.stream.shutdown(Shutdown::Both);
        }
        Ok(events)
    }

    /// Writes everything the session queued.
    pub fn flush(&mut self) -> std::io::Result<()> {
        while let Some(bytes) = self.session.poll_transmit() {
            self.stream.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Drops the TCP connection without DISCONNECT, as a device losing power does: the broker
    /// then publishes the will.
    pub fn kill(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
