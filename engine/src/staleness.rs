//! The staleness explorer: probabilistically bounded staleness (PBS, Bailis et al., 2012).
//!
//! For a quorum system with N replicas, write quorum W and read quorum R, and latency
//! distributions for each leg of a request — the write travelling to a replica (W), its
//! acknowledgement back (A), a read request travelling to a replica (R) and its response (S) —
//! what is the probability that a read started `t` after a write committed returns that write?
//!
//! Each Monte Carlo trial draws every leg for every replica. The write commits when the W-th
//! acknowledgement arrives. The read's answer comes from the R replicas whose responses arrive
//! first; a replica's response carries the write if the write reached it before the read request
//! did. For a given trial that is true for every `t` at or above a threshold
//! τ = min over the read set of (Wᵢ − commit − Rᵢ), so one pass gives the whole curve: P(t) is the
//! empirical distribution of τ. "t-visibility" is the time after which the probability passes a
//! target (99.9%).
//!
//! With propagation beyond the first W replicas switched off, the write and read sets are
//! independent uniformly random subsets and a read is stale exactly when they are disjoint:
//! P(stale) = C(N−W, R) / C(N, R), whatever t is. The tests check the simulation against it.

use crate::dist::Dist;
use crate::rng::{SimRng, Stream};
use crate::validate::{Problems, Validate};
use serde::{Deserialize, Serialize};

pub const MAX_TRIALS: u32 = 2_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StalenessSpec {
    pub n: u32,
    pub r: u32,
    pub w: u32,
    /// Write request, replica to coordinator acknowledgement, read request, read response.
    pub write_request: Dist,
    pub write_ack: Dist,
    pub read_request: Dist,
    pub read_response: Dist,
    pub trials: u32,
    /// Writes reach all N replicas (true) or only the W that acknowledged first (false).
    pub propagate: bool,
    /// Times since commit to report, milliseconds.
    pub max_ms: f64,
    pub points: u32,
    pub seed: u64,
}

impl Default for StalenessSpec {
    fn default() -> Self {
        // Exponential legs, in the spirit of the LinkedIn disk fits in the PBS paper.
        StalenessSpec {
            n: 3,
            r: 1,
            w: 1,
            write_request: Dist::Exponential { mean_ms: 10.0 },
            write_ack: Dist::Exponential { mean_ms: 2.0 },
            read_request: Dist::Exponential { mean_ms: 2.0 },
            read_response: Dist::Exponential { mean_ms: 2.0 },
            trials: 100_000,
            propagate: true,
            max_ms: 100.0,
            points: 51,
            seed: 1,
        }
    }
}

impl Validate for StalenessSpec {
    fn validate(&self, path: &str, p: &mut Problems) {
        use crate::validate::join;
        p.range_u64(&join(path, "n"), self.n as u64, 1, 16);
        let n = self.n.clamp(1, 16) as u64;
        p.range_u64(&join(path, "r"), self.r as u64, 1, n);
        p.range_u64(&join(path, "w"), self.w as u64, 1, n);
        p.range_u64(&join(path, "trials"), self.trials as u64, 1, MAX_TRIALS as u64);
        p.range_f64(&join(path, "max_ms"), self.max_ms, 0.0, 60_000.0, "ms");
        p.range_u64(&join(path, "points"), self.points as u64, 2, 1_000);
        self.write_request.validate(&join(path, "write_request"), p);
        self.write_ack.validate(&join(path, "write_ack"), p);
        self.read_request.validate(&join(path, "read_request"), p);
        self.read_response.validate(&join(path, "read_response"), p);
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub t_ms: f64,
    pub p_consistent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessResult {
    pub n: u32,
    pub r: u32,
    pub w: u32,
    pub trials: u32,
    pub propagate: bool,
    pub points: Vec<CurvePoint>,
    /// Probability a read right after commit (t = 0) is consistent.
    pub p_consistent_at_commit: f64,
    /// Time after commit at which P(consistent) reaches 99.9% (None: never, within the draws).
    pub t_visibility_999_ms: Option<f64>,
    /// Closed form P(stale) = C(N−W,R)/C(N,R), valid when propagation is off.
    pub closed_form_stale: f64,
}

pub fn binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut r = 1.0;
    for i in 0..k {
        r = r * (n - i) as f64 / (i + 1) as f64;
    }
    r
}

pub fn closed_form_stale(n: u32, r: u32, w: u32) -> f64 {
    binomial((n - w.min(n)) as u64, r as u64) / binomial(n as u64, r as u64)
}

/// Runs the Monte Carlo. The spec must have been validated.
/// Orders the replicas `order` (at most 16) by `(at[i], i)`: an insertion sort in place, with no
/// allocation. Each trial sorts twice, and 20,000 trials through the general sort (which
/// allocates its index buffers) took most of a frame in the page.
fn sort_small(order: &mut [usize], at: &[u64]) {
    for k in 1..order.len() {
        let mut j = k;
        while j > 0 && (at[order[j]], order[j]) < (at[order[j - 1]], order[j - 1]) {
            order.swap(j, j - 1);
            j -= 1;
        }
    }
}

pub fn explore(spec: &StalenessSpec) -> StalenessResult {
    let n = spec.n.clamp(1, 16) as usize;
    let r = (spec.r as usize).clamp(1, n);
    let w = (spec.w as usize).clamp(1, n);
    let trials = spec.trials.clamp(1, MAX_TRIALS);
    let mut rng = SimRng::new(spec.seed, Stream::Staleness);
    // τ per trial in microseconds (i64: may be negative, i.e. consistent even at t = 0);
    // i64::MAX marks "never" (the read set missed every replica that got the write).
    let mut taus: Vec<i64> = Vec::with_capacity(trials as usize);
    let mut wi = vec![0u64; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut write_done = vec![0u64; n];
    let mut ri = vec![0u64; n];
    let mut resp = vec![0u64; n];
    for _ in 0..trials {
        for i in 0..n {
            wi[i] = spec.write_request.sample_us(&mut rng);
            write_done[i] = wi[i] + spec.write_ack.sample_us(&mut rng);
            ri[i] = spec.read_request.sample_us(&mut rng);
            resp[i] = ri[i] + spec.read_response.sample_us(&mut rng);
        }
        // Commit: the W-th earliest acknowledgement. Ties broken by index, deterministically.
        sort_small(&mut order, &write_done);
        let commit = write_done[order[w - 1]];
        let mut has_write = [false; 16];
        for (k, &i) in order.iter().enumerate() {
            has_write[i] = spec.propagate || k < w;
        }
        // Read set: the R earliest responses.
        sort_small(&mut order, &resp);
        let mut tau = i64::MAX;
        for &i in order.iter().take(r) {
            if has_write[i] {
                let t = wi[i] as i64 - commit as i64 - ri[i] as i64;
                tau = tau.min(t);
            }
        }
        taus.push(tau);
    }
    crate::sort::sort(&mut taus);
    let p_at = |t_us: i64| taus.partition_point(|x| *x <= t_us) as f64 / taus.len() as f64;
    let points = (0..spec.points.max(2))
        .map(|k| {
            let t_ms = spec.max_ms * k as f64 / (spec.points.max(2) - 1) as f64;
            CurvePoint { t_ms, p_consistent: p_at((t_ms * 1000.0) as i64) }
        })
        .collect();
    let idx = ((taus.len() as f64) * 0.999).ceil() as usize;
    let t_vis = taus.get(idx.saturating_sub(1)).filter(|t| **t != i64::MAX).map(|t| (*t).max(0) as f64 / 1000.0);
    StalenessResult {
        n: n as u32,
        r: r as u32,
        w: w as u32,
        trials,
        propagate: spec.propagate,
        points,
        p_consistent_at_commit: p_at(0),
        t_visibility_999_ms: t_vis,
        closed_form_stale: closed_form_stale(n as u32, r as u32, w as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_sort_orders_as_the_general_one_ties_included() {
        let mut rng = SimRng::new(7, Stream::Staleness);
        for trial in 0..2000 {
            let n = 1 + trial % 16;
            // Few distinct values, so that ties are common.
            let at: Vec<u64> = (0..n).map(|_| rng.next_u64() % 4).collect();
            let mut small: Vec<usize> = (0..n).rev().collect();
            sort_small(&mut small, &at);
            let mut general: Vec<usize> = (0..n).collect();
            crate::sort::sort_by_key(&mut general, |&i| (at[i], i));
            assert_eq!(small, general, "{at:?}");
        }
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(3, 1), 3.0);
        assert_eq!(binomial(2, 2), 1.0);
        assert_eq!(binomial(1, 2), 0.0);
        assert!((closed_form_stale(3, 1, 1) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(closed_form_stale(3, 2, 2), 0.0);
    }

    #[test]
    fn curve_rises_to_one_with_propagation() {
        let r = explore(&StalenessSpec { trials: 20_000, max_ms: 200.0, ..StalenessSpec::default() });
        let ps: Vec<f64> = r.points.iter().map(|p| p.p_consistent).collect();
        assert!(ps.windows(2).all(|w| w[0] <= w[1]), "monotone in t");
        assert!(ps[0] < 0.9 && *ps.last().unwrap() > 0.999, "{ps:?}");
        assert!(r.t_visibility_999_ms.is_some());
    }
}
