//! A device's identity on the dashboard: issued once by the dashboard, never reused, and
//! unchanged by edits of the device (its label, room, limit or even its address), by moves,
//! and by adding or removing other devices. The page, the embedding API and the timers address
//! devices by it, never by their position in the list.

/// The identity of one device on one dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub u32);

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "d{}", self.0)
    }
}
