//! When cards far from the screen are brought up to date.
//!
//! A card on screen shows its device's state at the next animation frame. A card far from the
//! screen does not need that, and with hundreds of devices reporting it would cost most of the
//! page's time: those are refreshed in sweeps instead. A sweep goes through the stale hidden
//! cards in device order, at most `budget` per frame (so no frame gets long), and the next sweep
//! starts `period` after one ends. A hidden card is therefore never more than about
//! `period` + one sweep behind, and a card coming into view is refreshed at once (it is no
//! longer hidden). A hidden card whose usability changed (its state became known, a command was
//! confirmed, the device went offline: [`crate::device::DeviceState::usability`]) does not wait
//! for the period: such cards are refreshed first, `budget` per frame, so opening a dashboard of
//! a hundred devices shows every switch usable as soon as it is, while a flood of mere value
//! changes still costs only the sweeps.

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

impl OffscreenSweep {
    /// [`OffscreenSweep::plan`], with the `urgent` hidden cards (a subset of `stale_hidden`,
    /// ascending) refreshed first and without waiting: at most `budget` of them this frame
    /// (then the next frame is asked for), the sweep going on beside them.
    pub fn plan_urgent_first(
        &mut self,
        now: Millis,
        stale_hidden: &[usize],
        urgent: &[usize],
    ) -> (Vec<usize>, NextSweep) {
        if urgent.is_empty() {
            return self.plan(now, stale_hidden);
        }
        let mut refreshed: Vec<usize> = urgent.iter().copied().take(self.budget).collect();
        let rest: Vec<usize> = stale_hidden
            .iter()
            .copied()
            .filter(|index| urgent.binary_search(index).is_err())
            .collect();
        let (swept, next) = self.plan(now, &rest);
        refreshed.extend(swept);
        refreshed.sort_unstable();
        let next = if urgent.len() > self.budget {
            NextSweep::NextFrame
        } else {
            next
        };
        (refreshed, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_whose_usability_changed_do_not_wait_for_the_period() {
        let mut sweep = OffscreenSweep::new(1_000, 2);
        // A sweep just ended: plain changes wait for the period...
        assert_eq!(sweep.plan(0, &[0]), (vec![0], NextSweep::Idle));
        assert_eq!(sweep.plan(16, &[3, 5]), (vec![], NextSweep::At(1_000)));
        // ...but cards that became usable are refreshed now, two a frame.
        assert_eq!(
            sweep.plan_urgent_first(32, &[1, 3, 4, 5, 7], &[1, 4, 7]),
            (vec![1, 4], NextSweep::NextFrame)
        );
        assert_eq!(
            sweep.plan_urgent_first(48, &[3, 5, 7], &[7]),
            (vec![7], NextSweep::At(1_000))
        );
        assert_eq!(sweep.plan_urgent_first(1_000, &[3, 5], &[]).0, vec![3, 5]);
    }

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
