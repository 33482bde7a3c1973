//! Adaptive playback: how fast the displayed time moves, as a function of the run.
//!
//! At a fixed speed a 2 ms message crosses the screen within one frame and most frames show
//! nothing moving, while a quiet minute takes a minute. The pace instead gives every message in
//! flight a readable moment on screen, runs through stretches where nothing is on the wire, and
//! holds briefly on the moments a reader must not miss (faults, failovers, conflicts, anomalies,
//! a caption starting) — within a total time budget, so that a 45 s scenario plays in under two
//! minutes.
//!
//! The pace is a monotone map from simulated time to *play time* (milliseconds of wall-clock
//! time at 1×), built from the recorded runs alone: the same run always plays the same way, and
//! links keep pointing at simulated time. A hold is a stretch of play time during which
//! simulated time stands still.
//!
//! How busy stretches are paced: while messages are in flight, the displayed time moves at a
//! rate proportional to the shortest flight on the wire, `rate = d_min / flight`. A message of
//! duration `d` then stays on screen at least `flight` of play time (along its whole flight
//! `d_min ≤ d`), and long flights overlapping it do not slow it further. `flight` is the largest
//! value (at most [`MAX_FLIGHT_MS`]) that fits the budget.

use replicascope_engine::page::SimTime;

/// The longest a message takes to cross, in play-time milliseconds.
pub const MAX_FLIGHT_MS: f64 = 900.0;
/// The shortest, when the budget is tight (dense traffic): below this a message is not seen
/// moving; the run then plays longer than the budget rather than hiding its messages.
pub const MIN_FLIGHT_MS: f64 = 4.0;
/// A quiet stretch plays at [`QUIET_SPEED`] but never for longer than this.
pub const MAX_QUIET_MS: f64 = 100.0;
pub const QUIET_SPEED: f64 = 4.0;
/// The longest hold on one moment.
pub const MAX_HOLD_MS: f64 = 1_200.0;

/// The play-time budget for a run of `duration`: 2.4× its simulated length, from 15 s to 110 s.
pub fn budget_ms(duration: SimTime) -> f64 {
    (duration as f64 / 1000.0 * 2.4).clamp(15_000.0, 110_000.0)
}

/// A knot of the map: simulated time `t` is reached at play time `wall`. Two knots with the same
/// `t` are a hold.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Knot {
    t: SimTime,
    wall: f64,
}

/// The map from simulated time to play time, and back.
#[derive(Clone, Debug, PartialEq)]
pub struct Pace {
    knots: Vec<Knot>,
    /// Play-time milliseconds each message crosses in (at least), and near a moment.
    pub flight_ms: f64,
    pub focus_ms: f64,
    /// Play time spent holding, on quiet stretches, in slow motion and on the rest (ms).
    pub spent: Spent,
}

/// Where the play time goes (milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spent {
    pub holding: f64,
    pub quiet: f64,
    pub focus: f64,
    pub busy: f64,
}

/// What the pace is built from: each message's flight, and the moments to hold on.
pub struct PaceInput {
    pub duration: SimTime,
    /// (sent_at, deliver_at) of every message drawn, in any order.
    pub flights: Vec<(SimTime, SimTime)>,
    /// Moments to hold on, in any order (duplicates are held once).
    pub moments: Vec<SimTime>,
}

/// A stretch of simulated time with the shortest flight on the wire during it (None: quiet).
#[derive(Debug)]
struct Stretch {
    from: SimTime,
    to: SimTime,
    shortest: Option<SimTime>,
}

/// Splits `[0, duration)` into stretches, each with the shortest flight in the air.
///
/// The boundaries of all flights cut the time into segments; flights are then taken from the
/// shortest to the longest and each one marks the segments it covers that no shorter flight
/// marked (a "next unmarked segment" pointer per segment, with path halving, skips the marked
/// ones), so every segment ends up with the shortest flight over it. O(n log n), and only vectors
/// and the one shared sort (the page's bytes matter: see `engine/src/sort.rs`).
fn stretches(duration: SimTime, flights: &[(SimTime, SimTime)]) -> Vec<Stretch> {
    use replicascope_engine::page::sort_by;
    let mut spans: Vec<(SimTime, SimTime)> =
        flights.iter().map(|&(a, b)| (a.min(duration), b.min(duration))).filter(|(a, b)| b > a).collect();
    let mut cuts: Vec<SimTime> = Vec::with_capacity(spans.len() * 2 + 2);
    cuts.push(0);
    cuts.push(duration);
    for &(a, b) in &spans {
        cuts.push(a);
        cuts.push(b);
    }
    sort_by(&mut cuts, |x, y| x.cmp(y));
    cuts.dedup();
    let segments = cuts.len() - 1;
    let at = |t: SimTime| cuts.partition_point(|c| *c < t);
    // shortest[i]: the shortest flight over segment i (cuts[i]..cuts[i + 1]).
    let mut shortest: Vec<Option<SimTime>> = vec![None; segments];
    // next[i]: a segment at or after i that may be unmarked (segments itself: none).
    let mut next: Vec<u32> = (0..=segments as u32).collect();
    fn find(next: &mut [u32], mut i: usize) -> usize {
        while next[i] as usize != i {
            let up = next[next[i] as usize];
            next[i] = up;
            i = up as usize;
        }
        i
    }
    sort_by(&mut spans, |x, y| (x.1 - x.0).cmp(&(y.1 - y.0)));
    for &(a, b) in &spans {
        let end = at(b);
        let mut i = find(&mut next, at(a));
        while i < end {
            shortest[i] = Some(b - a);
            next[i] = (i + 1) as u32;
            i = find(&mut next, i + 1);
        }
    }
    let mut out: Vec<Stretch> = Vec::new();
    for i in 0..segments {
        let (from, to) = (cuts[i], cuts[i + 1]);
        match out.last_mut() {
            Some(last) if last.shortest == shortest[i] => last.to = to,
            _ => out.push(Stretch { from, to, shortest: shortest[i] }),
        }
    }
    out
}

/// Simulated time before a moment that plays in slow motion (the read that comes back stale,
/// the write that is about to be lost), and after it (what a crash cuts off).
pub const FOCUS_BEFORE: SimTime = 60_000;
pub const FOCUS_AFTER: SimTime = 20_000;
/// How long a message takes to cross in slow motion, at most.
pub const FOCUS_FLIGHT_MS: f64 = 500.0;

/// A stretch, or the part of one inside or outside a focus window.
#[derive(Clone, Copy, Debug)]
struct Piece {
    from: SimTime,
    to: SimTime,
    shortest: Option<SimTime>,
    focus: bool,
    /// The length of the whole stretch it was cut from.
    whole: SimTime,
}

/// Cuts stretches at the edges of the focus windows.
fn pieces(parts: &[Stretch], windows: &[(SimTime, SimTime)]) -> Vec<Piece> {
    let mut out = Vec::with_capacity(parts.len() + windows.len() * 2);
    let mut w = 0;
    for p in parts {
        let mut from = p.from;
        while from < p.to {
            while w < windows.len() && windows[w].1 <= from {
                w += 1;
            }
            let (to, focus) = match windows.get(w) {
                Some(&(a, _)) if a > from => (a.min(p.to), false),
                Some(&(_, b)) => (b.min(p.to), true),
                None => (p.to, false),
            };
            out.push(Piece { from, to, shortest: p.shortest, focus, whole: p.to - p.from });
            from = to;
        }
    }
    out
}

impl Pace {
    pub fn new(input: &PaceInput) -> Pace {
        let duration = input.duration.max(1);
        let parts = stretches(duration, &input.flights);
        // Not at 0: playback starts there from a pause, with the first caption already shown.
        let mut moments: Vec<SimTime> = input.moments.iter().copied().filter(|t| *t > 0 && *t < duration).collect();
        replicascope_engine::page::sort_by(&mut moments, |a, b| a.cmp(b));
        moments.dedup();
        let mut windows: Vec<(SimTime, SimTime)> = Vec::new();
        for &m in &moments {
            let (a, b) = (m.saturating_sub(FOCUS_BEFORE), (m + FOCUS_AFTER).min(duration));
            match windows.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => windows.push((a, b)),
            }
        }
        let pieces = pieces(&parts, &windows);
        let budget = budget_ms(duration);
        // Holds take at most a tenth of the budget, slow motion at most a third; quiet
        // stretches take what they take; the busy rest shares what is left.
        let hold = if moments.is_empty() { 0.0 } else { (budget / 10.0 / moments.len() as f64).min(MAX_HOLD_MS) };
        let quiet_ms = |len: SimTime| (len as f64 / 1000.0 / QUIET_SPEED).min(MAX_QUIET_MS);
        // Quiet stretches (whole ones, before they are cut) and the busy ones' cost in flights.
        let quiet: f64 = parts.iter().filter(|p| p.shortest.is_none()).map(|p| quiet_ms(p.to - p.from)).sum();
        let cost = |focus: bool| -> f64 {
            let mine = pieces.iter().filter(|p| p.focus == focus);
            mine.filter_map(|p| p.shortest.map(|s| (p.to - p.from) as f64 / s as f64)).sum()
        };
        let (focus_cost, rest_cost) = (cost(true), cost(false));
        let focus_ms = if focus_cost > 0.0 { (budget / 3.0 / focus_cost).min(FOCUS_FLIGHT_MS) } else { 0.0 };
        let left = budget - hold * moments.len() as f64 - quiet - focus_ms * focus_cost;
        let flight_ms =
            if rest_cost > 0.0 { (left / rest_cost).clamp(MIN_FLIGHT_MS, MAX_FLIGHT_MS) } else { MAX_FLIGHT_MS };
        let focus_ms = focus_ms.max(flight_ms);

        let mut spent = Spent::default();
        let mut knots = vec![Knot { t: 0, wall: 0.0 }];
        let mut wall = 0.0;
        let mut m = 0;
        for &Piece { from, to, shortest, focus, whole } in &pieces {
            // A quiet piece takes its share of its whole stretch's play time.
            let quiet_scale = (MAX_QUIET_MS / (whole.max(1) as f64 / 1000.0)).min(1.0 / QUIET_SPEED);
            let play_ms = |a: SimTime, b: SimTime, spent: &mut Spent| {
                let (ms, bucket) = match shortest {
                    Some(s) if focus => ((b - a) as f64 / s as f64 * focus_ms, &mut spent.focus),
                    Some(s) => ((b - a) as f64 / s as f64 * flight_ms, &mut spent.busy),
                    None => ((b - a) as f64 / 1000.0 * quiet_scale, &mut spent.quiet),
                };
                *bucket += ms;
                ms
            };
            let mut at = from;
            while m < moments.len() && moments[m] < to {
                let t = moments[m].max(at);
                wall += play_ms(at, t, &mut spent);
                knots.push(Knot { t, wall });
                wall += hold;
                spent.holding += hold;
                knots.push(Knot { t, wall });
                at = t;
                m += 1;
            }
            wall += play_ms(at, to, &mut spent);
            knots.push(Knot { t: to, wall });
        }
        Pace { knots, flight_ms, focus_ms, spent }
    }

    /// Total play time, milliseconds.
    pub fn total_ms(&self) -> f64 {
        self.knots.last().map_or(0.0, |k| k.wall)
    }

    /// The play time at which simulated time `t` is first shown (the start of a hold there).
    pub fn wall_at(&self, t: f64) -> f64 {
        let k = &self.knots;
        let i = k.partition_point(|x| (x.t as f64) < t);
        if i == 0 {
            return 0.0;
        }
        let Some(b) = k.get(i) else { return self.total_ms() };
        let a = k[i - 1];
        let span = (b.t - a.t) as f64;
        if span <= 0.0 {
            return b.wall;
        }
        a.wall + (b.wall - a.wall) * ((t - a.t as f64) / span)
    }

    /// The simulated time shown at play time `wall`.
    pub fn time_at(&self, wall: f64) -> f64 {
        let k = &self.knots;
        let i = k.partition_point(|x| x.wall <= wall);
        if i == 0 {
            return 0.0;
        }
        let Some(b) = k.get(i) else { return k[i - 1].t as f64 };
        let a = k[i - 1];
        if b.t == a.t || b.wall <= a.wall {
            return a.t as f64;
        }
        a.t as f64 + (b.t - a.t) as f64 * ((wall - a.wall) / (b.wall - a.wall))
    }

    /// Simulated microseconds per play-time millisecond at `wall` (0 during a hold), for the
    /// clock's rate display: `rate / 1000` is the speed as a multiple of real time.
    pub fn rate_at(&self, wall: f64) -> f64 {
        let k = &self.knots;
        let i = k.partition_point(|x| x.wall <= wall);
        match (i.checked_sub(1).map(|j| k[j]), k.get(i)) {
            (Some(a), Some(b)) if b.wall > a.wall => (b.t - a.t) as f64 / (b.wall - a.wall),
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(duration: SimTime, flights: &[(SimTime, SimTime)], moments: &[SimTime]) -> Pace {
        Pace::new(&PaceInput { duration, flights: flights.to_vec(), moments: moments.to_vec() })
    }

    #[test]
    fn a_message_crosses_in_a_readable_moment_and_quiet_time_runs_through() {
        // One 2 ms message at 1 s in a 10 s run: it takes a full flight; the rest is quiet.
        let p = pace(10_000_000, &[(1_000_000, 1_002_000)], &[]);
        assert_eq!(p.flight_ms, MAX_FLIGHT_MS);
        let crossing = p.wall_at(1_002_000.0) - p.wall_at(1_000_000.0);
        assert!((crossing - MAX_FLIGHT_MS).abs() < 1e-6, "{crossing}");
        // The quiet second before it plays at most MAX_QUIET_MS.
        assert!(p.wall_at(1_000_000.0) <= MAX_QUIET_MS + 1e-6);
        assert!(p.total_ms() <= MAX_FLIGHT_MS + 2.0 * MAX_QUIET_MS + 1e-6);
    }

    #[test]
    fn time_and_play_time_are_inverse_and_monotone() {
        let flights: Vec<(SimTime, SimTime)> =
            (0..500u64).map(|i| (i * 37_000 % 9_000_000, i * 37_000 % 9_000_000 + 500 + i * 97 % 80_000)).collect();
        let p = pace(10_000_000, &flights, &[2_000_000, 2_000_000, 5_500_000]);
        let mut last = -1.0;
        for i in 0..=10_000 {
            let t = i as f64 * 1000.0;
            let w = p.wall_at(t);
            assert!(w >= last, "wall_at is monotone at {t}");
            last = w;
            let back = p.time_at(w);
            assert!((back - t).abs() < 1.0, "time_at(wall_at({t})) = {back}");
        }
        // A hold: simulated time stands still at 2 s for a while.
        let w = p.wall_at(2_000_000.0);
        assert_eq!(p.time_at(w + 10.0), 2_000_000.0);
        assert_eq!(p.rate_at(w + 10.0), 0.0);
    }

    #[test]
    fn a_long_flight_overlapping_short_ones_does_not_slow_them_further() {
        // A 100 ms flight with a 2 ms one inside it: the 2 ms one takes a flight, the rest of
        // the long one another flight's worth in total.
        let p = pace(1_000_000, &[(0, 100_000), (50_000, 52_000)], &[]);
        let short = p.wall_at(52_000.0) - p.wall_at(50_000.0);
        let long = p.wall_at(100_000.0) - p.wall_at(0.0);
        assert!((short - p.flight_ms).abs() < 1e-6);
        assert!((long - 2.0 * p.flight_ms + p.flight_ms * 2.0 / 100.0).abs() < 1e-6, "{long}");
    }
}
