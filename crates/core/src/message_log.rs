//! The last messages the page saw and sent, for when something is off: bounded in entries
//! and in bytes per entry, so a flood or a 1 MB payload cannot exhaust memory.
//!
//! Payloads are kept as text (invalid UTF-8 replaced, clipped to [`MAX_PAYLOAD_CHARS`]);
//! topics are matched with MQTT filters (`+`, `#`) or, without wildcards, as a substring.

use std::collections::VecDeque;

use crate::device::clip_text;
use crate::time::Millis;

/// Entries kept.
pub const LOG_CAPACITY: usize = 200;
/// Characters of a payload kept per entry.
pub const MAX_PAYLOAD_CHARS: usize = 300;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the broker.
    In,
    /// Published by the page.
    Out,
}

/// One logged message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Counts up from 1; tells the page what is new.
    pub sequence: u64,
    /// When (the caller's clock).
    pub at: Millis,
    /// Which way.
    pub direction: Direction,
    /// The topic (clipped).
    pub topic: String,
    /// The payload as text (clipped).
    pub payload: String,
    /// The payload's size in bytes.
    pub bytes: usize,
    /// The retain flag as received or sent.
    pub retained: bool,
}

/// The ring of recent messages.
#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    entries: VecDeque<LogEntry>,
    next_sequence: u64,
}

impl MessageLog {
    /// Records a message.
    pub fn record(
        &mut self,
        at: Millis,
        direction: Direction,
        topic: &str,
        payload: &[u8],
        retained: bool,
    ) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.next_sequence += 1;
        let kept = &payload[..payload.len().min(MAX_PAYLOAD_CHARS * 4)];
        self.entries.push_back(LogEntry {
            sequence: self.next_sequence,
            at,
            direction,
            topic: clip_text(topic, 200),
            payload: clip_text(&String::from_utf8_lossy(kept), MAX_PAYLOAD_CHARS),
            bytes: payload.len(),
            retained,
        });
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.entries.iter()
    }

    /// The sequence number of the newest entry (0 when empty).
    pub fn last_sequence(&self) -> u64 {
        self.next_sequence
    }
}

/// True if `topic` matches `filter`: an MQTT filter when it has `+` or `#`, otherwise a
/// substring (so typing part of a topic finds it). An empty filter matches everything.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    let filter = filter.trim();
    if filter.is_empty() {
        return true;
    }
    if !filter.contains(['+', '#']) {
        return topic.contains(filter);
    }
    let mut levels = topic.split('/');
    for part in filter.split('/') {
        match (part, levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (exact, Some(level)) if exact == level => {}
            _ => return false,
        }
    }
    levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_entries_and_clips_big_payloads() {
        let mut log = MessageLog::default();
        for i in 0..(LOG_CAPACITY + 50) {
            log.record(
                i as Millis,
                Direction::In,
                "t",
                format!("{i}").as_bytes(),
                false,
            );
        }
        assert_eq!(log.entries().count(), LOG_CAPACITY);
        assert_eq!(log.entries().next().unwrap().payload, "50");
        assert_eq!(log.last_sequence(), (LOG_CAPACITY + 50) as u64);
        log.record(0, Direction::Out, "big", &vec![b'x'; 1 << 20], true);
        let last = log.entries().last().unwrap();
        assert_eq!(
            (last.bytes, last.payload.chars().count()),
            (1 << 20, MAX_PAYLOAD_CHARS + 1)
        );
        log.record(0, Direction::In, "bin", &[0xff, 0xfe, b'a'], false);
        assert_eq!(log.entries().last().unwrap().payload, "\u{fffd}\u{fffd}a");
    }

    #[test]
    fn filters_match_like_mqtt_or_as_text() {
        for (filter, topic, expected) in [
            ("", "a/b", true),
            ("stat/+/POWER", "stat/plug/POWER", true),
            ("stat/+/POWER", "stat/plug/RESULT", false),
            ("stat/#", "stat/plug/POWER", true),
            ("#", "anything", true),
            ("stat/+", "stat/plug/POWER", false),
            ("plug", "stat/plug/POWER", true),
            ("lamp", "stat/plug/POWER", false),
        ] {
            assert_eq!(topic_matches(filter, topic), expected, "{filter} {topic}");
        }
    }
}
