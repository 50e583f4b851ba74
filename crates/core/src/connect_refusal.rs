//! CONNACK return codes (MQTT 3.1.1 section 3.2.2.3) turned into sentences a user can act on.

use mqttbytes::v4::ConnectReturnCode;

/// Why a broker refused the connection, from the CONNACK return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// Return code 1.
    UnacceptableProtocolVersion,
    /// Return code 2.
    ClientIdRejected,
    /// Return code 3.
    ServerUnavailable,
    /// Return code 4.
    BadUserNameOrPassword,
    /// Return code 5.
    NotAuthorized,
}

impl ConnectRefusal {
    /// The refusal for a CONNACK code, or `None` for success.
    pub fn from_return_code(code: ConnectReturnCode) -> Option<Self> {
        match code {
            ConnectReturnCode::Success => None,
            ConnectReturnCode::RefusedProtocolVersion => Some(Self::UnacceptableProtocolVersion),
            ConnectReturnCode::BadClientId => Some(Self::ClientIdRejected),
            ConnectReturnCode::ServiceUnavailable => Some(Self::ServerUnavailable),
            ConnectReturnCode::BadUserNamePassword => Some(Self::BadUserNameOrPassword),
            ConnectReturnCode::NotAuthorized => Some(Self::NotAuthorized),
        }
    }

    /// The numeric return code, for logs and bug reports.
    pub fn return_code(self) -> u8 {
        match self {
            Self::UnacceptableProtocolVersion => 1,
            Self::ClientIdRejected => 2,
            Self::ServerUnavailable => 3,
            Self::BadUserNameOrPassword => 4,
            Self::NotAuthorized => 5,
        }
    }

    /// What happened and what the user can do about it.
    pub fn explain(self) -> &'static str {
        match self {
            Self::UnacceptableProtocolVersion => {
                "The broker does not speak MQTT 3.1.1. Enable MQTT 3.1.1 on the broker, or use a broker that supports it."
            }
            Self::ClientIdRejected => {
                "The broker rejected this page's client id. Some brokers only accept registered ids: allow any client id for this user on the broker."
            }
            Self::ServerUnavailable => {
                "The broker is up but not accepting connections right now. It will be tried again; if this persists, check the broker's log."
            }
            Self::BadUserNameOrPassword => {
                "The broker refused the user name or password. Check both in the connection settings."
            }
            Self::NotAuthorized => {
                "This user is not allowed to connect. Check the broker's access rules (ACL) for this user."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_not_a_refusal() {
        assert_eq!(
            ConnectRefusal::from_return_code(ConnectReturnCode::Success),
            None
        );
    }

    #[test]
    fn bad_credentials_tell_the_user_to_check_them() {
        let refusal =
            ConnectRefusal::from_return_code(ConnectReturnCode::BadUserNamePassword).unwrap();
        assert_eq!(refusal.return_code(), 4);
        assert!(refusal.explain().contains("user name or password"));
        let refusal = ConnectRefusal::from_return_code(ConnectReturnCode::NotAuthorized).unwrap();
        assert_eq!(refusal.return_code(), 5);
        assert!(refusal.explain().contains("access rules"));
    }
}
