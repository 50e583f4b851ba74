//! In which order cards far from the screen are brought up to date.
//!
//! A card on screen shows its device's state at the next animation frame. A card far from the
//! screen is not laid out or painted (`content-visibility`), but updating it still costs the
//! page's script time, and with hundreds of devices reporting that would be most of a frame.
//! So each frame the page refreshes stale hidden cards only within a time budget, in the order
//! given here:
//! - first the cards whose usability changed (a state now known, a command confirmed, a device
//!   gone: [`crate::device::DeviceState::usability`]), so opening a dashboard of a hundred
//!   devices shows every switch usable as soon as it is;
//! - then the others round robin in device order, starting after the last one refreshed, so
//!   under a flood no card waits for more than one pass over the stale ones.
//!
//! How many fit in a frame is learnt from the frame rate itself, since most of a hidden
//! card's cost is the browser's, not the script's: while a sweep goes on, each frame that came
//! on time (within half again the shortest frame seen, so a 30 Hz screen is not taken for a
//! slow one) allows [`STEP`] more cards the next frame, and each late frame halves the count,
//! never below the page's minimum (additive increase, multiplicative decrease, as TCP paces
//! itself). A flood the page cannot show at full frame rate thus leaves the far cards behind
//! rather than the frames; when it ends, the count grows back and they catch up.
//!
//! There is no rest between passes: when the reports fit (a few thousand a second on a laptop)
//! every card is current at the end of each frame, so nothing is left stale when a flood ends.
//! And a frame before which nothing arrived from the broker (the flood ended, or paused) has
//! nothing to protect: it refreshes every stale card at once, so the whole page is current one
//! frame after the last report instead of after several passes.
//! Pure: the page passes what is stale, the frames' times, what arrived, and what it refreshed.

/// Cards a frame may refresh before any frame was timed.
pub const FIRST_CARDS_PER_FRAME: usize = 16;
/// Cards added to a frame's count after a frame on time.
pub const STEP: usize = 8;
/// A frame up to this factor of the shortest frame seen is on time.
const ON_TIME_FACTOR: f64 = 1.5;
/// Shorter intervals are not frames (two callbacks in one frame).
const SHORTEST_FRAME_MS: f64 = 4.0;

/// The round robin over stale hidden cards (see the module notes).
#[derive(Debug, Clone)]
pub struct OffscreenSweep {
    /// The next device in the round robin.
    cursor: usize,
    /// Cards the next frame may refresh.
    per_frame: usize,
    /// Fewest cards a frame refreshes, however slow the frames.
    at_least: usize,
    /// The shortest frame interval seen (the screen's refresh period), if any.
    shortest_frame_ms: Option<f64>,
    /// Something arrived from the broker since the last frame refreshed cards.
    heard: bool,
}

impl OffscreenSweep {
    /// A sweep starting at the first device, refreshing at least `at_least` cards a frame.
    pub fn new(at_least: usize) -> Self {
        let at_least = at_least.max(1);
        Self {
            cursor: 0,
            per_frame: FIRST_CARDS_PER_FRAME.max(at_least),
            at_least,
            shortest_frame_ms: None,
            heard: true,
        }
    }

    /// Something arrived from the broker: the next frame keeps to its budget.
    pub fn heard(&mut self) {
        self.heard = true;
    }

    /// How many cards the next frame may refresh: every one when nothing arrived since the
    /// last frame that refreshed cards (the flood is over: nothing competes with them).
    pub fn cards_per_frame(&self) -> usize {
        if self.heard {
            self.per_frame
        } else {
            usize::MAX
        }
    }

    /// A frame of an ongoing sweep came `interval_ms` after the one before: on time, the next
    /// may refresh more; late, half as many. Nonsense (not finite, negative) is ignored.
    pub fn frame_interval(&mut self, interval_ms: f64) {
        if !interval_ms.is_finite() || interval_ms < SHORTEST_FRAME_MS {
            return;
        }
        let shortest = self
            .shortest_frame_ms
            .map_or(interval_ms, |s| s.min(interval_ms));
        self.shortest_frame_ms = Some(shortest);
        self.per_frame = if interval_ms <= shortest * ON_TIME_FACTOR {
            self.per_frame.saturating_add(STEP)
        } else {
            (self.per_frame / 2).max(self.at_least)
        };
    }

    /// The stale hidden cards (`stale_hidden`, ascending device indices) in the order to
    /// refresh them: the `urgent` ones (a subset, ascending) first, then the rest from the
    /// cursor on, wrapping around.
    pub fn order(&self, stale_hidden: &[usize], urgent: &[usize]) -> Vec<usize> {
        let mut order = Vec::with_capacity(stale_hidden.len());
        order.extend_from_slice(urgent);
        let rest = |index: &&usize| urgent.binary_search(index).is_err();
        let split = stale_hidden.partition_point(|&index| index < self.cursor);
        order.extend(stale_hidden[split..].iter().filter(rest));
        order.extend(stale_hidden[..split].iter().filter(rest));
        order
    }

    /// The page refreshed the first `count` cards of `order` (as [`OffscreenSweep::order`]
    /// gave it): the next frame goes on after the last of them that was not urgent.
    pub fn refreshed(&mut self, order: &[usize], count: usize, urgent: &[usize]) {
        self.heard = false;
        if let Some(&last) = order[..count.min(order.len())]
            .iter()
            .rev()
            .find(|index| urgent.binary_search(index).is_err())
        {
            self.cursor = last + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_with_nothing_heard_before_it_refreshes_every_stale_card() {
        let mut sweep = OffscreenSweep::new(4);
        sweep.heard();
        let stale: Vec<usize> = (0..500).collect();
        // A flood: each frame keeps to its budget.
        let budget = sweep.cards_per_frame();
        assert_eq!(budget, FIRST_CARDS_PER_FRAME);
        let order = sweep.order(&stale, &[]);
        sweep.refreshed(&order, budget, &[]);
        sweep.heard();
        assert_eq!(sweep.cards_per_frame(), budget);
        sweep.refreshed(&order, budget, &[]);
        // The flood ended: nothing arrived before this frame, so all of them at once.
        assert_eq!(sweep.cards_per_frame(), usize::MAX);
        // A report comes again: back to the budget.
        sweep.heard();
        assert_eq!(sweep.cards_per_frame(), budget);
    }

    #[test]
    fn cards_whose_usability_changed_come_first() {
        let sweep = OffscreenSweep::new(4);
        assert_eq!(sweep.order(&[1, 3, 4, 5, 7], &[4, 7]), vec![4, 7, 1, 3, 5]);
    }

    #[test]
    fn the_next_frame_goes_on_where_the_budget_ran_out_so_no_card_starves() {
        let mut sweep = OffscreenSweep::new(4);
        let stale: Vec<usize> = (0..8).collect();
        let order = sweep.order(&stale, &[]);
        assert_eq!(order, stale);
        // The budget allowed three this frame.
        sweep.refreshed(&order, 3, &[]);
        // Everything changed again: the cards not reached come first, the refreshed ones last.
        assert_eq!(sweep.order(&stale, &[]), vec![3, 4, 5, 6, 7, 0, 1, 2]);
        let order = sweep.order(&[1, 6, 7], &[]);
        assert_eq!(order, vec![6, 7, 1]);
        sweep.refreshed(&order, 2, &[]);
        assert_eq!(sweep.order(&[1, 6, 7], &[]), vec![1, 6, 7]);
    }

    #[test]
    fn urgent_cards_refreshed_do_not_move_the_round_robin() {
        let mut sweep = OffscreenSweep::new(4);
        let order = sweep.order(&[2, 5, 9], &[9]);
        assert_eq!(order, vec![9, 2, 5]);
        // Only the urgent one fitted: the round robin still starts at 2.
        sweep.refreshed(&order, 1, &[9]);
        assert_eq!(sweep.order(&[2, 5], &[]), vec![2, 5]);
        sweep.refreshed(&[2, 5], 2, &[]);
        assert_eq!(sweep.order(&[0, 2, 5, 6], &[]), vec![6, 0, 2, 5]);
    }

    #[test]
    fn frames_on_time_allow_more_cards_and_late_frames_halve_them() {
        let mut sweep = OffscreenSweep::new(4);
        assert_eq!(sweep.cards_per_frame(), FIRST_CARDS_PER_FRAME);
        // 60 Hz frames on time: the count grows by a step a frame.
        for _ in 0..4 {
            sweep.frame_interval(16.7);
        }
        assert_eq!(sweep.cards_per_frame(), FIRST_CARDS_PER_FRAME + 4 * STEP);
        // A late frame halves it, and again, never below the minimum.
        sweep.frame_interval(40.0);
        assert_eq!(
            sweep.cards_per_frame(),
            (FIRST_CARDS_PER_FRAME + 4 * STEP) / 2
        );
        for _ in 0..10 {
            sweep.frame_interval(60.0);
        }
        assert_eq!(sweep.cards_per_frame(), 4);
        // On time again: it grows back.
        sweep.frame_interval(17.0);
        assert_eq!(sweep.cards_per_frame(), 4 + STEP);
    }

    #[test]
    fn a_slow_screen_is_not_taken_for_slow_frames() {
        // A 30 Hz screen: every frame 33 ms apart is on time.
        let mut sweep = OffscreenSweep::new(4);
        for _ in 0..3 {
            sweep.frame_interval(33.3);
        }
        assert_eq!(sweep.cards_per_frame(), FIRST_CARDS_PER_FRAME + 3 * STEP);
        // Nonsense and two callbacks within a frame change nothing.
        sweep.frame_interval(f64::NAN);
        sweep.frame_interval(-5.0);
        sweep.frame_interval(0.5);
        assert_eq!(sweep.cards_per_frame(), FIRST_CARDS_PER_FRAME + 3 * STEP);
    }

    #[test]
    fn nothing_stale_orders_nothing() {
        let mut sweep = OffscreenSweep::new(4);
        assert!(sweep.order(&[], &[]).is_empty());
        sweep.refreshed(&[], 0, &[]);
        assert!(sweep.order(&[], &[]).is_empty());
    }
}
