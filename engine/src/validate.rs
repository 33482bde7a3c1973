//! Validation of untrusted input (scenario files, links, imported histories).
//!
//! Every problem names the field by its path (`topologies.leaderless.w`) and says what is
//! allowed, so a person can fix a file without reading the code.

use std::fmt;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Problems {
    pub items: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl Problems {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        // A hostile file can produce a problem per element; a person needs the first few.
        if self.items.len() < 50 {
            self.items.push(Problem { field: field.into(), message: message.into() });
        }
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn range_u64(&mut self, field: &str, v: u64, min: u64, max: u64) {
        if v < min || v > max {
            self.push(field, format!("{v} is out of range; allowed {min} to {max}"));
        }
    }
    /// A duration field: the value and the bounds are written as durations ("250ms", "10 min"),
    /// not as raw microseconds.
    pub fn range_duration(&mut self, field: &str, v: u64, min: u64, max: u64) {
        if v < min || v > max {
            let text = |us: u64| {
                if us >= 60_000_000 && us % 60_000_000 == 0 {
                    format!("{} min", us / 60_000_000)
                } else {
                    crate::time::format_duration(us)
                }
            };
            let (value, lo, hi) = (text(v), text(min), text(max));
            self.push(field, format!("{value} is out of range; allowed {lo} to {hi}"));
        }
    }
    pub fn range_f64(&mut self, field: &str, v: f64, min: f64, max: f64, unit: &str) {
        if !v.is_finite() || v < min || v > max {
            let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
            self.push(field, format!("{v} is out of range; allowed {min} to {max}{unit}"));
        }
    }
    pub fn into_result(self) -> Result<(), Problems> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

pub trait Validate {
    fn validate(&self, path: &str, problems: &mut Problems);
}

/// Joins a path and a field name: `join("a", "b") == "a.b"`, `join("", "b") == "b"`.
pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}
