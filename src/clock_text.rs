//! What the playback bar's clock says: paused, the exact time; playing, as many digits as the
//! speed lets a person read. Plain Rust, tested natively.

/// The clock paused: exact to the microsecond, so that stepping between events a fraction of a
/// millisecond apart shows the time moving ("4.03 s", then "4.031250 s" reads "4.03125 s").
pub fn exact_clock_text(time: f64) -> String {
    let us = if time.is_finite() { time.max(0.0).round() as u64 } else { 0 };
    let trim = |text: String, keep: usize| -> String {
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let frac = frac.trim_end_matches('0');
        let frac = if frac.len() < keep { format!("{frac:0<keep$}") } else { frac.to_string() };
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    };
    if us == 0 {
        "0 s".to_string()
    } else if us >= 1_000_000 {
        // At least one decimal from 10 s and two below, more only if needed.
        let keep = if us >= 10_000_000 { 1 } else { 2 };
        format!("{} s", trim(format!("{:.6}", us as f64 / 1e6), keep))
    } else if us >= 1_000 {
        format!("{} ms", trim(format!("{:.3}", us as f64 / 1e3), 0))
    } else {
        format!("{us} µs")
    }
}

/// The clock while playing, in steps of 1, 2 or 5 times a power of ten chosen so that it changes
/// four to ten times a second at `rate` (1×: "3.4 s", "3.5 s"; 0.01×: "3.456 s"; 4×: "12.0 s",
/// "12.5 s"): the bar moves at the page's view ticks, ten a second, and a finer step would show
/// a last digit that jumps by uneven amounts (a digit that changes faster could not be read
/// anyway). Shown to the step below, never ahead of the diagram.
///
/// `last` is the time the clock showed last (in µs): when the rate speeds up and the step grows,
/// the clock keeps showing it until the time reaches the next step, instead of stepping back.
/// Returns the time shown (for `last`) and the text.
pub fn clock_text(time: f64, rate: f64, last: f64) -> (f64, String) {
    let time = if time.is_finite() { time.max(0.0) } else { 0.0 };
    if time < 1.0 {
        return (0.0, "0 s".to_string());
    }
    // The simulated microseconds of a tenth of a second of playing (1 µs at the least), rounded
    // up to 1, 2 or 5 times a power of ten.
    let moved = if rate > 0.0 { (rate * 1e5).max(1.0) } else { 1e5 };
    let power = moved.log10().floor() as i32;
    let base = 10f64.powi(power);
    let unit =
        [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * base).find(|u| *u >= moved * (1.0 - 1e-9)).unwrap_or(10.0 * base);
    let mut shown = (time / unit + 1e-9).floor() * unit;
    if shown < last && last <= time {
        shown = last;
    }
    if shown < 1.0 {
        return (0.0, "0 s".to_string());
    }
    // Named by what is shown: a time a hair under a second shown as 1 s reads "1.0 s", not
    // "1000 ms".
    let (value, per_unit, name) =
        if shown < 1e6 - 1e-3 { (shown / 1e3, unit / 1e3, "ms") } else { (shown / 1e6, unit / 1e6, "s") };
    // The decimals the step needs (a step of 2 or 5 times 10^k needs as many as 10^k), or more
    // for a time kept from a finer step.
    let step_decimals = (-(per_unit * 1.000_001).log10().floor()).clamp(0.0, 6.0) as usize;
    let exact = (step_decimals..=6).find(|d| {
        let scaled = value * 10f64.powi(*d as i32);
        (scaled - scaled.round()).abs() < 1e-4
    });
    let decimals = exact.unwrap_or(6);
    (shown, format!("{value:.decimals$} {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_playing_clock_shows_the_digits_its_rate_can_read() {
        assert_eq!(clock_text(3_456_789.0, 1.0, 0.0).1, "3.4 s");
        assert_eq!(clock_text(3_456_789.0, 0.01, 0.0).1, "3.456 s");
        assert_eq!(clock_text(3_456_789.0, 0.002, 0.0).1, "3.4566 s");
        assert_eq!(clock_text(12_456_789.0, 4.0, 0.0).1, "12.0 s");
        assert_eq!(clock_text(12_656_789.0, 4.0, 0.0).1, "12.5 s");
        assert_eq!(clock_text(377_000.0, 0.14, 0.0).1, "360 ms");
        assert_eq!(clock_text(377_123.0, 0.00001, 0.0).1, "377.123 ms");
        // Holding on a moment: as at 1×.
        assert_eq!(clock_text(3_456_789.0, 0.0, 0.0).1, "3.4 s");
        assert_eq!(clock_text(0.0, 1.0, 0.0).1, "0 s");
        // Under the first step: nothing to show yet but zero.
        assert_eq!(clock_text(40_000.0, 1.0, 0.0).1, "0 s");
        // A hair under a second, shown at the second (the step's rounding): in seconds.
        assert_eq!(clock_text(999_999.9999, 1.0, 0.0).1, "1.0 s");
        assert_eq!(clock_text(999_999.0, 1.0, 0.0).1, "900 ms");
        assert_eq!(clock_text(f64::NAN, 1.0, 0.0).1, "0 s");
    }

    #[test]
    fn the_playing_clock_changes_four_to_ten_times_a_second_and_never_runs_ahead() {
        for rate in [0.001, 0.0137, 0.066, 0.14, 0.5, 1.0, 2.5, 4.0, 10.0] {
            let start = 1_234_567.0;
            let mut last = 0.0;
            let texts: Vec<String> = (0..=60)
                .map(|f| {
                    let (shown, text) = clock_text(start + rate * 1e6 * f as f64 / 60.0, rate, last);
                    last = shown;
                    text
                })
                .collect();
            let changes = texts.windows(2).filter(|w| w[0] != w[1]).count();
            assert!((4..=10).contains(&changes), "{changes} changes in a second at {rate}×");
            for (f, t) in texts.iter().enumerate() {
                let shown: f64 = t.trim_end_matches(" s").parse().unwrap();
                assert!(shown * 1e6 <= start + rate * 1e6 * f as f64 / 60.0 + 1e-3, "{t} ahead at {rate}×");
            }
        }
    }

    #[test]
    fn the_playing_clock_does_not_step_back_when_the_rate_speeds_up() {
        // At 0.093× the clock shows 10 ms steps; at 4× it would show 500 ms steps.
        let (shown, text) = clock_text(640_000.0, 0.093, 0.0);
        assert_eq!(text, "640 ms");
        let (kept, text) = clock_text(900_000.0, 4.0, shown);
        assert_eq!((kept, text.as_str()), (640_000.0, "640 ms"));
        assert_eq!(clock_text(1_000_000.0, 4.0, kept).1, "1.0 s");
        // Seconds kept from a fine step keep their digits, never rounded up.
        let (shown, text) = clock_text(3_456_789.0, 0.01, 0.0);
        assert_eq!(text, "3.456 s");
        assert_eq!(clock_text(3_499_999.0, 4.0, shown).1, "3.456 s");
        assert_eq!(clock_text(3_600_000.0, 4.0, shown).1, "3.5 s");
        // Moved back (a seek while playing): the earlier time at once.
        assert_eq!(clock_text(1_000_000.0, 4.0, shown).1, "1.0 s");
    }
}
