//! client-go's `workqueue.DefaultControllerRateLimiter`, in virtual time: what a controller's
//! `AddRateLimited` waits for. It is the larger of two delays:
//! * per item, exponential from 5 ms (doubling per failure up to 1000 s); the simulated
//!   controllers' syncs never fail, and a successful sync `Forget`s the item, so this part is
//!   always its base, 5 ms;
//! * overall, a token bucket of 10 per second with a burst of 100, shared by every key of the
//!   queue.
//!
//! Without it a controller that requeues "now, rate limited" on every sync (the Deployment
//! controller past a progress deadline it cannot time out) would sync every millisecond.

use crate::time::Millis;

/// `ItemExponentialFailureRateLimiter`'s base delay, in ms.
pub const BASE_DELAY_MS: Millis = 5;
/// `BucketRateLimiter`'s rate: tokens per second.
pub const BUCKET_QPS: i64 = 10;
/// `BucketRateLimiter`'s burst.
pub const BUCKET_BURST: i64 = 100;

/// One queue's rate limiter.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// Tokens in thousandths (a token refills every 100 ms, 10 thousandths per ms).
    milli_tokens: i64,
    refilled_at: Millis,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            milli_tokens: BUCKET_BURST * 1000,
            refilled_at: 0,
        }
    }
}

impl RateLimiter {
    /// The delay before an item added now through the rate limiter is processed
    /// (`When`; a reservation: the bucket may go into debt, as `rate.Limiter.Reserve` does).
    pub fn when(&mut self, now: Millis) -> Millis {
        let elapsed = i64::try_from(now.saturating_sub(self.refilled_at)).unwrap_or(i64::MAX);
        self.refilled_at = self.refilled_at.max(now);
        self.milli_tokens = self
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(BUCKET_QPS))
            .min(BUCKET_BURST * 1000);
        self.milli_tokens -= 1000;
        let bucket = if self.milli_tokens >= 0 {
            0
        } else {
            // Time until the debt is paid back, rounded up to the next millisecond.
            (-self.milli_tokens + BUCKET_QPS - 1) / BUCKET_QPS
        };
        BASE_DELAY_MS.max(bucket as Millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_goes_at_the_base_delay_then_ten_per_second() {
        let mut rl = RateLimiter::default();
        let mut now = 0;
        let mut delays = Vec::new();
        while now < 2_000 {
            let d = rl.when(now);
            delays.push(d);
            now += d;
        }
        assert!(
            delays[..100].iter().all(|&d| d == BASE_DELAY_MS),
            "{delays:?}"
        );
        // In 2 s: the burst of 100 plus 10 per second.
        assert!((119..=121).contains(&delays.len()), "{}", delays.len());
        assert_eq!(
            delays[delays.len() - 5..],
            [100; 5],
            "steady state is 10 per second"
        );
    }

    #[test]
    fn an_idle_queue_gets_its_burst_back() {
        let mut rl = RateLimiter::default();
        for _ in 0..150 {
            rl.when(0);
        }
        assert!(rl.when(0) > 1000);
        // 10 s idle: the bucket is full again.
        assert_eq!(rl.when(60_000), BASE_DELAY_MS);
    }
}
