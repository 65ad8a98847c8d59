//! A latency histogram with log-spaced buckets: constant memory and a constant-time
//! record, so client threads can count every request without sorting millions of samples.
//!
//! Precision: 32 sub-buckets per power of two of microseconds, so a reported percentile is
//! within ~3% of the true value (the upper edge of its bucket is reported, never less).
//! It must never allocate per sample.

use std::time::Duration;

/// Sub-buckets per power of two (2^5): the relative width of a bucket is 1/32.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Powers of two of microseconds covered: up to 2^40 µs (~12 days).
const OCTAVES: usize = 40;

/// Counts of latencies by bucket, mergeable across threads.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; OCTAVES * SUB as usize],
            total: 0,
            max_us: 0,
        }
    }
}

impl Histogram {
    /// Counts one latency.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = index(us).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// Number of latencies counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency at quantile `q` (0..=1) in milliseconds: the upper edge of the bucket
    /// holding it, capped at the largest latency seen. 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((self.total as f64) * q.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_edge(i).min(self.max_us) as f64 / 1000.0;
            }
        }
        self.max_ms()
    }

    /// The largest latency counted, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.max_us as f64 / 1000.0
    }
}

/// Bucket of `us`: values below [`SUB`] get one bucket each; above, each power of two is
/// split in [`SUB`] equal parts.
fn index(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let octave = 63 - us.leading_zeros() - SUB_BITS; // ≥ 0 since us ≥ SUB
    let sub = (us >> octave) - SUB; // 0..SUB
    ((octave as u64 + 1) * SUB + sub) as usize
}

/// Largest value that falls in bucket `i`.
fn upper_edge(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let octave = i / SUB - 1;
    let sub = i % SUB;
    ((SUB + sub + 1) << octave) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lies_within_its_bucket_and_within_three_percent_of_its_edge() {
        for us in (0..200_000u64)
            .step_by(7)
            .chain([1 << 30, (1 << 30) + 12345])
        {
            let edge = upper_edge(index(us));
            assert!(edge >= us, "{us} above its bucket's edge {edge}");
            assert!(
                (edge - us) as f64 <= us as f64 / 32.0 + 1.0,
                "{us}: edge {edge}"
            );
        }
    }

    #[test]
    fn quantiles_of_a_known_spread_come_out_right() {
        let mut h = Histogram::default();
        for ms in 1..=100u64 {
            h.record(Duration::from_millis(ms));
        }
        let p50 = h.quantile_ms(0.5);
        let p99 = h.quantile_ms(0.99);
        assert!((50.0..=51.6).contains(&p50), "p50 {p50}");
        assert!((99.0..=100.0).contains(&p99), "p99 {p99}");
        assert_eq!(h.max_ms(), 100.0);
        let mut other = Histogram::default();
        other.record(Duration::from_millis(500));
        h.merge(&other);
        assert_eq!(h.count(), 101);
        assert_eq!(h.max_ms(), 500.0);
    }
}
