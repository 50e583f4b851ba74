//! What the user does to devices: switch, act, a room's "all off", a Tasmota group off, clear
//! a ghost, unlock, schedules, a raw publish. Each goes through [`Dashboard::touch`]: locate,
//! act, flush (messages out, deadline re-filed, revision moved).

use mqttbytes::QoS;

use crate::adapter::{Device, DeviceAction};
use crate::device::{CommandError, SwitchCommand};
use crate::device_config::DeviceAddress;
use crate::message_log::Direction;
use crate::schedule_book::{ScheduleChange, WallClock};
use crate::tasmota::TasmotaProtocol;
use crate::time::Millis;

use super::{Dashboard, DeviceId, RoomOff};

impl Dashboard {
    /// Runs `act` on device `id`'s adapter, then flushes the device: whatever `act` returns,
    /// refused or not, the device was touched (a held-back click may have locked it), so its
    /// messages go out, its deadline is re-filed and its revision moves.
    pub(super) fn touch<T>(
        &mut self,
        now: Millis,
        id: DeviceId,
        act: impl FnOnce(&mut Device) -> T,
    ) -> Result<T, CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let result = act(&mut self.devices[index].adapter);
        self.flush_device(now, index);
        Ok(result)
    }

    /// The user opened a device's schedules: subscribe to what they need and ask the device
    /// for them and for its clock. `wall` is the browser's clock at `now`.
    pub fn open_schedules(
        &mut self,
        now: Millis,
        id: DeviceId,
        wall: WallClock,
    ) -> Result<(), CommandError> {
        let device = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let entry = &mut self.devices[device];
        let before = entry.adapter.subscriptions();
        entry.adapter.open_schedules(now, wall);
        let added: Vec<String> = entry
            .adapter
            .subscriptions()
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        if !added.is_empty() {
            self.router.add(device, added.clone());
            if self.session.is_connected() {
                if let Err(error) = self.session.subscribe(now, &added) {
                    self.link.problem = Some(crate::say!("Could not subscribe: {}.", error));
                }
            }
        }
        self.flush_device(now, device);
        Ok(())
    }

    /// A device's schedules are still open: ask its clock again (every
    /// [`crate::schedule_book::CLOCK_REFRESH_MS`], and when the tab is shown again).
    pub fn refresh_schedule_clock(
        &mut self,
        now: Millis,
        id: DeviceId,
        wall: WallClock,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.refresh_clock(now, wall))
    }

    /// The tab is shown again: every device whose schedules are open is asked for its clock.
    pub fn refresh_open_clocks(&mut self, now: Millis, wall: WallClock) {
        for index in 0..self.devices.len() {
            if self.devices[index].state().schedules.opened {
                self.devices[index].adapter.refresh_clock(now, wall);
                self.flush_device(now, index);
            }
        }
    }

    /// The user changed a device's schedules; the sentence says why it was not sent.
    pub fn change_schedule(
        &mut self,
        now: Millis,
        id: DeviceId,
        change: ScheduleChange,
    ) -> Result<(), String> {
        self.touch(now, id, |device| device.change_schedule(now, change))
            .map_err(CommandError::explain)?
    }

    /// Publishes what the user typed (QoS 1). `retain` only when the user asked for it.
    pub fn publish_raw(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
        retain: bool,
    ) -> Result<(), String> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline.explain());
        }
        crate::device_config::validate_device_topic(topic)
            .map_err(|why| crate::say!("Not sent: {}", why))?;
        self.session
            .publish(now, topic, payload, QoS::AtLeastOnce, retain)
            .map_err(|error| crate::say!("Not sent: {}.", error))?;
        if let Some(log) = &mut self.log {
            log.record(now, Direction::Out, topic, payload, retain);
        }
        Ok(())
    }

    /// The user operated a switch (`channel` of `device`).
    pub fn request(
        &mut self,
        now: Millis,
        id: DeviceId,
        channel: usize,
        command: SwitchCommand,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.request(now, channel, command))?
    }

    /// The user asked a device for something besides switching (refresh, stats, address).
    pub fn act(
        &mut self,
        now: Millis,
        id: DeviceId,
        action: DeviceAction,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.act(action))?
    }

    /// A room's "all off": every relay of the devices in `room` (`None`: devices without one)
    /// that the device last reported on gets an "off", through the same checks and rate limit
    /// as a click. Decided on the devices' current states, never on what a screen last drew.
    pub fn switch_off_room(&mut self, now: Millis, room: Option<&str>) -> RoomOff {
        let mut result = RoomOff::default();
        for index in 0..self.devices.len() {
            let entry = &self.devices[index];
            if entry.config.room.as_deref() != room {
                continue;
            }
            let on: Vec<usize> = entry
                .state()
                .channels
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.role == crate::device::ChannelRole::Relay
                        && c.power == Some(true)
                        && c.power_is_current
                })
                .map(|(channel, _)| channel)
                .collect();
            for channel in on {
                match self.devices[index]
                    .adapter
                    .request(now, channel, SwitchCommand::Off)
                {
                    Ok(()) => result.sent += 1,
                    Err(error) => result.refused.push(error),
                }
            }
            self.flush_device(now, index);
        }
        result
    }

    /// Switches off every relay of every Tasmota device listening to `group` (by default
    /// `tasmotas`), using the FullTopic of the first Tasmota device on the dashboard. The
    /// devices' own reports then move their switches.
    pub fn tasmota_group_off(&mut self, now: Millis, group: &str) -> Result<(), CommandError> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline);
        }
        let like = self
            .devices
            .iter()
            .find_map(|d| match &d.config.address {
                DeviceAddress::Tasmota(address) => Some(address.clone()),
                _ => None,
            })
            .ok_or(CommandError::NoSuchDevice)?;
        self.publish(now, None, TasmotaProtocol::group_off(&like, group));
        Ok(())
    }

    /// Deletes the retained command found on a device's command topic (an empty retained
    /// message: the only retained publish the page ever makes, and it cannot switch anything).
    pub fn clear_ghost(&mut self, now: Millis, id: DeviceId) -> Result<(), CommandError> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline);
        }
        let topic = self
            .touch(now, id, Device::take_ghost_to_clear)?
            .ok_or(CommandError::NoSuchDevice)?;
        if let Err(error) = self
            .session
            .publish(now, &topic, b"", QoS::AtLeastOnce, true)
        {
            self.link.problem = Some(crate::say!("Could not clear \"{}\": {}.", topic, error));
        }
        Ok(())
    }

    /// The user confirmed that a locked device may be switched again.
    pub fn unlock(&mut self, now: Millis, id: DeviceId) {
        let _ = self.touch(now, id, Device::unlock);
    }
}
