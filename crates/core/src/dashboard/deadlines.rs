//! Each device's soonest deadline, kept in step as devices are touched, so finding the next
//! timer (and the devices due at it) does not ask every device after every message.

use std::collections::BTreeSet;

use crate::time::Millis;

/// Deadlines by device position.
#[derive(Debug, Default)]
pub struct DeadlineIndex {
    by_time: BTreeSet<(Millis, usize)>,
    of: Vec<Option<Millis>>,
}

impl DeadlineIndex {
    /// Room for `count` devices, none due.
    pub fn reset(&mut self, count: usize) {
        self.by_time.clear();
        self.of = vec![None; count];
    }

    /// One more device at the end, nothing due.
    pub fn push(&mut self) {
        self.of.push(None);
    }

    /// Device `index` is next due at `due` (or never).
    pub fn note(&mut self, index: usize, due: Option<Millis>) {
        let Some(slot) = self.of.get_mut(index) else {
            return;
        };
        if *slot == due {
            return;
        }
        if let Some(old) = slot.take() {
            self.by_time.remove(&(old, index));
        }
        if let Some(new) = due {
            self.by_time.insert((new, index));
        }
        *slot = due;
    }

    /// The soonest deadline of any device.
    pub fn first(&self) -> Option<Millis> {
        self.by_time.first().map(|(at, _)| *at)
    }

    /// The devices due at `now`, soonest first.
    pub fn due(&self, now: Millis) -> Vec<usize> {
        self.by_time
            .range(..=(now, usize::MAX))
            .map(|(_, index)| *index)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soonest_deadline_and_the_devices_due_follow_every_change() {
        let mut index = DeadlineIndex::default();
        index.reset(3);
        index.note(0, Some(500));
        index.note(1, Some(100));
        index.note(2, Some(300));
        assert_eq!(index.first(), Some(100));
        assert_eq!(index.due(300), [1, 2]);
        index.note(1, None);
        assert_eq!(index.first(), Some(300));
        index.note(2, Some(900));
        assert_eq!(index.due(600), [0]);
        index.push();
        index.note(3, Some(50));
        assert_eq!(index.first(), Some(50));
        index.note(7, Some(1));
        assert_eq!(
            index.first(),
            Some(50),
            "a device that is not there is ignored"
        );
    }
}
