//! Simulated time: integer microseconds since the start of a run.
//!
//! Nothing in the engine reads a wall clock. Durations in scenario files are written with a unit
//! (`"250ms"`, `"3.5s"`, `"40us"`, `"2m"`) so that a hand-edited file or link is unambiguous.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A point in simulated time, in microseconds since the run started.
pub type SimTime = u64;

pub const MICROS_PER_MS: u64 = 1_000;
pub const MICROS_PER_S: u64 = 1_000_000;

/// The longest duration any scenario field may hold (one simulated hour).
pub const MAX_DURATION: u64 = 3_600 * MICROS_PER_S;

pub const fn ms(v: u64) -> u64 {
    v * MICROS_PER_MS
}

pub const fn secs(v: u64) -> u64 {
    v * MICROS_PER_S
}

/// A duration in microseconds that (de)serialises as a string with a unit.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    pub fn from_ms(v: u64) -> Self {
        Duration(v * MICROS_PER_MS)
    }
    pub fn from_secs(v: u64) -> Self {
        Duration(v * MICROS_PER_S)
    }
    pub fn micros(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// Formats microseconds compactly and exactly, so that parsing the output gives the input back:
/// `1500000` → `"1.5s"`, `250000` → `"250ms"`, `40` → `"40us"`.
pub fn format_duration(us: u64) -> String {
    if us == 0 {
        return "0s".to_string();
    }
    if us.is_multiple_of(MICROS_PER_S) {
        return format!("{}s", us / MICROS_PER_S);
    }
    if us >= MICROS_PER_S && us.is_multiple_of(MICROS_PER_MS) {
        let whole = us / MICROS_PER_S;
        let frac = (us % MICROS_PER_S) / MICROS_PER_MS;
        let frac = format!("{frac:03}");
        return format!("{whole}.{}s", frac.trim_end_matches('0'));
    }
    if us.is_multiple_of(MICROS_PER_MS) {
        return format!("{}ms", us / MICROS_PER_MS);
    }
    if us >= MICROS_PER_MS {
        let whole = us / MICROS_PER_MS;
        let frac = format!("{:03}", us % MICROS_PER_MS);
        return format!("{whole}.{}ms", frac.trim_end_matches('0'));
    }
    format!("{us}us")
}

/// Formats a time for people: `"3.52 s"`, `"180 ms"`, `"0.4 ms"`. Not meant to round-trip.
pub fn human_duration(us: u64) -> String {
    if us >= 10 * MICROS_PER_S {
        format!("{:.1} s", us as f64 / MICROS_PER_S as f64)
    } else if us >= MICROS_PER_S {
        format!("{:.2} s", us as f64 / MICROS_PER_S as f64)
    } else if us >= 10 * MICROS_PER_MS {
        format!("{} ms", (us + 500) / MICROS_PER_MS)
    } else if us >= MICROS_PER_MS {
        format!("{:.1} ms", us as f64 / MICROS_PER_MS as f64)
    } else {
        format!("{us} µs")
    }
}

/// Parses `"250ms"`, `"3.5s"`, `"40us"`, `"2m"`, `"1h"`; at most [`MAX_DURATION`], no negatives.
/// Every message says what was wrong with the text: a missing unit, a sign, an unknown unit, a
/// value too large.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration; write e.g. \"250ms\" or \"3.5s\"".into());
    }
    if s.len() > 32 {
        return Err("duration is too long to be a duration".into());
    }
    if let Some(rest) = s.strip_prefix('-') {
        return Err(format!("\"{s}\" is negative; a duration is at least 0 (write \"{}\")", rest.trim()));
    }
    let s = s.strip_prefix('+').unwrap_or(s).trim_start();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("\"{s}\" has no unit; write e.g. \"{s}ms\" or \"{s}s\""))?;
    let (num, unit) = s.split_at(split);
    let factor: u64 = match unit.trim() {
        "us" | "µs" => 1,
        "ms" => MICROS_PER_MS,
        "s" => MICROS_PER_S,
        "m" | "min" => 60 * MICROS_PER_S,
        "h" => 3_600 * MICROS_PER_S,
        other => {
            return Err(format!(
                "unknown unit \"{}\" in \"{s}\"; use us, ms, s, m or h",
                other.chars().take(12).collect::<String>()
            ))
        }
    };
    if num.is_empty() {
        return Err(format!("\"{s}\" has no number"));
    }
    let (int_part, frac_part) = match num.split_once('.') {
        Some((a, b)) => (a, b),
        None => (num, ""),
    };
    if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
        return Err(format!("\"{s}\" is not a number with a unit"));
    }
    let too_long = || format!("\"{s}\" is out of range (at most 1h)");
    let int: u64 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| too_long())? };
    let mut total = int.checked_mul(factor).ok_or_else(too_long)?;
    // Fractional digits finer than a microsecond are rounded away.
    let mut scale = factor;
    for d in frac_part.chars().take(12) {
        scale /= 10;
        if scale == 0 {
            break;
        }
        total = total.saturating_add(scale * u64::from(d as u8 - b'0'));
    }
    if total > MAX_DURATION {
        return Err(too_long());
    }
    Ok(total)
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&format_duration(self.0))
        } else {
            // Compact links carry plain microseconds.
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, such as \"250ms\" or \"3.5s\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map(Duration).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                Err(E::custom(format!("{v} has no unit; write it as a string with one, such as \"{v}ms\" or \"{v}s\"")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{v} has no unit; write a duration as a string with one, such as \"250ms\" or \"3.5s\""
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{v} has no unit; write a duration as a string with one, such as \"250ms\" or \"3.5s\""
                )))
            }
        }
        /// Compact binary links store plain microseconds.
        struct Micros;
        impl serde::de::Visitor<'_> for Micros {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("microseconds")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                if v > MAX_DURATION {
                    return Err(E::custom("duration is out of range (at most 1h)"));
                }
                Ok(Duration(v))
            }
        }
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            d.deserialize_u64(Micros)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("250ms"), Ok(250_000));
        assert_eq!(parse_duration("3.5s"), Ok(3_500_000));
        assert_eq!(parse_duration("40us"), Ok(40));
        assert_eq!(parse_duration("2m"), Ok(120_000_000));
        assert_eq!(parse_duration("0.25ms"), Ok(250));
        assert_eq!(parse_duration(".5s"), Ok(500_000));
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in ["", "5", "-1s", "1.2.3s", "2h", "99999999999999999999s", "2m30", "s", "61m", "3d"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000));
        assert_eq!(parse_duration("+500ms"), Ok(500_000));
    }

    #[test]
    fn each_mistake_gets_its_own_message() {
        let msg = |s: &str| parse_duration(s).unwrap_err();
        assert!(msg("-1s").contains("negative"), "{}", msg("-1s"));
        assert!(msg("2h").contains("out of range"), "{}", msg("2h"));
        assert!(msg("3d").contains("unknown unit \"d\""), "{}", msg("3d"));
        assert!(msg("5").contains("has no unit"), "{}", msg("5"));
    }

    #[test]
    fn a_bare_number_in_a_file_is_refused_and_a_compact_link_still_reads_microseconds() {
        let err = serde_json::from_str::<Duration>("5000").unwrap_err().to_string();
        assert!(err.contains("has no unit"), "{err}");
        assert!(serde_json::from_str::<Duration>("-3").is_err());
        assert!(serde_json::from_str::<Duration>("2.5").is_err());
        assert_eq!(serde_json::from_str::<Duration>("\"5ms\"").unwrap(), Duration(5_000));
        let bytes = postcard::to_allocvec(&Duration(1_234)).unwrap();
        assert_eq!(postcard::from_bytes::<Duration>(&bytes).unwrap(), Duration(1_234));
    }

    #[test]
    fn format_round_trips() {
        for us in [0, 1, 40, 999, 1000, 1500, 250_000, 1_000_000, 3_500_000, 3_512_000, 59_999_999] {
            assert_eq!(parse_duration(&format_duration(us)), Ok(us), "{us}");
        }
    }
}
