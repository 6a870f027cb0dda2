//! Pacing the sends, so that the mailer never drives SES into throttling on
//! purpose.
//!
//! SES allows an account a maximum send rate. At most `MailerMaxConcurrency`
//! mailer instances run at once, so each one keeps its sends at least
//! `concurrency / rate` seconds apart, and together they stay under the rate.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces calls at least `interval` apart.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer for `concurrency` instances sharing `per_second` sends a second.
    pub fn for_share(per_second: f64, concurrency: u32) -> Self {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(f64::from(concurrency.max(1)) / per_second)
        } else {
            Duration::ZERO
        };
        Self {
            interval,
            next: Mutex::new(None),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits until this instance may send again, and books the slot.
    pub async fn wait(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = next.map_or(now, |slot| slot.max(now));
        tokio::time::sleep_until(at).await;
        *next = Some(at + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_instance_gets_its_share_of_the_rate() {
        assert_eq!(
            Pacer::for_share(14.0, 2).interval(),
            Duration::from_secs_f64(2.0 / 14.0)
        );
        assert_eq!(
            Pacer::for_share(1.0, 10).interval(),
            Duration::from_secs(10)
        );
        assert_eq!(
            Pacer::for_share(0.0, 2).interval(),
            Duration::ZERO,
            "no rate: no pacing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sends_are_spaced_by_the_interval() {
        let pacer = Pacer::for_share(2.0, 1);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..4 {
            pacer.wait().await;
            times.push(start.elapsed());
        }
        let expected: Vec<Duration> = (0..4).map(|i| Duration::from_millis(500 * i)).collect();
        assert_eq!(times, expected);
    }
}
