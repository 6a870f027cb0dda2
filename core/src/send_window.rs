//! SES's send rate as a sliding window: at most `sends` mails in any window
//! of `window` milliseconds, whichever mailer instance sends them.
//!
//! A [`SendLog`] remembers, for the last window, when room was granted and
//! for how many sends. Room is what the window has left now; a send's room
//! comes back one window after it was granted. Unlike a pace of one send
//! every `1/rate` seconds, a moment with nothing to send is not lost: after a
//! pause (an instance between two batches, say) the window's unused room
//! may be taken at once, as SES allows bursts within its per-second rate,
//! and still no window ever holds more than the rate. The mailer keeps the
//! log in one table item that every instance updates (`magiclink::send_rate`).

/// How many entries a log keeps at most: past it, the two closest are
/// merged into the later one, which only ever delays room.
pub const MAX_ENTRIES: usize = 100;

/// At most `sends` sends in any `window_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub sends: u32,
    pub window_ms: u64,
}

impl Limit {
    /// The limit of `per_second` sends a second: that many (rounded down, at
    /// least one) per second, or one per `1/per_second` seconds below one a
    /// second. `None` for no limit (0, or a number that is not one).
    pub fn per_second(per_second: f64) -> Option<Self> {
        if !per_second.is_finite() || per_second <= 0.0 {
            return None;
        }
        let sends = per_second.floor().clamp(1.0, f64::from(u32::MAX));
        // Whole milliseconds, rounded up: never a shorter window than the
        // rate gives.
        let window_ms = (sends * 1000.0 / per_second).ceil();
        Some(Self {
            sends: sends as u32,
            window_ms: window_ms as u64,
        })
    }
}

/// Room granted, and when to ask for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Sends that may go (at most the number wanted).
    pub granted: u32,
    /// The millisecond (since the epoch) they go at, where the log has them.
    pub at: u64,
    /// When fewer were granted than wanted: the millisecond from which the
    /// window has room again.
    pub retry_at: Option<u64>,
}

/// The sends granted in the last window: (millisecond since the epoch,
/// count), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendLog {
    entries: Vec<(u64, u32)>,
}

impl SendLog {
    /// The log from its stored form, `[at, count, at, count, …]`; `None`
    /// when that is not a log (an odd length, a zero count, out of order).
    pub fn from_flat(flat: &[u64]) -> Option<Self> {
        let pairs = flat.chunks(2);
        let mut entries = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let &[at, count] = pair else { return None };
            let count = u32::try_from(count).ok().filter(|c| *c > 0)?;
            if entries.last().is_some_and(|&(last, _)| last > at) {
                return None;
            }
            entries.push((at, count));
        }
        Some(Self { entries })
    }

    /// The stored form, `[at, count, at, count, …]`.
    pub fn flat(&self) -> Vec<u64> {
        self.entries
            .iter()
            .flat_map(|&(at, count)| [at, u64::from(count)])
            .collect()
    }

    /// Sends counted in the window that ends at `now_ms`.
    pub fn used(&self, limit: Limit, now_ms: u64) -> u32 {
        self.entries
            .iter()
            .filter(|&&(at, _)| at + limit.window_ms > now_ms)
            .map(|&(_, count)| count)
            .sum()
    }

    /// Grants room for up to `wanted` sends to go at `at_ms`, asked for at
    /// `now_ms` (a little earlier, so that the write that records them is
    /// done by then), and records them. Entries that left the window by
    /// `now_ms` are forgotten. An entry from a clock ahead of this one stays
    /// last: the new one is recorded at its time, not before it.
    pub fn grant(&mut self, limit: Limit, now_ms: u64, at_ms: u64, wanted: u32) -> Grant {
        let at_ms = at_ms.max(now_ms);
        let room = limit.sends.saturating_sub(self.used(limit, at_ms));
        let granted = room.min(wanted);
        self.entries
            .retain(|&(at, _)| at + limit.window_ms > now_ms);
        if granted > 0 {
            match self.entries.last_mut() {
                Some((at, count)) if *at >= at_ms => *count += granted,
                _ => self.entries.push((at_ms, granted)),
            }
            self.compact();
        }
        let retry_at = (granted < wanted)
            .then(|| {
                self.entries
                    .iter()
                    .map(|&(at, _)| at + limit.window_ms)
                    .find(|&back| back > at_ms)
            })
            .flatten();
        Grant {
            granted,
            at: at_ms,
            retry_at,
        }
    }

    /// Gives back room for `count` sends granted at `at_ms` that did not go
    /// (the write that took it answered too late to send then): they leave
    /// the entry that holds them, the one at `at_ms` or the later one it was
    /// merged into.
    pub fn give_back(&mut self, at_ms: u64, count: u32) {
        if let Some(i) = self.entries.iter().position(|&(at, _)| at >= at_ms) {
            let left = self.entries[i].1.saturating_sub(count);
            if left == 0 {
                self.entries.remove(i);
            } else {
                self.entries[i].1 = left;
            }
        }
    }

    /// Merges the two closest entries into the later one until the log has
    /// at most [`MAX_ENTRIES`].
    fn compact(&mut self) {
        while self.entries.len() > MAX_ENTRIES {
            let closest = (0..self.entries.len() - 1)
                .min_by_key(|&i| self.entries[i + 1].0 - self.entries[i].0)
                .unwrap_or(0);
            let (_, count) = self.entries.remove(closest);
            self.entries[closest].1 += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOUR_A_SECOND: Limit = Limit {
        sends: 4,
        window_ms: 1000,
    };

    #[test]
    fn a_rate_is_a_count_in_a_window() {
        assert_eq!(
            Limit::per_second(14.0),
            Some(Limit {
                sends: 14,
                window_ms: 1000
            })
        );
        assert_eq!(
            Limit::per_second(14.5),
            Some(Limit {
                sends: 14,
                window_ms: 966
            })
        );
        assert_eq!(
            Limit::per_second(0.5),
            Some(Limit {
                sends: 1,
                window_ms: 2000
            })
        );
        assert_eq!(
            Limit::per_second(3.0 / 7.0),
            Some(Limit {
                sends: 1,
                window_ms: 2334
            })
        );
        for none in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(Limit::per_second(none), None, "{none}");
        }
    }

    /// Room wanted for sends at `now`.
    fn now(log: &mut SendLog, now: u64, wanted: u32) -> Grant {
        log.grant(FOUR_A_SECOND, now, now, wanted)
    }

    #[test]
    fn room_is_granted_up_to_the_limit_then_told_when_it_comes_back() {
        let mut log = SendLog::default();
        let grant = |granted, at, retry_at| Grant {
            granted,
            at,
            retry_at,
        };
        assert_eq!(now(&mut log, 10_000, 3), grant(3, 10_000, None));
        assert_eq!(now(&mut log, 10_200, 3), grant(1, 10_200, Some(11_000)));
        assert_eq!(now(&mut log, 10_999, 1), grant(0, 10_999, Some(11_000)));
        assert_eq!(
            now(&mut log, 11_000, 5),
            grant(3, 11_000, Some(11_200)),
            "the first three came back, the fourth not yet"
        );
        assert_eq!(log.flat(), vec![10_200, 1, 11_000, 3]);
    }

    #[test]
    fn room_is_taken_ahead_of_the_moment_it_is_for() {
        let mut log = SendLog::default();
        now(&mut log, 0, 4);
        let ahead = log.grant(FOUR_A_SECOND, 950, 1_000, 6);
        assert_eq!(
            ahead,
            Grant {
                granted: 4,
                at: 1_000,
                retry_at: Some(2_000)
            }
        );
        assert_eq!(log.flat(), vec![0, 4, 1_000, 4]);
    }

    #[test]
    fn no_window_holds_more_than_the_limit_whatever_is_asked() {
        let mut log = SendLog::default();
        let mut sends = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            state >> 33
        };
        let mut clock = 50_000;
        for _ in 0..3000 {
            clock += next() % 40;
            let lead = next() % 60;
            let wanted = u32::try_from(next() % 6).unwrap();
            let grant = log.grant(FOUR_A_SECOND, clock, clock + lead, wanted);
            sends.extend(std::iter::repeat_n(grant.at, grant.granted as usize));
        }
        sends.sort_unstable();
        for (i, &at) in sends.iter().enumerate() {
            let in_window = sends[i..].iter().take_while(|&&t| t < at + 1000).count();
            assert!(in_window <= 4, "{in_window} sends in the second from {at}");
        }
        assert!(sends.len() > 200, "{} sends", sends.len());
    }

    #[test]
    fn room_given_back_can_be_taken_again_at_once() {
        let mut log = SendLog::default();
        now(&mut log, 1_000, 3);
        now(&mut log, 1_100, 1);
        log.give_back(1_000, 2);
        assert_eq!(log.flat(), vec![1_000, 1, 1_100, 1]);
        assert_eq!(now(&mut log, 1_200, 3).granted, 2);
        log.give_back(1_200, 2);
        log.give_back(1_000, 5);
        assert_eq!(log.flat(), vec![1_100, 1]);
        log.give_back(9_000, 1);
        assert_eq!(
            log.flat(),
            vec![1_100, 1],
            "nothing that late: nothing to give"
        );
    }

    #[test]
    fn a_pause_leaves_its_room_to_be_taken_at_once() {
        let mut log = SendLog::default();
        now(&mut log, 0, 1);
        now(&mut log, 250, 1);
        assert_eq!(now(&mut log, 400, 9).granted, 2);
        assert_eq!(log.used(FOUR_A_SECOND, 999), 4);
        assert_eq!(log.used(FOUR_A_SECOND, 1000), 3);
    }

    #[test]
    fn an_entry_from_a_clock_ahead_keeps_the_log_in_order() {
        let mut log = SendLog::from_flat(&[5_000, 2]).unwrap();
        now(&mut log, 4_990, 1);
        assert_eq!(log.flat(), vec![5_000, 3]);
        assert_eq!(SendLog::from_flat(&log.flat()), Some(log));
    }

    #[test]
    fn a_long_log_is_merged_into_later_entries_only() {
        let limit = Limit {
            sends: 1000,
            window_ms: 1000,
        };
        let mut log = SendLog::default();
        for i in 0..150 {
            let at = 1_000 + i * 5 + (i % 3);
            log.grant(limit, at, at, 1);
        }
        assert_eq!(log.entries.len(), MAX_ENTRIES);
        assert_eq!(log.used(limit, 1_800), 150, "nothing lost");
        assert_eq!(log.entries.last(), Some(&(1_000 + 149 * 5 + 2, 1)));
        let flat = log.flat();
        assert!(
            flat.chunks(2)
                .zip(flat.chunks(2).skip(1))
                .all(|(a, b)| a[0] <= b[0])
        );
    }

    #[test]
    fn a_stored_form_that_is_not_a_log_is_refused() {
        assert_eq!(SendLog::from_flat(&[]), Some(SendLog::default()));
        for bad in [&[1][..], &[1, 0], &[2, 1, 1, 1], &[1, 1 << 40]] {
            assert_eq!(SendLog::from_flat(bad), None, "{bad:?}");
        }
    }
}
