//! Which devices listen on a topic, found without asking every device.
//!
//! Three tables: exact topics, `parent/+` filters by parent (one lookup each), and the few
//! devices with any other wildcard (they see every message). A message's listeners are lent
//! out and given back ([`Router::lend`], [`Router::give_back`]), so routing allocates nothing
//! and the caller may touch its devices meanwhile.

use std::collections::HashMap;

/// The listeners of one message, lent out of the tables.
#[derive(Debug, Default)]
pub struct Listeners {
    wildcard: Vec<usize>,
    exact: Vec<usize>,
    children: Vec<usize>,
}

impl Listeners {
    /// Every listening device's position (a device may appear in more than one table).
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.wildcard
            .iter()
            .chain(&self.exact)
            .chain(&self.children)
            .copied()
    }
}

/// Devices by the topics they listen on.
#[derive(Debug, Default)]
pub struct Router {
    exact: HashMap<String, Vec<usize>>,
    children: HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
}

impl Router {
    /// Routes messages matching `filters` to the device at `index`.
    pub fn add(&mut self, index: usize, filters: Vec<String>) {
        for filter in filters {
            let parent = filter
                .strip_suffix("/+")
                .filter(|parent| !parent.contains(['+', '#']));
            if let Some(parent) = parent {
                self.children
                    .entry(parent.to_string())
                    .or_default()
                    .push(index);
            } else if filter.contains(['+', '#']) {
                if !self.wildcard.contains(&index) {
                    self.wildcard.push(index);
                }
            } else {
                self.exact.entry(filter).or_default().push(index);
            }
        }
    }

    /// Forgets every route (the list changed shape; the caller adds them again).
    pub fn clear(&mut self) {
        self.exact.clear();
        self.children.clear();
        self.wildcard.clear();
    }

    /// The listeners of `topic`, lent out until [`Router::give_back`].
    pub fn lend(&mut self, topic: &str) -> Listeners {
        let parent = parent_of(topic);
        Listeners {
            wildcard: std::mem::take(&mut self.wildcard),
            exact: self
                .exact
                .get_mut(topic)
                .map(std::mem::take)
                .unwrap_or_default(),
            children: self
                .children
                .get_mut(parent)
                .map(std::mem::take)
                .unwrap_or_default(),
        }
    }

    /// Puts back what [`Router::lend`] lent for `topic`.
    pub fn give_back(&mut self, topic: &str, listeners: Listeners) {
        self.wildcard = listeners.wildcard;
        if let Some(slot) = self.exact.get_mut(topic) {
            *slot = listeners.exact;
        }
        if let Some(slot) = self.children.get_mut(parent_of(topic)) {
            *slot = listeners.children;
        }
    }
}

fn parent_of(topic: &str) -> &str {
    topic.rsplit_once('/').map_or("", |(parent, _)| parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listeners(router: &mut Router, topic: &str) -> Vec<usize> {
        let lent = router.lend(topic);
        let mut found: Vec<usize> = lent.iter().collect();
        router.give_back(topic, lent);
        found.sort();
        found
    }

    #[test]
    fn exact_child_and_wildcard_filters_each_find_their_devices() {
        let mut router = Router::default();
        router.add(0, vec!["stat/plug/POWER".into(), "tele/plug/STATE".into()]);
        router.add(1, vec!["shellies/plug/relay/+".into()]);
        router.add(2, vec!["homeassistant/+/+/config".into(), "a/#".into()]);
        assert_eq!(listeners(&mut router, "stat/plug/POWER"), [0, 2]);
        assert_eq!(listeners(&mut router, "shellies/plug/relay/0"), [1, 2]);
        assert_eq!(listeners(&mut router, "shellies/plug/relay/0/power"), [2]);
        assert_eq!(listeners(&mut router, "elsewhere"), [2]);
        // Lending and giving back leaves the tables as they were.
        assert_eq!(listeners(&mut router, "stat/plug/POWER"), [0, 2]);
        router.clear();
        assert!(listeners(&mut router, "stat/plug/POWER").is_empty());
    }
}
