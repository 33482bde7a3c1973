//! Where things are drawn: node positions on a circle, points along links. Pure functions,
//! tested natively.

/// Position of node `i` of `n` on a circle of radius `r` centred at (`cx`, `cy`), the first at the top.
pub fn node_position(i: usize, n: usize, cx: f64, cy: f64, r: f64) -> (f64, f64) {
    if n <= 1 {
        return (cx, cy);
    }
    let a = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
    (cx + r * a.cos(), cy + r * a.sin())
}

/// How far along its link a message is at `now`: 0 at `sent_at`, 1 at `deliver_at`.
pub fn progress(now: u64, sent_at: u64, deliver_at: u64) -> f64 {
    if deliver_at <= sent_at {
        return 1.0;
    }
    ((now.saturating_sub(sent_at)) as f64 / (deliver_at - sent_at) as f64).clamp(0.0, 1.0)
}

pub fn lerp(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_node_is_on_top() {
        let (x, y) = node_position(0, 3, 100.0, 100.0, 50.0);
        assert!((x - 100.0).abs() < 1e-9 && (y - 50.0).abs() < 1e-9);
    }

    #[test]
    fn progress_is_clamped() {
        assert_eq!(progress(5, 10, 20), 0.0);
        assert_eq!(progress(15, 10, 20), 0.5);
        assert_eq!(progress(25, 10, 20), 1.0);
        assert_eq!(progress(10, 10, 10), 1.0);
    }
}
