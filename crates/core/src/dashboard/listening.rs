//! What the page listens to besides its devices: discovery (devices announcing themselves)
//! and the log of recent messages.

use crate::discovery::{Discovery, DiscoveryChange, Found};
use crate::message_log::MessageLog;
use crate::session::Message;
use crate::time::Millis;

use super::Dashboard;

impl Dashboard {
    /// Starts (or stops) listening for devices that announce themselves on the broker.
    pub fn set_discovery(&mut self, now: Millis, enabled: bool) {
        if !enabled {
            self.discovery = None;
            return;
        }
        if self.discovery.is_some() {
            return;
        }
        let source = format!("{}-discovery", self.session.options().client_id);
        self.discovery = Some(Discovery::new(source));
        if self.session.is_connected() {
            self.subscribe_discovery(now);
        }
    }

    /// Starts (or stops and forgets) the log of recent messages.
    pub fn set_logging(&mut self, enabled: bool) {
        if !enabled {
            self.log = None;
        } else if self.log.is_none() {
            self.log = Some(MessageLog::default());
        }
    }

    /// The recent messages, while logging.
    pub fn log(&self) -> Option<&MessageLog> {
        self.log.as_ref()
    }

    /// The devices found on the broker so far (none while discovery is off).
    pub fn discovered(&self) -> &[Found] {
        self.discovery.as_ref().map_or(&[], |d| d.found())
    }

    /// Why discovery may not see every device, if the broker said so.
    pub fn discovery_problem(&self) -> Option<&str> {
        self.discovery_problem.as_deref()
    }

    pub(super) fn subscribe_discovery(&mut self, now: Millis) {
        let Some(discovery) = &mut self.discovery else {
            return;
        };
        discovery.handle_broker_connected();
        let filters = discovery.subscriptions();
        if let Err(error) = self.session.subscribe(now, &filters) {
            self.discovery_problem = Some(crate::say!("Could not listen for devices: {}.", error));
        }
    }

    /// Hands a message to discovery if it may be an announcement, and applies what it found.
    pub(super) fn route_to_discovery(&mut self, now: Millis, message: &Message) {
        let Some(discovery) = &mut self.discovery else {
            return;
        };
        if !discovery.wants(&message.topic) {
            return;
        }
        if !message.retained {
            discovery.heard_live(&message.topic, &message.payload);
        }
        discovery.handle_message(&message.topic, &message.payload);
        let mut questions = Vec::new();
        while let Some(question) = discovery.poll_outgoing() {
            questions.push(question);
        }
        let mut changes = Vec::new();
        while let Some(change) = discovery.poll_change() {
            changes.push(change);
        }
        for question in questions {
            self.publish(now, None, question);
        }
        for change in changes {
            match change {
                DiscoveryChange::Retracted(address) => self.set_removed(&address, true),
                DiscoveryChange::Announced(address) => self.set_removed(&address, false),
            }
        }
    }
}
