//! Switchboard's dev kit: everything the demo and the end-to-end tests need on one machine.
//!
//! Map:
//! - [`broker`]: the embedded rumqttd broker (TCP and WebSocket on loopback).
//! - [`tasmota_plug`]: a simulated Tasmota plug's behaviour, pure.
//! - [`plug_runner`]: runs simulated plugs against a broker over TCP, with control commands.
//! - [`mqtt_connection`]: the blocking TCP connection the simulators use (the core's session).
//! - [`static_server`]: serves the built `dist/`.
//! - [`fault_proxy`]: a TCP proxy that can cut or silently stall every connection.
//! - `simulation` (tests only): the whole core under seeded faults in simulated time.
//! - [`flood`]: a steady stream of messages on one topic.
//!
//! Commands (all on 127.0.0.1):
//! - `demo`: broker + three plugs + the page; prints the URL to open.
//! - `broker`: just the embedded broker.
//! - `plugs --broker HOST:PORT TOPIC[=on] ...`: simulated plugs against any broker.
//! - `serve`: just the static file server.
//! - `flood --broker HOST:PORT --topic T --rate N --seconds S [--devices D --first-round K]`:
//!   publish N messages a second (with `--devices`, state reports of D devices by round).
//! - `proxy --listen PORT --upstream HOST:PORT`: the fault proxy; stdin lines `cut`, `stall`,
//!   `resume`.
//!
//! `demo` and `plugs` read control lines on stdin: `press <topic>`, `unplug <topic>`,
//! `plugin <topic>`, `latency <topic> <ms>`, `clock <topic> <seconds>` (shift the device's wall
//! clock: makes a schedule due now, or the clock wrong).

mod broker;
mod contact_sensor;
mod fault_proxy;
mod flood;
mod generic_lamp;
#[cfg(test)]
mod heap_count;
mod json_board;
mod mqtt_connection;
mod plug_runner;
mod shelly_gen1_relay;
mod shelly_job_store;
mod shelly_plug;
#[cfg(test)]
mod sim_broker;
mod sim_clock;
mod sim_device;
#[cfg(test)]
mod sim_wire;
#[cfg(test)]
mod simulation;
mod static_server;
mod tasmota_plug;
mod tasmota_timer_store;

use std::collections::HashMap;

/// Tests weigh what the simulated page holds (see `simulation.rs`).
#[cfg(test)]
#[global_allocator]
static HEAP: heap_count::CountingAlloc = heap_count::CountingAlloc;
use std::io::BufRead;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use plug_runner::{spawn_plug, PlugControl, PlugSettings};
use switchboard_core::config::{parse_device_spec, DashboardConfig, DeviceConfig};

const USAGE: &str = "usage:
  switchboard-devkit demo  [--dist DIR] [--http-port 8080] [--ws-port 9001] [--tcp-port 1883]
  switchboard-devkit broker [--ws-port 9001] [--tcp-port 1883]
  switchboard-devkit plugs --broker 127.0.0.1:1883 [--tele-period SECS] [--no-discovery] DEVICE[=on] ...
      DEVICE: <tasmota topic> | tasmota:<topic>[:<relays>] | shelly:<prefix> | jsonboard:<topic> | generic:<base>
  switchboard-devkit serve [--dist DIR] [--http-port 8080] [--log-requests]
  switchboard-devkit flood --broker 127.0.0.1:1883 --topic T [--rate 5000] [--seconds 3]
      [--devices N --first-round K]  (T with {n}: state reports of N devices, ON/OFF by round)
  switchboard-devkit proxy --listen PORT --upstream 127.0.0.1:9001   (stdin: cut|stall|resume)
control lines on stdin (demo, plugs): press|unplug|plugin <name>, latency <name> <ms>, clock <name> <seconds>";

/// The demo's simulated devices (one of each kind) and how the page lists them.
const DEMO_DEVICES: [&str; 5] = [
    "tasmota:desk_lamp=on",
    "tasmota:power_strip:3",
    "shelly:shellyplugsg3-demo",
    "jsonboard:garage/board",
    "generic:home/fan",
];
const DEMO_PAGE_DEVICES: [&str; 7] = [
    "tasmota:desk_lamp:Desk lamp",
    "tasmota:power_strip:Power strip",
    "shelly:shellyplugsg3-demo:Heater",
    "jsonrelay:garage/board:GP18:momentary:Garage door",
    "jsonrelay:garage/board:GP1:contact:Garage side door",
    "jsonrelay:garage/board:GP16:relay:Garden lights",
    "generic:home/fan/set:home/fan:Fan:avty=home/fan/status",
];

struct Options {
    command: String,
    dist: PathBuf,
    http_port: u16,
    ws_port: u16,
    tcp_port: u16,
    broker: String,
    tele_period: u64,
    no_discovery: bool,
    log_requests: bool,
    plugs: Vec<String>,
    listen: u16,
    upstream: String,
    topic: String,
    rate: u32,
    seconds: u64,
    devices: u32,
    first_round: u64,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        command: args.first().cloned().ok_or("missing command")?,
        dist: PathBuf::from("dist"),
        http_port: 8080,
        ws_port: 9001,
        tcp_port: 1883,
        broker: "127.0.0.1:1883".into(),
        tele_period: 300,
        no_discovery: false,
        log_requests: false,
        plugs: Vec::new(),
        listen: 0,
        upstream: String::new(),
        topic: String::new(),
        rate: 5_000,
        seconds: 3,
        devices: 0,
        first_round: 0,
    };
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let port = |text: String, name: &str| {
            text.parse::<u16>()
                .map_err(|_| format!("{name} must be a port number, got {text:?}"))
        };
        match arg.as_str() {
            "--dist" => options.dist = PathBuf::from(value("--dist")?),
            "--http-port" => options.http_port = port(value("--http-port")?, "--http-port")?,
            "--ws-port" => options.ws_port = port(value("--ws-port")?, "--ws-port")?,
            "--tcp-port" => options.tcp_port = port(value("--tcp-port")?, "--tcp-port")?,
            "--broker" => options.broker = value("--broker")?,
            "--listen" => options.listen = port(value("--listen")?, "--listen")?,
            "--upstream" => options.upstream = value("--upstream")?,
            "--topic" => options.topic = value("--topic")?,
            "--rate" => {
                let text = value("--rate")?;
                options.rate = text
                    .parse()
                    .map_err(|_| format!("--rate must be messages per second, got {text:?}"))?;
            }
            "--seconds" => {
                let text = value("--seconds")?;
                options.seconds = text
                    .parse()
                    .map_err(|_| format!("--seconds must be whole seconds, got {text:?}"))?;
            }
            "--devices" => {
                let text = value("--devices")?;
                options.devices = text
                    .parse()
                    .map_err(|_| format!("--devices must be a count, got {text:?}"))?;
            }
            "--first-round" => {
                let text = value("--first-round")?;
                options.first_round = text
                    .parse()
                    .map_err(|_| format!("--first-round must be a count, got {text:?}"))?;
            }
            "--no-discovery" => options.no_discovery = true,
            "--log-requests" => options.log_requests = true,
            "--tele-period" => {
                let text = value("--tele-period")?;
                options.tele_period = text
                    .parse()
                    .map_err(|_| format!("--tele-period must be seconds, got {text:?}"))?;
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            device => {
                sim_device::parse_sim_spec(device)?;
                options.plugs.push(device.to_string());
            }
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_options(&args) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match options.command.as_str() {
        "demo" => run_demo(&options),
        "broker" => run_broker(&options),
        "plugs" => run_plugs(&options),
        "serve" => run_serve(&options),
        "proxy" => run_proxy(&options),
        "flood" => run_flood(&options),
        other => Err(format!("unknown command {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("switchboard-devkit: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Fails early, with the port named, if something already listens there.
fn ensure_free(port: u16, what: &str) -> Result<(), String> {
    TcpListener::bind(loopback(port)).map(drop).map_err(|e| {
        format!("cannot use port {port} for the {what} ({e}); choose another with the matching --*-port option")
    })
}

fn start_broker(options: &Options) -> Result<(), String> {
    ensure_free(options.tcp_port, "MQTT TCP listener")?;
    ensure_free(options.ws_port, "MQTT WebSocket listener")?;
    broker::start_broker(loopback(options.tcp_port), loopback(options.ws_port));
    // rumqttd binds in its own threads: wait until both listeners accept.
    for _ in 0..100 {
        let up = [options.tcp_port, options.ws_port]
            .iter()
            .all(|port| std::net::TcpStream::connect(loopback(*port)).is_ok());
        if up {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("the embedded broker did not start listening within 5 s".into())
}

fn start_plugs(
    broker: &str,
    specs: &[String],
    tele_period: u64,
    seed_schedules: bool,
    discovery: bool,
) -> Result<HashMap<String, Sender<PlugControl>>, String> {
    let mut controls = HashMap::new();
    let utc_offset_minutes = sim_clock::machine_utc_offset_minutes();
    for spec in specs {
        let mut device = sim_device::parse_sim_spec(spec)?;
        if seed_schedules {
            device.seed_demo_schedules(sim_clock::SimClock::system(0, utc_offset_minutes));
        }
        let name = device.name().to_string();
        let (sender, receiver) = mpsc::channel();
        spawn_plug(
            PlugSettings {
                broker: broker.to_string(),
                device,
                tele_period: Duration::from_secs(tele_period.max(1)),
                utc_offset_minutes,
                discovery,
            },
            receiver,
        );
        controls.insert(name, sender);
    }
    Ok(controls)
}

fn start_server(options: &Options) -> Result<(), String> {
    if !options.dist.is_dir() {
        return Err(format!("{} is not a folder", options.dist.display()));
    }
    let listener = TcpListener::bind(loopback(options.http_port)).map_err(|e| {
        format!(
            "cannot serve on port {} ({e}); choose another with --http-port",
            options.http_port
        )
    })?;
    static_server::serve(listener, options.dist.clone(), options.log_requests);
    Ok(())
}

fn run_demo(options: &Options) -> Result<(), String> {
    if !options.dist.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: build the page first (trunk build --release)",
            options.dist.display()
        ));
    }
    start_broker(options)?;
    start_server(options)?;
    let specs = DEMO_DEVICES.map(String::from);
    let controls = start_plugs(
        &loopback(options.tcp_port).to_string(),
        &specs,
        10,
        true,
        true,
    )?;
    let devices = DEMO_PAGE_DEVICES
        .iter()
        .map(|spec| parse_device_spec(spec))
        .collect::<Result<Vec<DeviceConfig>, String>>()?;
    let config = DashboardConfig {
        broker: Some(format!("ws://127.0.0.1:{}", options.ws_port)),
        devices,
        ..Default::default()
    };
    println!("Switchboard demo is running:");
    println!(
        "  broker   mqtt://127.0.0.1:{}  ws://127.0.0.1:{}",
        options.tcp_port, options.ws_port
    );
    println!("  devices  {}", DEMO_DEVICES.join(", "));
    println!();
    println!(
        "Open http://127.0.0.1:{}/#{}",
        options.http_port,
        config.to_fragment()
    );
    println!();
    println!("Type \"press desk_lamp\" to press a device's button (\"press garage/board\" opens the side door), \"unplug shellyplugsg3-demo\" / \"plugin shellyplugsg3-demo\" to take it away and back, \"clock desk_lamp 3600\" to move its clock (and its timers) an hour on. The desk lamp and the Shelly keep example schedules: press Schedules on their cards. Ctrl-C stops.");
    read_controls(controls)
}

fn run_broker(options: &Options) -> Result<(), String> {
    start_broker(options)?;
    println!(
        "broker ready tcp={} ws={}",
        options.tcp_port, options.ws_port
    );
    loop {
        std::thread::park();
    }
}

fn run_plugs(options: &Options) -> Result<(), String> {
    if options.plugs.is_empty() {
        return Err(format!("name at least one plug topic\n{USAGE}"));
    }
    let controls = start_plugs(
        &options.broker,
        &options.plugs,
        options.tele_period,
        false,
        !options.no_discovery,
    )?;
    println!("plugs ready");
    read_controls(controls)
}

fn run_serve(options: &Options) -> Result<(), String> {
    start_server(options)?;
    println!(
        "serving {} on http://127.0.0.1:{}/",
        options.dist.display(),
        options.http_port
    );
    loop {
        std::thread::park();
    }
}

fn run_flood(options: &Options) -> Result<(), String> {
    if options.topic.is_empty() {
        return Err(format!("flood needs --topic\n{USAGE}"));
    }
    let started = std::time::Instant::now();
    if options.devices > 0 {
        let flood = flood::run_state_flood(
            &options.broker,
            &options.topic,
            options.devices,
            options.first_round,
            options.rate,
            Duration::from_secs(options.seconds),
        )?;
        println!(
            "flood sent {} messages in {:.2} s ({} rounds)",
            flood.messages,
            started.elapsed().as_secs_f64(),
            flood.rounds
        );
        return Ok(());
    }
    let sent = flood::run_flood(
        &options.broker,
        &options.topic,
        options.rate,
        Duration::from_secs(options.seconds),
    )?;
    println!(
        "flood sent {sent} messages in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_proxy(options: &Options) -> Result<(), String> {
    if options.upstream.is_empty() {
        return Err(format!("proxy needs --upstream HOST:PORT\n{USAGE}"));
    }
    let listener = TcpListener::bind(loopback(options.listen))
        .map_err(|e| format!("cannot listen on port {} ({e})", options.listen))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let switch = fault_proxy::FaultSwitch::default();
    fault_proxy::run_proxy(listener, options.upstream.clone(), switch.clone());
    println!("proxy ready listen={port} upstream={}", options.upstream);
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match line.trim() {
            "cut" => switch.cut(),
            "stall" => switch.stall(),
            "resume" => switch.resume(),
            "" => continue,
            other => {
                eprintln!("unknown proxy command {other:?}: cut|stall|resume");
                continue;
            }
        }
        println!("proxy {}", line.trim());
    }
    loop {
        std::thread::park();
    }
}

/// Reads control lines until stdin closes, then keeps running until killed.
fn read_controls(controls: HashMap<String, Sender<PlugControl>>) -> Result<(), String> {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let control = match words.as_slice() {
            ["press", topic] => Some((*topic, PlugControl::PressButton)),
            ["unplug", topic] => Some((*topic, PlugControl::Unplug)),
            ["plugin", topic] => Some((*topic, PlugControl::PlugIn)),
            ["latency", topic, ms] => ms
                .parse()
                .ok()
                .map(|ms| (*topic, PlugControl::SetLatency(ms))),
            ["clock", topic, secs] => secs
                .parse::<i64>()
                .ok()
                .map(|secs| (*topic, PlugControl::ShiftClock(secs))),
            [] => None,
            _ => {
                eprintln!("unknown control line {line:?}: press|unplug|plugin <topic>, latency <topic> <ms>, clock <topic> <seconds>");
                None
            }
        };
        if let Some((topic, control)) = control {
            match controls.get(topic) {
                Some(sender) => {
                    let _ = sender.send(control);
                }
                None => eprintln!("no plug with topic {topic:?}"),
            }
        }
    }
    loop {
        std::thread::park();
    }
}
