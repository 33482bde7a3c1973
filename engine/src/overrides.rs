//! Setting one field of a topology's settings from link text (`lf.mode=semi_sync`,
//! `ll.anti_entropy=null`, `lf.failure_timeout=2s`), without a JSON reader.
//!
//! Links, the settings panel and the link writer all change settings this way. It used to go
//! through JSON (write the settings as JSON, replace the field, read it all back): correct, but
//! it needed a JSON reader for every setting's type in the page, and the page has no other use
//! for one once its presets are compiled in (`src/presets.rs`). Here each setting's type reads a
//! [`Scalar`] itself; `tests` hold the result equal to the JSON way's, field by field, for every
//! preset and a bank of values, good and bad.

use crate::time::{parse_duration, Duration};
use crate::vocab::truncate;
use serde::Serialize;

/// A value as link text gives it: a JSON scalar when the text is one (a number, `true`,
/// `false`, `null`), otherwise the text itself, as a string.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    /// A JSON number, as written (trimmed).
    Number(&'a str),
    Str(&'a str),
}

impl<'a> Scalar<'a> {
    pub fn parse(text: &'a str) -> Scalar<'a> {
        let t = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        match t {
            "null" => Scalar::Null,
            "true" => Scalar::Bool(true),
            "false" => Scalar::Bool(false),
            _ if is_json_number(t) => Scalar::Number(t),
            _ => Scalar::Str(text),
        }
    }

    /// As a JSON reader would say what it found, in an error (a long value cut short: links
    /// come from strangers, and an error is shown on the page).
    fn found(&self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => format!("boolean `{b}`"),
            Scalar::Number(n) => match integer(n) {
                Some(i) => format!("integer `{i}`"),
                None => format!("floating point `{}`", truncate(n)),
            },
            Scalar::Str(s) => format!("string {:?}", truncate(s)),
        }
    }
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// A JSON number that a reader takes as an integer (no fraction, no exponent, in range of a
/// 64-bit integer).
fn integer(n: &str) -> Option<i128> {
    if n.contains(['.', 'e', 'E']) {
        return None;
    }
    let v: i128 = n.parse().ok()?;
    // A negative zero is a float to a JSON reader (`-0.0`), as is anything out of range.
    let negative_zero = v == 0 && n.starts_with('-');
    ((i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) && !negative_zero).then_some(v)
}

/// A setting's type, read from a [`Scalar`].
pub trait FromScalar: Sized {
    fn from_scalar(v: &Scalar) -> Result<Self, String>;
}

impl FromScalar for u32 {
    fn from_scalar(v: &Scalar) -> Result<u32, String> {
        match v {
            Scalar::Number(n) => match integer(n) {
                Some(i) => u32::try_from(i).map_err(|_| format!("invalid value: integer `{i}`, expected u32")),
                None => Err(format!("invalid type: {}, expected u32", v.found())),
            },
            _ => Err(format!("invalid type: {}, expected u32", v.found())),
        }
    }
}

impl FromScalar for bool {
    fn from_scalar(v: &Scalar) -> Result<bool, String> {
        match v {
            Scalar::Bool(b) => Ok(*b),
            _ => Err(format!("invalid type: {}, expected a boolean", v.found())),
        }
    }
}

impl FromScalar for Duration {
    fn from_scalar(v: &Scalar) -> Result<Duration, String> {
        match v {
            // The reader's own message, unless it would repeat a long value at length.
            Scalar::Str(s) => parse_duration(s).map(Duration).map_err(|e| {
                if e.chars().count() > 120 {
                    format!("{:?} is not a duration with a unit, such as \"250ms\" or \"3.5s\"", truncate(s))
                } else {
                    e
                }
            }),
            Scalar::Number(n) => Err(format!(
                "{} has no unit; write a duration as a string with one, such as \"250ms\" or \"3.5s\"",
                truncate(n)
            )),
            _ => Err(format!(
                "invalid type: {}, expected a duration with a unit, such as \"250ms\" or \"3.5s\"",
                v.found()
            )),
        }
    }
}

impl<T: FromScalar> FromScalar for Option<T> {
    fn from_scalar(v: &Scalar) -> Result<Option<T>, String> {
        match v {
            Scalar::Null => Ok(None),
            _ => T::from_scalar(v).map(Some),
        }
    }
}

/// Lists of regions are not set from a link's single value.
impl FromScalar for Vec<String> {
    fn from_scalar(v: &Scalar) -> Result<Vec<String>, String> {
        Err(format!("invalid type: {}, expected a sequence", v.found()))
    }
}

/// An enum read by the names it is written with (its serde names, so links, files and this
/// agree by construction).
pub fn variant<T: Serialize + Copy>(v: &Scalar, all: &[T]) -> Result<T, String> {
    let name = |t: &T| serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let names = || all.iter().map(|t| format!("`{}`", name(t))).collect::<Vec<_>>().join(", ");
    match v {
        Scalar::Str(s) => all
            .iter()
            .copied()
            .find(|t| name(t) == *s)
            .ok_or_else(|| format!("unknown variant `{}`, expected one of {}", truncate(s), names())),
        _ => Err(format!("invalid type: {}, expected one of {}", v.found(), names())),
    }
}

/// `FromScalar` for enums: every variant, listed once (a variant left out does not compile).
#[macro_export]
macro_rules! scalar_enum {
    ($t:ident: $($v:ident),* $(,)?) => {
        const _: fn($t) = |x| match x {
            $($t::$v => {})*
        };
        impl $crate::overrides::FromScalar for $t {
            fn from_scalar(v: &$crate::overrides::Scalar) -> Result<$t, String> {
                $crate::overrides::variant(v, &[$(<$t>::$v),*])
            }
        }
    };
}

/// A topology's settings, set one field at a time by name.
pub trait Overridable {
    /// `None`: no field of that name; `Some(Err)`: the value does not fit the field.
    fn set_field(&mut self, field: &str, v: &Scalar) -> Option<Result<(), String>>;
}

/// `Overridable` for a settings struct: every field, listed once (a test fails on a field left
/// out).
#[macro_export]
macro_rules! overridable {
    ($t:ty { $($f:ident),* $(,)? }) => {
        impl $crate::overrides::Overridable for $t {
            fn set_field(&mut self, field: &str, v: &$crate::overrides::Scalar) -> Option<Result<(), String>> {
                match field {
                    $(stringify!($f) => Some($crate::overrides::FromScalar::from_scalar(v).map(|x| self.$f = x)),)*
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_text_reads_as_json_scalars_do() {
        for (text, want) in [
            ("null", Scalar::Null),
            ("true", Scalar::Bool(true)),
            (" false ", Scalar::Bool(false)),
            ("3", Scalar::Number("3")),
            ("-0", Scalar::Number("-0")),
            ("2.5e-3", Scalar::Number("2.5e-3")),
            ("1E3", Scalar::Number("1E3")),
            ("01", Scalar::Str("01")),
            ("1.", Scalar::Str("1.")),
            (".5", Scalar::Str(".5")),
            ("+1", Scalar::Str("+1")),
            ("1e", Scalar::Str("1e")),
            ("-", Scalar::Str("-")),
            ("", Scalar::Str("")),
            ("True", Scalar::Str("True")),
            ("2s", Scalar::Str("2s")),
            (" semi_sync", Scalar::Str(" semi_sync")),
        ] {
            assert_eq!(Scalar::parse(text), want, "{text:?}");
            // The same as a JSON reader's verdict.
            let json = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Null) => Scalar::Null,
                Ok(serde_json::Value::Bool(b)) => Scalar::Bool(b),
                Ok(serde_json::Value::Number(_)) => Scalar::Number(text.trim()),
                _ => Scalar::Str(text),
            };
            assert_eq!(json, want, "{text:?}");
        }
    }

    #[test]
    fn whole_numbers_fit_or_say_why() {
        assert_eq!(u32::from_scalar(&Scalar::parse("4294967295")), Ok(u32::MAX));
        assert!(u32::from_scalar(&Scalar::parse("4294967296")).unwrap_err().contains("expected u32"));
        assert!(u32::from_scalar(&Scalar::parse("-1")).unwrap_err().contains("`-1`"));
        assert!(u32::from_scalar(&Scalar::parse("2.0")).unwrap_err().contains("floating point"));
        assert!(u32::from_scalar(&Scalar::parse("99999999999999999999")).is_err());
        assert!(u32::from_scalar(&Scalar::parse("-0")).is_err());
        assert!(u32::from_scalar(&Scalar::parse("three")).unwrap_err().contains("string \"three\""));
    }

    #[test]
    fn long_values_are_cut_short_in_errors() {
        let long = "x".repeat(3000);
        let digits = "9".repeat(3000);
        for e in [
            u32::from_scalar(&Scalar::parse(&long)).unwrap_err(),
            u32::from_scalar(&Scalar::parse(&digits)).unwrap_err(),
            Duration::from_scalar(&Scalar::parse(&long)).unwrap_err(),
            Duration::from_scalar(&Scalar::parse(&format!("{digits}s"))).unwrap_err(),
            Duration::from_scalar(&Scalar::parse(&digits)).unwrap_err(),
            bool::from_scalar(&Scalar::parse(&long)).unwrap_err(),
            variant(&Scalar::parse(&long), &[crate::topology::leader_follower::ReplicationMode::Async]).unwrap_err(),
        ] {
            assert!(e.len() < 200, "{} chars: {}", e.len(), &e[..100]);
        }
    }
}
