//! Why a broker refused a connection (the CONNACK return code of MQTT 3.1.1 section 3.2.2.3,
//! or the reason code of MQTT 5), turned into sentences a user can act on.

use crate::codec::ProtocolVersion;
use crate::reason_code;

/// A refused CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRefusal {
    /// The protocol the CONNACK was written in.
    pub version: ProtocolVersion,
    /// The return code (3.1.1: 1 to 5) or reason code (5: 0x80 and up).
    pub code: u8,
    /// MQTT 5's reason string, if the broker sent one.
    pub reason_string: Option<String>,
}

impl ConnectRefusal {
    /// An MQTT 3.1.1 refusal.
    pub fn v311(code: u8) -> Self {
        Self {
            version: ProtocolVersion::V311,
            code,
            reason_string: None,
        }
    }

    /// An MQTT 5 refusal.
    pub fn v5(code: u8, reason_string: Option<String>) -> Self {
        Self {
            version: ProtocolVersion::V5,
            code,
            reason_string,
        }
    }

    /// The broker does not speak the protocol version we asked for (try an older one).
    pub fn is_unsupported_version(&self) -> bool {
        match self.version {
            ProtocolVersion::V311 => self.code == 1,
            ProtocolVersion::V5 => self.code == 0x84,
        }
    }

    /// Wrong user name or password.
    pub fn is_bad_credentials(&self) -> bool {
        match self.version {
            ProtocolVersion::V311 => self.code == 4,
            ProtocolVersion::V5 => self.code == 0x86,
        }
    }

    /// What happened and what the user can do about it.
    pub fn explain(&self) -> String {
        let advice = match (self.version, self.code) {
            (ProtocolVersion::V311, 1) | (ProtocolVersion::V5, 0x84) => crate::say!("The broker does not speak this MQTT version. Choose another version in the connection settings."),
            (ProtocolVersion::V311, 2) | (ProtocolVersion::V5, 0x85) => crate::say!("The broker rejected this page's client id. Some brokers only accept registered ids: allow any client id for this user on the broker."),
            (ProtocolVersion::V311, 3) | (ProtocolVersion::V5, 0x88 | 0x89) => crate::say!("The broker is up but not accepting connections right now. It will be tried again; if this persists, check the broker's log."),
            (ProtocolVersion::V311, 4) | (ProtocolVersion::V5, 0x86 | 0x8C) => crate::say!("The broker refused the user name or password: one of them is wrong. Check both in the connection settings."),
            // Mosquitto and HiveMQ Cloud answer a wrong password with "not authorized", so the
            // password comes first in the advice; an ACL that bars the user is the rarer cause.
            (ProtocolVersion::V311, 5) | (ProtocolVersion::V5, 0x87) => crate::say!("The broker did not authorize this login: the user name or password is probably wrong (check both in the connection settings), or this user may not connect to this broker."),
            (ProtocolVersion::V5, 0x8A) => crate::say!("This client is banned by the broker."),
            (ProtocolVersion::V5, 0x9C | 0x9D) => crate::say!("The broker asks to use another server. Check the broker address."),
            (ProtocolVersion::V5, 0x9F) => crate::say!("The broker limits how often a client may connect. It will be tried again later."),
            _ => crate::say!("The broker refused the connection."),
        };
        match self.version {
            ProtocolVersion::V311 => crate::say!("{} (CONNACK return code {})", advice, self.code),
            ProtocolVersion::V5 => crate::say!(
                "{} Reason: {}.",
                advice,
                reason_code::describe_with(self.code, self.reason_string.as_deref())
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_credentials_tell_the_user_to_check_them_in_both_versions() {
        for refusal in [ConnectRefusal::v311(4), ConnectRefusal::v5(0x86, None)] {
            assert!(refusal.is_bad_credentials());
            assert!(
                refusal.explain().contains("user name or password"),
                "{}",
                refusal.explain()
            );
        }
    }

    #[test]
    fn not_authorized_names_the_password_first_in_both_versions() {
        // Mosquitto answers a wrong password with 5 (3.1.1) or 0x87 (5), not 4 / 0x86.
        for refusal in [ConnectRefusal::v311(5), ConnectRefusal::v5(0x87, None)] {
            let text = refusal.explain();
            assert!(text.contains("password is probably wrong"), "{text}");
            assert!(text.contains("may not connect"), "{text}");
            assert!(!text.contains("ACL"), "{text}");
        }
    }

    #[test]
    fn an_mqtt5_refusal_carries_the_brokers_reason_string() {
        let refusal = ConnectRefusal::v5(0x87, Some("ACL denies alice".into()));
        let text = refusal.explain();
        assert!(text.contains("not authorized (code 0x87"), "{text}");
        assert!(text.contains("ACL denies alice"), "{text}");
    }

    #[test]
    fn unsupported_version_is_recognised_in_both_versions() {
        assert!(ConnectRefusal::v311(1).is_unsupported_version());
        assert!(ConnectRefusal::v5(0x84, None).is_unsupported_version());
        assert!(!ConnectRefusal::v5(0x86, None).is_unsupported_version());
    }
}
