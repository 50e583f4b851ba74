//! Runs simulated devices of any kind against a broker over TCP, one thread each, and takes
//! control commands (button presses, power loss, reply latency) from a channel.
//!
//! A plug reconnects by itself after the broker goes away (every 300 ms), the way firmware
//! does; "unplug" cuts its connection without DISCONNECT so the broker publishes its will, and
//! it stays away until "plug in". Every command received is printed, so a test can count them.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use switchboard_core::session::{QoS, SessionEvent, SessionOptions, Will};

use crate::mqtt_connection::MqttConnection;
use crate::sim_clock::SimClock;
use crate::sim_device::{PlugPublish, SimDevice};

/// What can be done to a running plug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlugControl {
    /// Press the physical button (toggle the relay).
    PressButton,
    /// Lose power/Wi-Fi: drop the connection without DISCONNECT.
    Unplug,
    /// Come back.
    PlugIn,
    /// Answer commands after this many milliseconds.
    SetLatency(u64),
    /// Move the device's wall clock by this many seconds (to make a schedule due, or the
    /// clock wrong).
    ShiftClock(i64),
}

/// Settings for one device thread.
pub struct PlugSettings {
    /// Broker TCP address, e.g. `127.0.0.1:1883`.
    pub broker: String,
    /// The simulated device.
    pub device: Box<dyn SimDevice>,
    /// Telemetry period.
    pub tele_period: Duration,
    /// The device's time zone, as an offset from UTC in minutes.
    pub utc_offset_minutes: i32,
    /// Announce itself (Tasmota and Home Assistant discovery); off like a device with its
    /// discovery switched off (for brokers with a small maximum packet size).
    pub discovery: bool,
}

/// True for the retained announcements a device with discovery off does not publish.
fn is_announcement(message: &PlugPublish) -> bool {
    message.topic.starts_with("tasmota/discovery/") || message.topic.starts_with("homeassistant/")
}

/// Starts a plug thread.
pub fn spawn_plug(
    settings: PlugSettings,
    control: Receiver<PlugControl>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || run_plug(settings, control))
}

fn run_plug(settings: PlugSettings, control: Receiver<PlugControl>) {
    let mut plug = settings.device;
    let booted = Instant::now();
    let mut latency = Duration::ZERO;
    let mut unplugged = false;
    let mut clock_shift = 0_i64;
    let offset = settings.utc_offset_minutes;
    loop {
        if unplugged {
            match control.recv() {
                Ok(PlugControl::PlugIn) => unplugged = false,
                Ok(PlugControl::SetLatency(ms)) => latency = Duration::from_millis(ms),
                Ok(PlugControl::PressButton) => {
                    plug.press_button(booted.elapsed());
                }
                Ok(PlugControl::ShiftClock(secs)) => clock_shift += secs,
                Ok(PlugControl::Unplug) => {}
                Err(_) => return,
            }
            continue;
        }
        let mut options = SessionOptions::new(format!("sim-{}", plug.name().replace('/', "-")));
        options.keep_alive_secs = 10;
        options.will = plug.will().map(|will| Will {
            topic: will.topic,
            payload: will.payload.into_bytes(),
            retain: will.retain,
        });
        let Ok(mut connection) = MqttConnection::open(&settings.broker, options) else {
            match control.recv_timeout(Duration::from_millis(300)) {
                Ok(PlugControl::Unplug) => unplugged = true,
                Ok(PlugControl::SetLatency(ms)) => latency = Duration::from_millis(ms),
                Ok(PlugControl::PressButton) => {
                    plug.press_button(booted.elapsed());
                }
                Ok(PlugControl::ShiftClock(secs)) => clock_shift += secs,
                Ok(PlugControl::PlugIn) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            continue;
        };
        let mut delayed: Vec<(Instant, PlugPublish)> = Vec::new();
        let mut next_telemetry = Instant::now() + settings.tele_period;
        let outcome: Result<(), ()> = (|| loop {
            let fired = plug.tick_clock(SimClock::system(clock_shift, offset));
            if !fired.is_empty() {
                println!("plug {} schedule fired", plug.name());
                publish_all(&mut connection, fired)?;
                println!("plug {} power {}", plug.name(), plug.power_summary());
            }
            let events = connection.poll().map_err(|_| ())?;
            for event in events {
                match event {
                    SessionEvent::Connected { .. } => {
                        println!("plug {} connected", plug.name());
                        let mut hello = plug.on_connected();
                        if !settings.discovery {
                            hello.retain(|m| !is_announcement(m));
                        }
                        publish_all(&mut connection, hello)?;
                        let filters = plug.subscriptions();
                        let now = connection.now();
                        connection
                            .session()
                            .subscribe(now, &filters)
                            .map_err(|_| ())?;
                        connection.flush().map_err(|_| ())?;
                    }
                    SessionEvent::Message(message) => {
                        let payload = String::from_utf8_lossy(&message.payload).into_owned();
                        println!(
                            "plug {} received {} {:?}",
                            plug.name(),
                            message.topic,
                            payload
                        );
                        let replies = plug.on_message(booted.elapsed(), &message.topic, &payload);
                        println!("plug {} power {}", plug.name(), plug.power_summary());
                        let due = Instant::now() + latency;
                        delayed.extend(replies.into_iter().map(|reply| (due, reply)));
                    }
                    SessionEvent::Lost(_) | SessionEvent::Refused(_) => return Err(()),
                    _ => {}
                }
            }
            let now = Instant::now();
            let (due, later): (Vec<_>, Vec<_>) = delayed.drain(..).partition(|(at, _)| *at <= now);
            delayed = later;
            publish_all(&mut connection, due.into_iter().map(|(_, p)| p).collect())?;
            let by_itself = plug.poll(booted.elapsed());
            if !by_itself.is_empty() {
                publish_all(&mut connection, by_itself)?;
                println!("plug {} power {}", plug.name(), plug.power_summary());
            }
            if now >= next_telemetry {
                next_telemetry = now + settings.tele_period;
                let reports = plug.tick_telemetry(booted.elapsed());
                publish_all(&mut connection, reports)?;
            }
            match control.try_recv() {
                Ok(PlugControl::PressButton) => {
                    println!("plug {} button pressed", plug.name());
                    let reports = plug.press_button(booted.elapsed());
                    publish_all(&mut connection, reports)?;
                    println!("plug {} power {}", plug.name(), plug.power_summary());
                }
                Ok(PlugControl::Unplug) => return Ok(()),
                Ok(PlugControl::SetLatency(ms)) => latency = Duration::from_millis(ms),
                Ok(PlugControl::ShiftClock(secs)) => {
                    clock_shift += secs;
                    println!("plug {} clock shifted by {secs} s", plug.name());
                }
                Ok(PlugControl::PlugIn) | Err(_) => {}
            }
        })();
        match outcome {
            Ok(()) => {
                println!("plug {} unplugged", plug.name());
                connection.kill();
                unplugged = true;
            }
            Err(()) => {
                println!("plug {} lost the broker; reconnecting", plug.name());
                thread::sleep(Duration::from_millis(300));
            }
        }
    }
}

fn publish_all(connection: &mut MqttConnection, messages: Vec<PlugPublish>) -> Result<(), ()> {
    for message in messages {
        let now = connection.now();
        connection
            .session()
            .publish(
                now,
                &message.topic,
                message.payload.as_bytes(),
                QoS::AtLeastOnce,
                message.retain,
            )
            .map_err(|_| ())?;
    }
    connection.flush().map_err(|_| ())
}
