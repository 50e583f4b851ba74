//! Native micro-benchmark of the core's ingest path: MQTT decoding, the session, and dispatch
//! to device adapters, as the page runs it for every WebSocket message.
//!
//! `cargo bench -p switchboard-core --bench ingest` prints messages per second for dashboards
//! of 10, 100 and 1,000 Tasmota devices receiving state reports, in 16 KiB WebSocket-sized
//! chunks, and the heap the dashboard holds once they are in (bytes per device). It asserts
//! nothing: the numbers are for reading and comparing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::BytesMut;
use mqttbytes::v4::{ConnAck, ConnectReturnCode, Publish};
use mqttbytes::QoS;
use switchboard_core::config::DeviceConfig;
use switchboard_core::dashboard::Dashboard;
use switchboard_core::session::SessionOptions;

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        IN_USE.fetch_add(new_size, Ordering::Relaxed);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MESSAGES: usize = 200_000;
const CHUNK: usize = 16 * 1024;

fn encoded_reports(devices: usize) -> Vec<Vec<u8>> {
    let mut stream = BytesMut::new();
    for i in 0..MESSAGES {
        let topic = format!("stat/plug_{}/POWER", i % devices);
        let payload: &[u8] = if (i / devices).is_multiple_of(2) {
            b"ON"
        } else {
            b"OFF"
        };
        Publish::new(topic, QoS::AtMostOnce, payload.to_vec())
            .write(&mut stream)
            .expect("encodes");
    }
    stream.chunks(CHUNK).map(<[u8]>::to_vec).collect()
}

fn connected_dashboard(devices: usize) -> Dashboard {
    let configs = (0..devices)
        .map(|i| DeviceConfig::tasmota(format!("plug_{i}"), ""))
        .collect();
    let mut dashboard = Dashboard::new(SessionOptions::new("bench"), configs, 1);
    dashboard.start();
    while dashboard.poll_transport_command().is_some() {}
    dashboard.handle_transport_open(0);
    let mut connack = BytesMut::new();
    ConnAck::new(ConnectReturnCode::Success, false)
        .write(&mut connack)
        .expect("encodes");
    dashboard.handle_bytes(0, &connack);
    while dashboard.poll_transmit().is_some() {}
    dashboard
}

fn main() {
    println!("| devices | messages | seconds | messages/s | heap held, bytes per device |");
    println!("|---:|---:|---:|---:|---:|");
    for devices in [10, 100, 1_000] {
        let chunks = encoded_reports(devices);
        let before = IN_USE.load(Ordering::Relaxed);
        let mut dashboard = connected_dashboard(devices);
        let started = Instant::now();
        for (i, chunk) in chunks.iter().enumerate() {
            dashboard.handle_bytes(1 + i as u64, chunk);
            while dashboard.poll_transmit().is_some() {}
        }
        let seconds = started.elapsed().as_secs_f64();
        let on = dashboard
            .devices()
            .iter()
            .filter(|d| d.state().channels[0].power.is_some())
            .count();
        assert_eq!(on, devices, "every device should have a state");
        let held = IN_USE.load(Ordering::Relaxed).saturating_sub(before);
        println!(
            "| {devices} | {MESSAGES} | {seconds:.3} | {:.0} | {} |",
            MESSAGES as f64 / seconds,
            held / devices
        );
        drop(dashboard);
    }
}
