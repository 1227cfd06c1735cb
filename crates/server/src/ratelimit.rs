//! Rate limits: per client address (every request but `/healthz`) and per signer (the verified
//! signing key of a submitted statement), each a GCRA token bucket ([`governor`]) with a
//! sustained rate and a burst.
//!
//! A request over a limit is answered `429 Too Many Requests` with `Retry-After` (whole seconds,
//! at least 1: when the bucket has room again) and a JSON body `{"error": ...}` naming the limit,
//! and nothing of it is logged.
//!
//! - **Per address** counts requests by the peer's IP address; IPv6 addresses are counted by
//!   their /64 prefix (one host usually holds a whole /64, so counting single addresses would let
//!   it multiply its budget).
//! - **Per signer** counts entries (a batch of `n` entries spends `n`) by the signer that
//!   admission control verified (the registered key's name): it applies only with admission
//!   configured (`serve --anchors`), because without it the log accepts any bytes and a claimed
//!   signer is not authenticated (keying on an unverified name would let anyone throttle a
//!   sensor by sending garbage in its name).
//!
//! Idle keys are forgotten (their bucket would be full again anyway) once the table holds more
//! than [`PRUNE_ABOVE`] keys, so the tables stay bounded by the number of recently active clients.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Sustained rate, per second.
    pub per_second: NonZeroU32,
    /// Most spent at once from a full bucket.
    pub burst: NonZeroU32,
}

impl Limit {
    /// A limit, or `None` (no limit) when `per_second` is 0. A `burst` of 0 means `per_second`.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(per_second)?;
        Some(Self {
            per_second,
            burst: NonZeroU32::new(burst).unwrap_or(per_second),
        })
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// Keyed tables are pruned of idle keys once they hold more than this many.
pub const PRUNE_ABOVE: usize = 10_000;

/// A request refused by a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// When to retry, whole seconds (at least 1).
    pub retry_after_s: u64,
    /// What was limited, for the message.
    pub message: String,
}

struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limit: Limit,
    table: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn new(limit: Limit) -> Self {
        Self {
            limit,
            table: RateLimiter::keyed(limit.quota()),
            checks: AtomicU64::new(0),
        }
    }

    /// Spends `n` from `key`'s bucket; on refusal, the wait until it could succeed.
    fn check(&self, key: &K, n: u32) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed).is_multiple_of(1024) && self.table.len() > PRUNE_ABOVE
        {
            self.table.retain_recent();
            self.table.shrink_to_fit();
        }
        let Some(n) = NonZeroU32::new(n) else {
            return Ok(());
        };
        match self.table.check_key_n(key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(DefaultClock::default().now())),
            // More than the burst at once can never pass: retry after a whole burst's time, with
            // fewer.
            Err(_) => Err(Duration::from_secs_f64(
                f64::from(self.limit.burst.get()) / f64::from(self.limit.per_second.get()),
            )),
        }
    }
}

/// Whole seconds to wait, at least 1.
fn retry_after_s(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.as_secs() == 0))
}

/// The key of a client address: IPv4 as it is, IPv6 by its /64 prefix (an IPv4-mapped IPv6
/// address as its IPv4 address).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The server's rate limiters.
pub struct RateLimits {
    per_address: Option<Keyed<IpAddr>>,
    per_signer: Option<Keyed<String>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_address", &self.per_address.as_ref().map(|k| k.limit))
            .field("per_signer", &self.per_signer.as_ref().map(|k| k.limit))
            .finish()
    }
}

impl RateLimits {
    /// Limiters for the given limits (`None`: unlimited).
    pub fn new(per_address: Option<Limit>, per_signer: Option<Limit>) -> Self {
        Self {
            per_address: per_address.map(Keyed::new),
            per_signer: per_signer.map(Keyed::new),
        }
    }

    /// Counts one request from `ip`.
    ///
    /// # Errors
    ///
    /// [`Limited`] when the address is over its limit.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), Limited> {
        let Some(k) = &self.per_address else {
            return Ok(());
        };
        let key = address_key(ip);
        k.check(&key, 1).map_err(|wait| Limited {
            retry_after_s: retry_after_s(wait),
            message: format!(
                "rate limit: more than {} requests per second (burst {}) from {key}; retry after \
                 the Retry-After seconds",
                k.limit.per_second, k.limit.burst
            ),
        })
    }

    /// Counts `n` entries signed by `signer`.
    ///
    /// # Errors
    ///
    /// [`Limited`] when the signer is over its limit.
    pub fn check_signer(&self, signer: &str, n: u32) -> Result<(), Limited> {
        let Some(k) = &self.per_signer else {
            return Ok(());
        };
        k.check(&signer.to_owned(), n).map_err(|wait| Limited {
            retry_after_s: retry_after_s(wait),
            message: format!(
                "rate limit: signer {signer:?} submits more than {} entries per second (burst {}); \
                 retry after the Retry-After seconds",
                k.limit.per_second, k.limit.burst
            ),
        })
    }

    /// Keys held in the per-address table (for tests of pruning).
    pub fn addresses_tracked(&self) -> usize {
        self.per_address.as_ref().map_or(0, |k| k.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_s(Duration::ZERO), 1);
        assert_eq!(retry_after_s(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_s(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_s(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_s(Duration::from_secs(7)), 7);
    }

    #[test]
    fn ipv6_counts_by_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn burst_then_refusal_then_other_keys_unaffected() {
        let l = RateLimits::new(Limit::new(1, 3), Limit::new(1, 2));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_address(ip).is_ok());
        }
        let e = l.check_address(ip).expect_err("over the burst");
        assert_eq!(e.retry_after_s, 1);
        assert!(e.message.contains("192.0.2.1"), "{}", e.message);
        assert!(l.check_address("192.0.2.2".parse().unwrap()).is_ok());
        assert!(l.check_signer("s1", 2).is_ok());
        assert!(l.check_signer("s1", 1).is_err());
        assert!(l.check_signer("s2", 1).is_ok());
        // More than the burst at once can never pass.
        let e = l.check_signer("s3", 5).expect_err("beyond the burst");
        assert!(e.retry_after_s >= 2, "{e:?}");
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let l = RateLimits::new(Limit::new(0, 5), None);
        for _ in 0..10_000 {
            assert!(l.check_address("192.0.2.1".parse().unwrap()).is_ok());
        }
        assert!(l.check_signer("s", 1_000_000).is_ok());
    }
}
