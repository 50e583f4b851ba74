//! The whole core under seeded faults, in simulated time (a first slice of the simulator).
//!
//! The real [`Dashboard`] (session, reconnects, Tasmota adapter, relay guard, store edits)
//! runs against an in-memory MQTT 3.1.1 broker (retained messages, wills, QoS 1
//! acknowledgements, client-id takeover) and simulated Tasmota plugs (the dev kit's
//! [`TasmotaPlug`] behind a core [`Session`] each), with a simulated user clicking, storming
//! and editing. One seed draws everything: latencies, connection cuts, broker restarts with or
//! without persistence, silent stalls, devices unplugged and back, button presses, clicks.
//! After every step
//! the invariants are checked, each failure naming the invariant, the seed and the simulated
//! time:
//! - **no lie**: while the page is not connected no switch is usable; once the network is
//!   quiet, a switch that shows a state shows the device's real one;
//! - **no unasked command**: a device never receives more switch commands than the page
//!   accepted from the user for it, and the page never sends more than the relay limit in
//!   any window (click storms included);
//! - **nothing retained** from the page but an empty ghost clear;
//! - **always back**: after the last fault, every device is usable again within
//!   [`BACK_WITHIN`] of the broker and the device being reachable, showing its real state.
//!
//! `cargo test -p switchboard-devkit simulation` runs [`CI_SEEDS`] seeds; `SIM_SEEDS=N` runs
//! more, `SIM_SEED=S` replays one (its failure message prints that command).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::BytesMut;
use mqttbytes::v4::{self, Packet};
use mqttbytes::QoS;
use switchboard_core::backoff::Random;
use switchboard_core::config::DeviceConfig;
use switchboard_core::dashboard::{Dashboard, DeviceId, LinkPhase, TransportCommand};
use switchboard_core::device::SwitchCommand;
use switchboard_core::message_log::topic_matches;
use switchboard_core::reconnect::RECONNECT_CAP;
use switchboard_core::session::{Session, SessionEvent, SessionOptions, Will};
use switchboard_core::time::Millis;

use crate::sim_device::{PlugPublish, SimDevice};
use crate::tasmota_plug::TasmotaPlug;

/// Seeds run by `cargo test` (CI).
pub const CI_SEEDS: u64 = 200;
/// Simulated time per seed: faults during the first part, then a quiet end.
const FAULTY_FOR: Millis = 60_000;
const QUIET_END: Millis = 45_000;
/// How soon after the last fault every device must be usable again.
pub const BACK_WITHIN: Millis = 2_000;
const STEP: Millis = 5;
/// Outages up to this long are followed by a quick return ([`BACK_WITHIN`]).
const SHORT_OUTAGE: Millis = 10_000;

type ConnId = u64;

/// One direction of a connection: bytes with the time they arrive.
#[derive(Default)]
struct Pipe {
    to_broker: VecDeque<(Millis, Vec<u8>)>,
    to_client: VecDeque<(Millis, Vec<u8>)>,
    /// Nothing gets through before this (a dead Wi-Fi access point: silent, not closed).
    stalled_until: Millis,
}

/// The broker's side of one connection.
#[derive(Default)]
struct BrokerConn {
    buffer: BytesMut,
    client_id: String,
    subscriptions: Vec<String>,
    will: Option<(String, Vec<u8>, bool)>,
    connected: bool,
    /// Set for the page's connection, to check what it publishes.
    is_page: bool,
}

/// An in-memory MQTT 3.1.1 broker.
#[derive(Default)]
struct Broker {
    up: bool,
    persistent: bool,
    retained: BTreeMap<String, Vec<u8>>,
    conns: BTreeMap<ConnId, BrokerConn>,
    /// Problems found in what the page published (invariant: nothing retained).
    page_retained: Vec<String>,
}

impl Broker {
    fn encode(packet: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut out = BytesMut::new();
        packet(&mut out);
        out.to_vec()
    }

    fn publish_packet(topic: &str, payload: &[u8], retain: bool) -> Vec<u8> {
        let mut publish = v4::Publish::new(topic, QoS::AtMostOnce, payload.to_vec());
        publish.retain = retain;
        Self::encode(|b| {
            let _ = publish.write(b);
        })
    }

    /// Bytes from connection `id`; returns what to send to whom, and connections to close.
    fn receive(&mut self, id: ConnId, bytes: &[u8]) -> (Vec<(ConnId, Vec<u8>)>, Vec<ConnId>) {
        let mut out = Vec::new();
        let mut close = Vec::new();
        let Some(conn) = self.conns.get_mut(&id) else {
            return (out, close);
        };
        conn.buffer.extend_from_slice(bytes);
        let mut packets = Vec::new();
        loop {
            match v4::read(&mut conn.buffer, 10 * 1024 * 1024) {
                Ok(packet) => packets.push(packet),
                Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                Err(_) => {
                    close.push(id);
                    break;
                }
            }
        }
        for packet in packets {
            match packet {
                Packet::Connect(connect) => {
                    // A second client with the same id takes over [MQTT-3.1.4-2].
                    let taken: Vec<ConnId> = self
                        .conns
                        .iter()
                        .filter(|(other, c)| **other != id && c.client_id == connect.client_id)
                        .map(|(other, _)| *other)
                        .collect();
                    close.extend(taken);
                    let conn = self.conns.entry(id).or_default();
                    conn.client_id = connect.client_id.clone();
                    conn.will = connect
                        .last_will
                        .map(|w| (w.topic, w.message.to_vec(), w.retain));
                    conn.connected = true;
                    out.push((
                        id,
                        Self::encode(|b| {
                            let _ =
                                v4::ConnAck::new(v4::ConnectReturnCode::Success, false).write(b);
                        }),
                    ));
                }
                Packet::Publish(publish) => {
                    if self.conns.get(&id).is_some_and(|c| c.is_page)
                        && publish.retain
                        && !publish.payload.is_empty()
                    {
                        self.page_retained.push(publish.topic.clone());
                    }
                    if publish.qos == QoS::AtLeastOnce {
                        out.push((
                            id,
                            Self::encode(|b| {
                                let _ = v4::PubAck::new(publish.pkid).write(b);
                            }),
                        ));
                    }
                    if publish.retain {
                        if publish.payload.is_empty() {
                            self.retained.remove(&publish.topic);
                        } else {
                            self.retained
                                .insert(publish.topic.clone(), publish.payload.to_vec());
                        }
                    }
                    out.extend(self.deliver(&publish.topic, &publish.payload));
                }
                Packet::Subscribe(subscribe) => {
                    let codes = subscribe
                        .filters
                        .iter()
                        .map(|_| v4::SubscribeReasonCode::Success(QoS::AtLeastOnce))
                        .collect();
                    out.push((
                        id,
                        Self::encode(|b| {
                            let _ = v4::SubAck::new(subscribe.pkid, codes).write(b);
                        }),
                    ));
                    for filter in &subscribe.filters {
                        for (topic, payload) in &self.retained {
                            if topic_matches(&filter.path, topic) {
                                out.push((id, Self::publish_packet(topic, payload, true)));
                            }
                        }
                    }
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.subscriptions
                            .extend(subscribe.filters.into_iter().map(|f| f.path));
                    }
                }
                Packet::Unsubscribe(unsubscribe) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.subscriptions
                            .retain(|s| !unsubscribe.topics.contains(s));
                    }
                    out.push((
                        id,
                        Self::encode(|b| {
                            let _ = v4::UnsubAck::new(unsubscribe.pkid).write(b);
                        }),
                    ));
                }
                Packet::PingReq => out.push((id, vec![0xD0, 0x00])),
                Packet::Disconnect => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.will = None;
                    }
                    close.push(id);
                }
                _ => {}
            }
        }
        (out, close)
    }

    fn deliver(&self, topic: &str, payload: &[u8]) -> Vec<(ConnId, Vec<u8>)> {
        self.conns
            .iter()
            .filter(|(_, c)| c.connected && c.subscriptions.iter().any(|f| topic_matches(f, topic)))
            .map(|(id, _)| (*id, Self::publish_packet(topic, payload, false)))
            .collect()
    }

    /// Connection `id` is gone without DISCONNECT: its will is published.
    fn drop_conn(&mut self, id: ConnId) -> Vec<(ConnId, Vec<u8>)> {
        let Some(conn) = self.conns.remove(&id) else {
            return Vec::new();
        };
        match conn.will {
            Some((topic, payload, retain)) if conn.connected => {
                if retain {
                    self.retained.insert(topic.clone(), payload.clone());
                }
                self.deliver(&topic, &payload)
            }
            _ => Vec::new(),
        }
    }
}

/// A simulated Tasmota plug on its own MQTT session.
struct SimPlug {
    plug: TasmotaPlug,
    session: Session,
    conn: Option<ConnId>,
    plugged: bool,
    retry_at: Millis,
    /// Switch commands it received (ON, OFF, TOGGLE), with when.
    commands: Vec<Millis>,
}

/// The page's clicks the dashboard accepted, per device.
#[derive(Default)]
struct UserLog {
    accepted: Vec<u64>,
    /// When each accepted click was made, per device.
    at: Vec<Vec<Millis>>,
}

/// One simulated world.
struct World {
    seed: u64,
    now: Millis,
    random: Random,
    broker: Broker,
    pipes: BTreeMap<ConnId, Pipe>,
    next_conn: ConnId,
    page: Dashboard,
    page_conn: Option<ConnId>,
    plugs: Vec<SimPlug>,
    ids: Vec<DeviceId>,
    user: UserLog,
    latency: Millis,
    broker_back_at: Millis,
    last_fault: Millis,
    /// The last step at which the page was connected before the current outage began.
    last_connected: Millis,
    /// The phone is asleep until then: the page's timers are starved and it hears nothing; it
    /// is told `handle_wake` when it wakes (the clock then jumps by the time asleep).
    page_asleep_until: Option<Millis>,
    /// How many byte chunks toward the page were split or merged (the test says so).
    reframed: u64,
    /// Emulates the page before this round: every edit of the device list stopped the
    /// dashboard and built a new one (a new connection, every device new, relay guards reset).
    edits_rebuild: bool,
    page_options: SessionOptions,
}

impl World {
    fn new(seed: u64, count: usize) -> Self {
        let mut random = Random::new(seed);
        let names: Vec<String> = (0..count).map(|i| format!("sim{i}")).collect();
        let configs = names.iter().map(|n| DeviceConfig::tasmota(n, "")).collect();
        let mut options = SessionOptions::new("page");
        options.keep_alive_secs = 5;
        let page_options = options.clone();
        let page = Dashboard::new(options, configs, random.next_u64());
        let plugs = names
            .iter()
            .map(|name| {
                let plug = TasmotaPlug::with_relays(name, 1, random.below(2) == 1);
                let mut options = SessionOptions::new(format!("dev-{name}"));
                options.keep_alive_secs = 10;
                options.will = plug.will().map(|w| Will {
                    topic: w.topic,
                    payload: w.payload.into_bytes(),
                    retain: w.retain,
                });
                SimPlug {
                    plug,
                    session: Session::new(options),
                    conn: None,
                    plugged: true,
                    retry_at: 0,
                    commands: Vec::new(),
                }
            })
            .collect();
        Self {
            seed,
            now: 0,
            random,
            broker: Broker {
                up: true,
                persistent: seed.is_multiple_of(2),
                ..Broker::default()
            },
            pipes: BTreeMap::new(),
            next_conn: 1,
            page,
            page_conn: None,
            plugs,
            ids: (0..count as u32).map(DeviceId).collect(),
            user: UserLog {
                accepted: vec![0; count],
                at: vec![Vec::new(); count],
            },
            latency: 5,
            broker_back_at: 0,
            last_fault: 0,
            last_connected: 0,
            page_asleep_until: None,
            reframed: 0,
            edits_rebuild: false,
            page_options,
        }
    }

    /// The page closed its connection (it sets no will, so nothing goes out).
    fn close_page_conn(&mut self) {
        if let Some(id) = self.page_conn.take() {
            self.pipes.remove(&id);
            self.broker.drop_conn(id);
        }
    }

    /// The pre-round edit: the old page closed its connection and built a new dashboard from
    /// the edited list.
    fn rebuild_page(&mut self, index: usize, label: String) {
        let mut configs: Vec<DeviceConfig> = self
            .page
            .devices()
            .iter()
            .map(|d| d.config.clone())
            .collect();
        configs[index].label = label;
        self.close_page_conn();
        let seed = self.random.next_u64();
        self.page = Dashboard::new(self.page_options.clone(), configs, seed);
        self.page.start();
    }

    fn fail(&self, invariant: &str, detail: String) -> String {
        format!(
            "invariant \"{invariant}\" broken at {} ms (seed {}): {detail}\nreplay: SIM_SEED={} cargo test -p switchboard-devkit simulation -- --nocapture",
            self.now, self.seed, self.seed
        )
    }

    fn delay(&mut self) -> Millis {
        self.latency + self.random.below(self.latency + 1)
    }

    fn open_conn(&mut self) -> ConnId {
        let id = self.next_conn;
        self.next_conn += 1;
        self.pipes.insert(id, Pipe::default());
        self.broker.conns.insert(id, BrokerConn::default());
        id
    }

    fn send_to_broker(&mut self, id: ConnId, bytes: Vec<u8>) {
        let at = self.now + self.delay();
        if let Some(pipe) = self.pipes.get_mut(&id) {
            // In order: never before what is already on its way.
            let at = pipe.to_broker.back().map_or(at, |(last, _)| at.max(*last));
            pipe.to_broker.push_back((at, bytes));
        }
    }

    /// Queues `bytes` toward client `id`. Toward the page, a chunk is sometimes split in two or
    /// three pieces at random places, or merged into the chunk before it: a client must not
    /// assume MQTT packets are aligned on WebSocket messages [MQTT-6.0.0-2].
    fn send_to_client(&mut self, id: ConnId, bytes: Vec<u8>) {
        let at = self.now + self.delay();
        let reframe = if self.page_conn == Some(id) {
            self.random.below(8)
        } else {
            7
        };
        let cuts: Vec<usize> = match reframe {
            0 if bytes.len() > 2 => {
                let mut cuts: Vec<usize> = (0..=self.random.below(2))
                    .map(|_| 1 + self.random.below(bytes.len() as u64 - 1) as usize)
                    .collect();
                cuts.sort_unstable();
                cuts.dedup();
                cuts
            }
            _ => Vec::new(),
        };
        let Some(pipe) = self.pipes.get_mut(&id) else {
            return;
        };
        let at = pipe.to_client.back().map_or(at, |(last, _)| at.max(*last));
        if reframe == 1 {
            if let Some((last_at, last)) = pipe.to_client.back_mut() {
                *last_at = at;
                last.extend_from_slice(&bytes);
                self.reframed += 1;
                return;
            }
        }
        if !cuts.is_empty() {
            self.reframed += 1;
        }
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            pipe.to_client.push_back((at, bytes[start..cut].to_vec()));
            start = cut;
        }
    }

    /// Closes connection `id` abruptly (both ends learn it now).
    fn cut(&mut self, id: ConnId) {
        if self.pipes.remove(&id).is_none() {
            return;
        }
        for (to, bytes) in self.broker.drop_conn(id) {
            self.send_to_client(to, bytes);
        }
        if self.page_conn == Some(id) {
            self.page_conn = None;
            self.page.handle_transport_closed(self.now);
        }
        for plug in &mut self.plugs {
            if plug.conn == Some(id) {
                plug.conn = None;
                plug.session.handle_transport_closed();
                plug.retry_at = self.now + 300;
            }
        }
    }

    fn page_io(&mut self) {
        while let Some(command) = self.page.poll_transport_command() {
            match command {
                TransportCommand::Close => self.close_page_conn(),
                TransportCommand::Open => {
                    if self.broker.up {
                        let id = self.open_conn();
                        if let Some(conn) = self.broker.conns.get_mut(&id) {
                            conn.is_page = true;
                        }
                        self.page_conn = Some(id);
                        self.page.handle_transport_open(self.now);
                    } else {
                        self.page.handle_transport_closed(self.now);
                    }
                }
            }
        }
        if let Some(id) = self.page_conn {
            if self.page.transmit_due(self.now) {
                while let Some(bytes) = self.page.poll_transmit() {
                    self.send_to_broker(id, bytes);
                }
            }
        }
    }

    fn plug_io(&mut self, index: usize) {
        let now = self.now;
        let mut replies: Vec<PlugPublish> = Vec::new();
        {
            let plug = &mut self.plugs[index];
            if plug.conn.is_none() && plug.plugged && self.broker.up && now >= plug.retry_at {
                let id = self.next_conn;
                self.next_conn += 1;
                self.pipes.insert(id, Pipe::default());
                self.broker.conns.insert(id, BrokerConn::default());
                plug.conn = Some(id);
                plug.session.handle_transport_open(now);
            }
            while let Some(event) = plug.session.poll_event() {
                match event {
                    SessionEvent::Connected { .. } => {
                        replies.extend(plug.plug.on_connected());
                        let filters = plug.plug.subscriptions();
                        let _ = plug.session.subscribe(now, &filters);
                    }
                    SessionEvent::Message(message) => {
                        let payload = String::from_utf8_lossy(&message.payload).into_owned();
                        if message.topic.ends_with("/POWER")
                            && message.topic.starts_with("cmnd/")
                            && !payload.is_empty()
                        {
                            plug.commands.push(now);
                        }
                        replies.extend(plug.plug.on_message(
                            Duration::from_millis(now),
                            &message.topic,
                            &payload,
                        ));
                    }
                    SessionEvent::Lost(_) | SessionEvent::Refused(_) => {
                        if let Some(id) = plug.conn.take() {
                            self.pipes.remove(&id);
                            self.broker.drop_conn(id);
                        }
                        plug.retry_at = now + 300;
                    }
                    _ => {}
                }
            }
            for reply in replies {
                let _ = plug.session.publish(
                    now,
                    &reply.topic,
                    reply.payload.as_bytes(),
                    QoS::AtLeastOnce,
                    reply.retain,
                );
            }
        }
        if let Some(id) = self.plugs[index].conn {
            let mut out = Vec::new();
            while let Some(bytes) = self.plugs[index].session.poll_transmit() {
                out.push(bytes);
            }
            for bytes in out {
                self.send_to_broker(id, bytes);
            }
        }
    }

    fn deliver_due(&mut self) {
        let now = self.now;
        let ids: Vec<ConnId> = self.pipes.keys().copied().collect();
        for id in ids {
            let page_asleep = self.page_asleep_until.is_some() && self.page_conn == Some(id);
            while let Some(pipe) = self.pipes.get_mut(&id) {
                if pipe.stalled_until > now || page_asleep {
                    break;
                }
                let to_broker = pipe.to_broker.front().is_some_and(|(at, _)| *at <= now);
                let to_client = pipe.to_client.front().is_some_and(|(at, _)| *at <= now);
                if to_broker {
                    let Some((_, bytes)) = pipe.to_broker.pop_front() else {
                        break;
                    };
                    let (out, close) = self.broker.receive(id, &bytes);
                    for (to, bytes) in out {
                        self.send_to_client(to, bytes);
                    }
                    for id in close {
                        self.cut(id);
                    }
                } else if to_client {
                    let Some((_, bytes)) = pipe.to_client.pop_front() else {
                        break;
                    };
                    if self.page_conn == Some(id) {
                        self.page.handle_bytes(now, &bytes);
                    } else if let Some(plug) = self.plugs.iter_mut().find(|p| p.conn == Some(id)) {
                        plug.session.handle_bytes(now, &bytes);
                    }
                } else {
                    break;
                }
            }
        }
    }

    fn timers(&mut self) {
        let now = self.now;
        match self.page_asleep_until {
            Some(until) if now >= until => {
                // Awake: the clock has jumped; the glue says so before any late timer runs.
                self.page_asleep_until = None;
                self.page.handle_wake(now);
            }
            Some(_) => {}
            None => {}
        }
        if self.page_asleep_until.is_none() && self.page.poll_timeout().is_some_and(|at| at <= now)
        {
            self.page.handle_timeout(now);
        }
        for plug in &mut self.plugs {
            if plug.session.poll_timeout().is_some_and(|at| at <= now) {
                plug.session.handle_timeout(now);
            }
        }
    }

    /// The seed's faults and the user's actions for this step.
    fn chaos(&mut self) {
        if !self.broker.up && self.now >= self.broker_back_at {
            self.broker.up = true;
        }
        if self.now >= FAULTY_FOR {
            // The end is quiet: devices are plugged back in.
            for plug in &mut self.plugs {
                plug.plugged = true;
            }
            return;
        }
        let roll = self.random.below(10_000);
        match roll {
            // A cut page connection (a NAT reset, a phone changing networks).
            0..=3 => {
                if let Some(id) = self.page_conn {
                    self.cut(id);
                    self.last_fault = self.last_fault.max(self.now);
                }
            }
            // The broker restarts, with or without persistence, down 0.2 to 10 s.
            4 if self.broker.up => {
                let ids: Vec<ConnId> = self.pipes.keys().copied().collect();
                self.broker.up = false;
                for id in ids {
                    // Killed: nobody's will goes out.
                    if let Some(conn) = self.broker.conns.get_mut(&id) {
                        conn.will = None;
                    }
                    self.cut(id);
                }
                if !self.broker.persistent {
                    self.broker.retained.clear();
                }
                self.broker_back_at = self.now + 200 + self.random.below(9_800);
                self.last_fault = self.last_fault.max(self.now);
            }
            // A device unplugged, or plugged back.
            5..=6 => {
                let index = self.random.below(self.plugs.len() as u64) as usize;
                let plug = &mut self.plugs[index];
                plug.plugged = !plug.plugged;
                if !plug.plugged {
                    if let Some(id) = plug.conn {
                        self.cut(id);
                    }
                }
                self.last_fault = self.last_fault.max(self.now);
            }
            // Someone presses a device's button.
            7..=20 => {
                let index = self.random.below(self.plugs.len() as u64) as usize;
                let now = Duration::from_millis(self.now);
                let reports = self.plugs[index].plug.press_button(now);
                for report in reports {
                    let _ = self.plugs[index].session.publish(
                        self.now,
                        &report.topic,
                        report.payload.as_bytes(),
                        QoS::AtLeastOnce,
                        report.retain,
                    );
                }
            }
            // A click on a switch (sometimes a storm of them); nobody clicks a sleeping phone.
            21..=120 if self.page_asleep_until.is_none() => {
                let index = self.random.below(self.plugs.len() as u64) as usize;
                let clicks = if roll < 30 { 10 } else { 1 };
                for _ in 0..clicks {
                    let command = match self.random.below(3) {
                        0 => SwitchCommand::On,
                        1 => SwitchCommand::Off,
                        _ => SwitchCommand::Toggle,
                    };
                    if self
                        .page
                        .request(self.now, self.ids[index], 0, command)
                        .is_ok()
                    {
                        self.user.accepted[index] += 1;
                        self.user.at[index].push(self.now);
                    }
                }
            }
            // An edit of the device list (a rename) while things happen.
            121..=125 if self.page_asleep_until.is_none() => {
                let index = self.random.below(self.plugs.len() as u64) as usize;
                let id = self.ids[index];
                let label = format!("Device {}", self.random.below(100));
                if self.edits_rebuild {
                    self.rebuild_page(index, label);
                } else if let Some(device) = self.page.device(id) {
                    let mut config = device.config.clone();
                    config.label = label;
                    let _ = self.page.update_device(self.now, id, config);
                }
            }
            // The network gets slower or faster.
            126..=130 => self.latency = 1 + self.random.below(80),
            // The page's link goes silent for 1 to 20 s without closing (keepalive must notice).
            131..=132 => {
                if let Some(id) = self.page_conn {
                    let until = self.now + 1_000 + self.random.below(19_000);
                    if let Some(pipe) = self.pipes.get_mut(&id) {
                        pipe.stalled_until = until;
                    }
                    self.last_fault = self.last_fault.max(until);
                }
            }
            // The phone sleeps 2 to 40 s (screen off, tab frozen): the page's timers do not run
            // and it hears nothing; the rest of the world goes on, and the broker may drop it.
            133..=134 if self.page_asleep_until.is_none() => {
                let until = self.now + 2_000 + self.random.below(38_000);
                self.page_asleep_until = Some(until);
                self.last_fault = self.last_fault.max(until);
            }
            _ => {}
        }
    }

    fn quiet(&self) -> bool {
        self.pipes
            .values()
            .all(|p| p.to_broker.is_empty() && p.to_client.is_empty())
    }

    fn check(&self) -> Result<(), String> {
        // No lie: nothing usable while the page is not connected.
        if self.page.link().phase != LinkPhase::Connected {
            for (index, device) in self.page.devices().iter().enumerate() {
                if device.state().is_switch_usable(0) {
                    return Err(self.fail(
                        "no lie",
                        format!(
                            "sim{index} usable while the link is {:?}",
                            self.page.link().phase
                        ),
                    ));
                }
            }
        }
        // No lie: on a quiet network, a state shown is the device's real one.
        if self.quiet() && self.page.link().phase == LinkPhase::Connected {
            for (index, device) in self.page.devices().iter().enumerate() {
                let plug = &self.plugs[index];
                let channel = &device.state().channels[0];
                if plug.conn.is_some()
                    && plug.session.is_connected()
                    && channel.power_is_current
                    && channel.pending.is_none()
                    && channel.power != Some(plug.plug.power_summary().contains("ON"))
                {
                    return Err(self.fail(
                        "no lie",
                        format!(
                            "sim{index} shows {:?}, the device is {}",
                            channel.power,
                            plug.plug.power_summary()
                        ),
                    ));
                }
            }
        }
        // No unasked command, within the relay limit.
        for (index, plug) in self.plugs.iter().enumerate() {
            if plug.commands.len() as u64 > self.user.accepted[index] {
                return Err(self.fail(
                    "no unasked command",
                    format!(
                        "sim{index} received {} commands, the user made {}",
                        plug.commands.len(),
                        self.user.accepted[index]
                    ),
                ));
            }
            // The limit holds where the page sends (4 in any 10 s; the network may bunch them
            // up on the way by its jitter, which no client controls); every command the device
            // received was one of those (the count above).
            let recent = self.user.at[index]
                .iter()
                .filter(|at| **at + 10_000 > self.now)
                .count();
            if recent > 4 {
                return Err(self.fail(
                    "relay limit",
                    format!(
                        "sim{index} received {recent} commands within 10 s (received at {:?}; clicks accepted at {:?})",
                        plug.commands.iter().rev().take(6).rev().collect::<Vec<_>>(),
                        self.user.at[index].iter().rev().take(6).rev().collect::<Vec<_>>()
                    ),
                ));
            }
        }
        if let Some(topic) = self.broker.page_retained.first() {
            return Err(self.fail("nothing retained", format!("the page retained {topic}")));
        }
        Ok(())
    }

    /// Runs the seed to its end; the first broken invariant, if any.
    fn run(&mut self) -> Result<(), String> {
        self.page.start();
        while self.now < FAULTY_FOR + QUIET_END {
            self.chaos();
            self.page_io();
            for index in 0..self.plugs.len() {
                self.plug_io(index);
            }
            self.deliver_due();
            self.timers();
            self.page_io();
            for index in 0..self.plugs.len() {
                self.plug_io(index);
            }
            self.check()?;
            if self.page.link().phase == LinkPhase::Connected && self.now <= FAULTY_FOR {
                self.last_connected = self.now;
            }
            if self.now == self.back_deadline() {
                self.check_back()?;
            }
            self.now += STEP;
        }
        Ok(())
    }

    /// When every device must be usable again: [`BACK_WITHIN`] after the faults stopped and
    /// the broker was back, when the outage lasted at most [`SHORT_OUTAGE`]; after a longer
    /// one the page has backed off (up to its 30 s cap), and gets that much more.
    fn back_deadline(&self) -> Millis {
        let reachable_since = self.last_fault.max(self.broker_back_at).max(FAULTY_FOR);
        let outage = reachable_since.saturating_sub(self.last_connected);
        let bound = if outage <= SHORT_OUTAGE {
            BACK_WITHIN
        } else {
            RECONNECT_CAP + BACK_WITHIN
        };
        (reachable_since + bound).div_ceil(STEP) * STEP
    }

    fn check_back(&mut self) -> Result<(), String> {
        let reachable_since = self.last_fault.max(self.broker_back_at).max(FAULTY_FOR);
        // A device a click storm locked stays locked until the user unlocks it (by design):
        // the user does, and it must be usable at once.
        for id in self.ids.clone() {
            self.page.unlock(self.now, id);
        }
        for (index, device) in self.page.devices().iter().enumerate() {
            if self.plugs[index].plugged && !device.state().is_switch_usable(0) {
                return Err(self.fail(
                    "always back",
                    format!(
                        "sim{index} not usable {} ms after the last fault, {} ms after the page was last connected (link {:?}; device connected {}; state {:?})",
                        self.now - reachable_since,
                        self.now - self.last_connected,
                        self.page.link().phase,
                        self.plugs[index].session.is_connected(),
                        device.state().channels.first().map(|c| (c.power, c.power_is_current, c.pending.is_some())),
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Runs `seeds` seeds from `first`; the failures, one line each.
pub fn run_seeds(first: u64, seeds: u64) -> Vec<String> {
    (first..first + seeds)
        .filter_map(|seed| World::new(seed, 3).run().err())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_finds_the_pre_round_edit_that_reset_relay_protection() {
        // Before this round an edit of the device list rebuilt the dashboard: the relay guard of
        // a device locked by a click storm started afresh. The same seeds, the old edit: the
        // simulation must catch it (and it passes them with today's edit, in the test above).
        let failures: Vec<String> = (1..=100)
            .filter_map(|seed| {
                let mut world = World::new(seed, 3);
                world.edits_rebuild = true;
                world.run().err()
            })
            .collect();
        let limit = failures
            .iter()
            .filter(|f| f.contains("\"relay limit\""))
            .count();
        println!(
            "simulation with the pre-round edit: {} of 100 seeds fail, {limit} on \"relay limit\"; first: {}",
            failures.len(),
            failures.first().map_or("", |f| f.lines().next().unwrap_or(""))
        );
        assert!(limit > 0, "the old edit went unnoticed: {failures:?}");
    }

    #[test]
    fn simulation_a_seed_splits_and_merges_packets_toward_the_page_and_puts_it_to_sleep() {
        // The faults this world draws must actually happen, or the invariants prove little.
        let (mut reframed, mut slept) = (0, 0);
        for seed in 1..=20 {
            let mut world = World::new(seed, 3);
            let mut asleep = false;
            world.page.start();
            while world.now < FAULTY_FOR {
                world.chaos();
                asleep |= world.page_asleep_until.is_some();
                world.page_io();
                for index in 0..world.plugs.len() {
                    world.plug_io(index);
                }
                world.deliver_due();
                world.timers();
                world.now += STEP;
            }
            reframed += world.reframed;
            slept += u64::from(asleep);
        }
        assert!(
            reframed > 100,
            "only {reframed} chunks reframed in 20 seeds"
        );
        assert!(slept > 5, "the page slept in only {slept} of 20 seeds");
    }

    #[test]
    fn simulation_the_core_keeps_its_promises_under_seeded_faults() {
        let (first, seeds) = match std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()) {
            Some(seed) => (seed, 1),
            None => (
                1,
                std::env::var("SIM_SEEDS")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(CI_SEEDS),
            ),
        };
        let started = std::time::Instant::now();
        let failures = run_seeds(first, seeds);
        let simulated_s = (FAULTY_FOR + QUIET_END) as f64 / 1000.0 * seeds as f64;
        println!(
            "simulation: {seeds} seeds, {:.1} simulated hours, {:.1} s; {} failed",
            simulated_s / 3600.0,
            started.elapsed().as_secs_f64(),
            failures.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
