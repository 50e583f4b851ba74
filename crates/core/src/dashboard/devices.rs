//! The device list: add, remove, update and move devices by [`DeviceId`], each changing only
//! what it must (subscribe and unsubscribe the difference), never the connection.

use std::collections::BTreeSet;

use crate::adapter::Device;
use crate::device::{CommandError, PENDING_BITS};
use crate::device_config::{DeviceAddress, DeviceConfig};
use crate::time::Millis;

use super::{Dashboard, DashboardDevice, DeviceId};

/// How many removed devices' relay guards are kept for a re-add.
pub const REMOVED_GUARDS_KEPT: usize = 8;

impl Dashboard {
    /// Adds a device at the end; if connected, subscribes and asks for its state at once.
    /// Nothing else changes: no reconnect, every other device as it was.
    pub fn add_device(&mut self, now: Millis, config: DeviceConfig) -> DeviceId {
        let id = DeviceId(self.next_id);
        self.insert_device(now, id, config);
        id
    }

    /// Adds a device under an identity the caller issued (the page names its rows before a
    /// dashboard runs); refused if a device already has it.
    pub fn add_device_as(
        &mut self,
        now: Millis,
        id: DeviceId,
        config: DeviceConfig,
    ) -> Result<(), CommandError> {
        if self.index_of(id).is_some() {
            return Err(CommandError::NoSuchDevice);
        }
        self.insert_device(now, id, config);
        Ok(())
    }

    pub(super) fn insert_device(&mut self, now: Millis, id: DeviceId, config: DeviceConfig) {
        self.next_id = self.next_id.max(id.0.wrapping_add(1));
        let index = self.devices.len();
        let mut adapter = Device::new(&config, &self.rpc_source(id));
        // The same relay again (removed, then added back): its protection continues.
        if let Some(at) = self
            .removed_guards
            .iter()
            .position(|(address, _)| *address == config.address)
        {
            if let Some((_, guard)) = self.removed_guards.remove(at) {
                adapter.adopt_relay_guard(guard);
                adapter.set_limit(config.options.limit);
            }
        }
        self.router.add(index, adapter.subscriptions());
        self.usability_of.push(adapter.state().usability());
        self.devices.push(DashboardDevice {
            id,
            config,
            adapter,
            revision: 0,
        });
        self.deadlines.push();
        self.note_deadline(index);
        self.connect_device(now, index);
    }

    /// Removes a device: its topics no other device needs are unsubscribed; every other device
    /// keeps its state, its relay protection, its pending command and its schedules.
    pub fn remove_device(&mut self, now: Millis, id: DeviceId) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let removed = self.devices.remove(index);
        // Kept, so adding the same device back does not reset its relay protection (the
        // simulation found a removal and a re-add letting a click storm through).
        if self.removed_guards.len() == REMOVED_GUARDS_KEPT {
            self.removed_guards.pop_front();
        }
        self.removed_guards.push_back((
            removed.config.address.clone(),
            removed.adapter.relay_guard().clone(),
        ));
        self.publish_owners.retain(|_, owner| *owner != id);
        self.rebuild_indexes();
        self.unsubscribe_unused(now, removed.adapter.subscriptions());
        Ok(())
    }

    /// Edits a device in place (label, room, protections, address). Its relay protection (recent
    /// commands, a lock) is kept, also when its address changes; a new limit applies from now
    /// on. A new address means new topics: the old ones no other device needs are
    /// unsubscribed, the new ones subscribed and the device asked for its state. No reconnect.
    pub fn update_device(
        &mut self,
        now: Millis,
        id: DeviceId,
        config: DeviceConfig,
    ) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        if self.devices[index].config.address == config.address {
            let entry = &mut self.devices[index];
            entry.adapter.set_limit(config.options.limit);
            entry.config = config;
            self.note_deadline(index);
            return Ok(());
        }
        let mut adapter = Device::new(&config, &self.rpc_source(id));
        adapter.set_limit(config.options.limit);
        let entry = &mut self.devices[index];
        adapter.adopt_guard(&entry.adapter);
        let old = std::mem::replace(&mut entry.adapter, adapter);
        entry.config = config;
        self.publish_owners.retain(|_, owner| *owner != id);
        self.rebuild_indexes();
        self.unsubscribe_unused(now, old.subscriptions());
        self.connect_device(now, index);
        Ok(())
    }

    /// Moves a device to `position` in the list (clamped to the end); nothing else changes.
    pub fn move_device(&mut self, id: DeviceId, position: usize) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let entry = self.devices.remove(index);
        let position = position.min(self.devices.len());
        self.devices.insert(position, entry);
        self.rebuild_indexes();
        Ok(())
    }

    /// Where device `id` is in the list.
    pub fn index_of(&self, id: DeviceId) -> Option<usize> {
        self.devices.iter().position(|d| d.id == id)
    }

    /// Device `id`, if it is on the dashboard.
    pub fn device(&self, id: DeviceId) -> Option<&DashboardDevice> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// How a device that answers by RPC names this page (unique per tab and device).
    pub(super) fn rpc_source(&self, id: DeviceId) -> String {
        format!("{}-{id}", self.session.options().client_id)
    }

    /// While connected: subscribes device `index`'s topics and asks it for its state.
    pub(super) fn connect_device(&mut self, now: Millis, index: usize) {
        if !self.session.is_connected() {
            return;
        }
        let filters = self.devices[index].adapter.subscriptions();
        if self.session.subscribe(now, &filters).is_ok() {
            self.devices[index].adapter.handle_broker_connected(now);
            self.flush_device(now, index);
        }
    }

    /// Unsubscribes those of `filters` that no device on the dashboard and no discovery
    /// source still listens to.
    pub(super) fn unsubscribe_unused(&mut self, now: Millis, filters: Vec<String>) {
        if !self.session.is_connected() {
            return;
        }
        let still: BTreeSet<String> = self
            .devices
            .iter()
            .flat_map(|d| d.adapter.subscriptions())
            .chain(self.discovery.iter().flat_map(|d| d.subscriptions()))
            .collect();
        let unused: Vec<String> = filters.into_iter().filter(|f| !still.contains(f)).collect();
        if !unused.is_empty() {
            // Failing only when not connected, when the next connection subscribes afresh.
            let _ = self.session.unsubscribe(now, &unused);
        }
    }

    /// The tables kept by position (routes, deadlines, usability), after the list changed
    /// shape (a removal, a move, a device with new topics).
    pub(super) fn rebuild_indexes(&mut self) {
        self.router.clear();
        self.deadlines.reset(self.devices.len());
        self.usability_of = self
            .devices
            .iter()
            .map(|d| d.adapter.state().usability())
            .collect();
        for index in 0..self.devices.len() {
            let filters = self.devices[index].adapter.subscriptions();
            self.router.add(index, filters);
            self.note_deadline(index);
        }
        self.usability_changes += 1;
        self.pending_devices = self
            .usability_of
            .iter()
            .filter(|u| *u & PENDING_BITS != 0)
            .count();
        self.settle_reply_if_done();
    }

    /// Marks the devices whose address equals `address` as withdrawn from (or back in) the
    /// broker's discovery.
    pub fn set_removed(&mut self, address: &DeviceAddress, removed: bool) {
        // Every announcement lands here (most are for devices not on the dashboard): only a
        // device at that address is touched.
        for index in 0..self.devices.len() {
            if self.devices[index].config.address == *address {
                self.devices[index].adapter.set_removed(removed);
                self.note_deadline(index);
            }
        }
    }
}
