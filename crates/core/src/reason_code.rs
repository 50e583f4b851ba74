//! MQTT 5 reason codes in words (MQTT 5.0 section 2.4). One table serves CONNACK, PUBACK,
//! SUBACK and DISCONNECT, which share the code space.

/// The meaning of an MQTT 5 reason code, in words a user can read.
pub fn describe(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x04 => "disconnect with will message",
        0x10 => "no subscriber matched",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation-specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keepalive timeout",
        0x8E => "session taken over by another client with the same id",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason",
    }
}

/// `"<words> (code 0x87)"`, with the broker's own reason string when it sent one.
pub fn describe_with(code: u8, reason_string: Option<&str>) -> String {
    match reason_string.map(str::trim).filter(|s| !s.is_empty()) {
        Some(said) => format!(
            "{} (code 0x{code:02X}; the broker says: \"{said}\")",
            describe(code)
        ),
        None => format!("{} (code 0x{code:02X})", describe(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_with_the_brokers_reason_string() {
        assert_eq!(describe(0x87), "not authorized");
        assert_eq!(
            describe(0x8E),
            "session taken over by another client with the same id"
        );
        assert_eq!(describe(0x42), "unknown reason");
        assert_eq!(
            describe_with(0x86, Some("user alice unknown")),
            "bad user name or password (code 0x86; the broker says: \"user alice unknown\")"
        );
        assert_eq!(describe_with(0x89, Some("  ")), "server busy (code 0x89)");
    }
}
