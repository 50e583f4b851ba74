//! MQTT 5 reason codes in words (MQTT 5.0 section 2.4). One table serves CONNACK, PUBACK,
//! SUBACK and DISCONNECT, which share the code space.

/// The meaning of an MQTT 5 reason code, in words a user can read.
pub fn describe(code: u8) -> String {
    match code {
        0x00 => crate::say!("success"),
        0x04 => crate::say!("disconnect with will message"),
        0x10 => crate::say!("no subscriber matched"),
        0x80 => crate::say!("unspecified error"),
        0x81 => crate::say!("malformed packet"),
        0x82 => crate::say!("protocol error"),
        0x83 => crate::say!("implementation-specific error"),
        0x84 => crate::say!("unsupported protocol version"),
        0x85 => crate::say!("client identifier not valid"),
        0x86 => crate::say!("bad user name or password"),
        0x87 => crate::say!("not authorized"),
        0x88 => crate::say!("server unavailable"),
        0x89 => crate::say!("server busy"),
        0x8A => crate::say!("banned"),
        0x8B => crate::say!("server shutting down"),
        0x8C => crate::say!("bad authentication method"),
        0x8D => crate::say!("keepalive timeout"),
        0x8E => crate::say!("session taken over by another client with the same id"),
        0x8F => crate::say!("topic filter invalid"),
        0x90 => crate::say!("topic name invalid"),
        0x91 => crate::say!("packet identifier in use"),
        0x93 => crate::say!("receive maximum exceeded"),
        0x94 => crate::say!("topic alias invalid"),
        0x95 => crate::say!("packet too large"),
        0x96 => crate::say!("message rate too high"),
        0x97 => crate::say!("quota exceeded"),
        0x98 => crate::say!("administrative action"),
        0x99 => crate::say!("payload format invalid"),
        0x9A => crate::say!("retain not supported"),
        0x9B => crate::say!("QoS not supported"),
        0x9C => crate::say!("use another server"),
        0x9D => crate::say!("server moved"),
        0x9E => crate::say!("shared subscriptions not supported"),
        0x9F => crate::say!("connection rate exceeded"),
        0xA0 => crate::say!("maximum connect time"),
        0xA1 => crate::say!("subscription identifiers not supported"),
        0xA2 => crate::say!("wildcard subscriptions not supported"),
        _ => crate::say!("unknown reason"),
    }
}

/// `0x87`.
fn hex(code: u8) -> String {
    format!("0x{code:02X}")
}

/// `"<words> (code 0x87)"`, with the broker's own reason string when it sent one.
pub fn describe_with(code: u8, reason_string: Option<&str>) -> String {
    match reason_string.map(str::trim).filter(|s| !s.is_empty()) {
        Some(said) => crate::say!(
            "{} (code {}; the broker says: \"{}\")",
            describe(code),
            hex(code),
            said
        ),
        None => crate::say!("{} (code {})", describe(code), hex(code)),
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
