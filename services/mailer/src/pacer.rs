//! Pacing the sends: however many mailer instances run, together they never
//! drive SES past the account's send rate, and one alone may use all of it.
//!
//! Room in SES's window is taken from the log every instance shares
//! ([`magiclink::send_rate`]), a little ahead of the moment it is for
//! ([`LEAD`]), so that the write that takes it has answered by then; the send
//! goes at that moment, where the log has it. A write that answers too late
//! gives its room back and the send asks again. The sends of an instance
//! that are ready at once share one take: the first in turn asks for room
//! for every send then waiting, and hands what it got beyond its own to
//! those behind it. With no room, it sleeps until [`LEAD`] before room comes
//! back, keeping its turn, so that those behind it are asked for together.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use magiclink::aws::CallError;
use magiclink::send_rate::SendRate;
use magiclink::time::unix_millis;
use tokio::sync::Mutex;

/// The name of the account's SES rate in the table (`send-rate#ses`).
pub const SES: &str = "ses";

/// How far ahead of its moment room is taken: longer than a DynamoDB write
/// takes, but for its slowest. A send with room now goes this much later.
const LEAD: Duration = Duration::from_millis(50);

/// How late past its moment a send may still go: a timer wakes a
/// millisecond or so late.
const LATE_MS: u64 = 5;

/// Spaces this instance's sends within the shared rate.
#[derive(Debug)]
pub struct Pacer {
    /// The shared rate; `None`: no pacing.
    rate: Option<SendRate>,
    /// Sends waiting for room, the one in turn included.
    waiting: AtomicU32,
    /// The turn to take room, and room taken for the sends behind it.
    turn: Mutex<HandedOn>,
}

/// Room taken for more sends than the one that took it: how many, and the
/// millisecond (since the epoch) they go at.
#[derive(Debug, Default)]
struct HandedOn {
    sends: u32,
    at: u64,
}

impl Pacer {
    /// Pacing within `rate`, or none.
    pub fn new(rate: Option<SendRate>) -> Self {
        Self {
            rate,
            waiting: AtomicU32::new(0),
            turn: Mutex::new(HandedOn::default()),
        }
    }

    /// Waits until this send may go. An error is the shared log's: the send
    /// should wait for a later attempt.
    pub async fn wait(&self) -> Result<(), CallError> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        loop {
            let at = self.room(rate).await?;
            if go_at(at).await {
                return Ok(());
            }
            rate.give_back(at, 1).await?;
        }
    }

    /// Room for one send: the millisecond (since the epoch) it goes at.
    /// Holds the turn while it asks, and while it waits for room to come
    /// back, but not while the send waits for its moment.
    async fn room(&self, rate: &SendRate) -> Result<u64, CallError> {
        let _waiting = Waiting::enter(&self.waiting);
        let mut handed_on = self.turn.lock().await;
        if handed_on.sends > 0 {
            handed_on.sends -= 1;
            return Ok(handed_on.at);
        }
        let lead = u64::try_from(LEAD.as_millis()).unwrap_or(u64::MAX);
        let mut back_at = 0;
        loop {
            let wanted = self.waiting.load(Ordering::SeqCst).max(1);
            let now = unix_millis(SystemTime::now());
            let grant = rate.take(wanted, back_at.max(now + lead)).await?;
            if grant.granted > 0 {
                if past(grant.at) {
                    tracing::debug!(granted = grant.granted, "room taken too late; given back");
                    rate.give_back(grant.at, grant.granted).await?;
                    continue;
                }
                *handed_on = HandedOn {
                    sends: grant.granted - 1,
                    at: grant.at,
                };
                return Ok(grant.at);
            }
            let now = unix_millis(SystemTime::now());
            back_at = grant.retry_at.unwrap_or(now + 1);
            let wake = back_at.saturating_sub(lead);
            tokio::time::sleep(Duration::from_millis(wake.saturating_sub(now))).await;
        }
    }
}

/// Waits for millisecond `at` (since the epoch); whether the send may go,
/// which it may not once `at` is past.
async fn go_at(at: u64) -> bool {
    if past(at) {
        return false;
    }
    let now = unix_millis(SystemTime::now());
    if at > now {
        tokio::time::sleep(Duration::from_millis(at - now)).await;
    }
    true
}

/// Whether millisecond `at` (since the epoch) is too far past for a send.
fn past(at: u64) -> bool {
    unix_millis(SystemTime::now()) > at + LATE_MS
}

/// One send counted in [`Pacer::waiting`] while it lives.
struct Waiting<'a>(&'a AtomicU32);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicU32) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
