//! When cards far from the screen are brought up to date.
//!
//! A card on screen shows its device's state at the next animation frame. A card far from the
//! screen does not need that, and with hundreds of devices reporting it would cost most of the
//! page's time: those are refreshed in sweeps instead. A sweep goes through the stale hidden
//! cards in device order, at most `budget` per frame (so no frame gets long), and the next sweep
//! starts `period` after one ends. A hidden card is therefore never more than about
//! `period` + one sweep behind, and a card coming into view is refreshed at once (it is no
//! longer hidden).

use crate::time::Millis;

/// What the page should do after a frame's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextSweep {
    /// Nothing is stale: nothing to schedule.
    Idle,
    /// A sweep is under way: render again at the next frame.
    NextFrame,
    /// Stale cards wait for the next sweep, due at this time.
    At(Millis),
}

/// The sweep schedule (see the module notes).
#[derive(Debug, Clone)]
pub struct OffscreenSweep {
    period: Millis,
    budget: usize,
    next_at: Millis,
    cursor: Option<usize>,
}

impl OffscreenSweep {
    /// Sweeps `period` apart, refreshing at most `budget` cards per frame.
    pub fn new(period: Millis, budget: usize) -> Self {
        Self {
            period,
            budget: budget.max(1),
            next_at: 0,
            cursor: None,
        }
    }

    /// One frame: `stale_hidden` lists (ascending) the devices whose hidden card differs from
    /// their state. Returns those to refresh now, and what to schedule.
    pub fn plan(&mut self, now: Millis, stale_hidden: &[usize]) -> (Vec<usize>, NextSweep) {
        if stale_hidden.is_empty() {
            if self.cursor.take().is_some() {
                self.next_at = now + self.period;
            }
            return (Vec::new(), NextSweep::Idle);
        }
        let cursor = match self.cursor {
            Some(cursor) => cursor,
            None if now < self.next_at => return (Vec::new(), NextSweep::At(self.next_at)),
            None => 0,
        };
        let ahead: Vec<usize> = stale_hidden
            .iter()
            .copied()
            .filter(|&index| index >= cursor)
            .collect();
        if ahead.len() > self.budget {
            let now_refreshed = ahead[..self.budget].to_vec();
            self.cursor = Some(now_refreshed[self.budget - 1] + 1);
            return (now_refreshed, NextSweep::NextFrame);
        }
        // The sweep reaches the end in this frame.
        self.cursor = None;
        self.next_at = now + self.period;
        let left_behind = stale_hidden.len() > ahead.len();
        let next = if left_behind {
            NextSweep::At(self.next_at)
        } else {
            NextSweep::Idle
        };
        (ahead, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_refreshes_at_most_the_budget_per_frame_then_rests_for_the_period() {
        let mut sweep = OffscreenSweep::new(1_000, 3);
        let stale: Vec<usize> = (0..8).collect();
        assert_eq!(sweep.plan(0, &stale), (vec![0, 1, 2], NextSweep::NextFrame));
        assert_eq!(
            sweep.plan(16, &stale[3..]),
            (vec![3, 4, 5], NextSweep::NextFrame)
        );
        assert_eq!(sweep.plan(32, &stale[6..]), (vec![6, 7], NextSweep::Idle));
        // Everything changes again at once: it waits for the period, then sweeps again.
        assert_eq!(sweep.plan(48, &stale), (vec![], NextSweep::At(1_032)));
        assert_eq!(sweep.plan(1_031, &stale), (vec![], NextSweep::At(1_032)));
        assert_eq!(sweep.plan(1_032, &stale).0, vec![0, 1, 2]);
    }

    #[test]
    fn a_card_that_goes_stale_behind_the_cursor_waits_for_the_next_sweep() {
        let mut sweep = OffscreenSweep::new(500, 2);
        assert_eq!(
            sweep.plan(0, &[4, 5, 6]),
            (vec![4, 5], NextSweep::NextFrame)
        );
        // Device 1 changed after the sweep passed it; 6 is still ahead.
        assert_eq!(sweep.plan(16, &[1, 6]), (vec![6], NextSweep::At(516)));
        assert_eq!(sweep.plan(516, &[1]), (vec![1], NextSweep::Idle));
    }

    #[test]
    fn nothing_stale_schedules_nothing_and_the_first_change_is_refreshed_at_once() {
        let mut sweep = OffscreenSweep::new(2_000, 40);
        assert_eq!(sweep.plan(5, &[]), (vec![], NextSweep::Idle));
        assert_eq!(sweep.plan(10, &[7]), (vec![7], NextSweep::Idle));
        assert_eq!(sweep.plan(20, &[7]), (vec![], NextSweep::At(2_010)));
    }
}
