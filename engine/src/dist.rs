//! Latency distributions, drawn once per message when it is sent.
//!
//! Written in scenario files in milliseconds, for example `{"exponential": {"mean_ms": 2}}` or
//! a mixture `{"mixture": [[0.9, {"exponential": {"mean_ms": 1}}], [0.1, {"pareto": {...}}]]}`
//! as used by published staleness studies (Bailis et al., PBS, fit LinkedIn and Yammer latencies
//! with such exponential/Pareto mixtures). Draws are rounded to whole microseconds and clamped
//! to [0, 60 s] so that a heavy tail can never stall a run.

use crate::rng::SimRng;
use crate::validate::{Problems, Validate};
use serde::{Deserialize, Serialize};

/// Upper bound on any single draw, in microseconds.
pub const MAX_DRAW_US: u64 = 60_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    Constant {
        ms: f64,
    },
    Uniform {
        min_ms: f64,
        max_ms: f64,
    },
    /// Normal, truncated at zero.
    Normal {
        mean_ms: f64,
        sd_ms: f64,
    },
    /// Log-normal given by its median and the standard deviation of the underlying normal.
    LogNormal {
        median_ms: f64,
        sigma: f64,
    },
    Exponential {
        mean_ms: f64,
    },
    /// Pareto with minimum `scale_ms` and tail index `shape` (smaller is heavier).
    Pareto {
        scale_ms: f64,
        shape: f64,
    },
    /// Weighted mixture; weights need not sum to one.
    Mixture(Vec<(f64, Dist)>),
}

impl Default for Dist {
    fn default() -> Self {
        Dist::Constant { ms: 1.0 }
    }
}

impl Dist {
    pub fn constant_ms(ms: f64) -> Self {
        Dist::Constant { ms }
    }

    /// Draws one value in microseconds.
    pub fn sample_us(&self, rng: &mut SimRng) -> u64 {
        let ms = self.sample_ms(rng);
        let us = ms * 1000.0;
        if !us.is_finite() || us <= 0.0 {
            return 0;
        }
        if us >= MAX_DRAW_US as f64 {
            return MAX_DRAW_US;
        }
        libm::round(us) as u64
    }

    fn sample_ms(&self, rng: &mut SimRng) -> f64 {
        match self {
            Dist::Constant { ms } => *ms,
            Dist::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.unit(),
            Dist::Normal { mean_ms, sd_ms } => (mean_ms + sd_ms * rng.standard_normal()).max(0.0),
            Dist::LogNormal { median_ms, sigma } => median_ms * libm::exp(sigma * rng.standard_normal()),
            Dist::Exponential { mean_ms } => -mean_ms * libm::log(rng.unit_open0()),
            Dist::Pareto { scale_ms, shape } => scale_ms / libm::pow(rng.unit_open0(), 1.0 / shape),
            Dist::Mixture(parts) => {
                let total: f64 = parts.iter().map(|(w, _)| *w).sum();
                let mut pick = rng.unit() * total;
                for (w, d) in parts {
                    if pick < *w {
                        return d.sample_ms(rng);
                    }
                    pick -= w;
                }
                parts.last().map(|(_, d)| d.sample_ms(rng)).unwrap_or(0.0)
            }
        }
    }

    /// The mean in milliseconds where it is finite (used for labels and lag estimates).
    pub fn mean_ms(&self) -> f64 {
        match self {
            Dist::Constant { ms } => *ms,
            Dist::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
            Dist::Normal { mean_ms, .. } => *mean_ms,
            Dist::LogNormal { median_ms, sigma } => median_ms * libm::exp(sigma * sigma / 2.0),
            Dist::Exponential { mean_ms } => *mean_ms,
            Dist::Pareto { scale_ms, shape } => {
                if *shape > 1.0 {
                    shape * scale_ms / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Dist::Mixture(parts) => {
                let total: f64 = parts.iter().map(|(w, _)| *w).sum();
                parts.iter().map(|(w, d)| w * d.mean_ms()).sum::<f64>() / total
            }
        }
    }

    /// A short human label: "exp(mean 2 ms)".
    pub fn label(&self) -> String {
        match self {
            Dist::Constant { ms } => format!("{} ms", trim(*ms)),
            Dist::Uniform { min_ms, max_ms } => {
                format!("uniform {}–{} ms", trim(*min_ms), trim(*max_ms))
            }
            Dist::Normal { mean_ms, sd_ms } => {
                format!("normal {}±{} ms", trim(*mean_ms), trim(*sd_ms))
            }
            Dist::LogNormal { median_ms, sigma } => {
                format!("log-normal median {} ms σ {}", trim(*median_ms), trim(*sigma))
            }
            Dist::Exponential { mean_ms } => format!("exponential mean {} ms", trim(*mean_ms)),
            Dist::Pareto { scale_ms, shape } => {
                format!("Pareto ≥{} ms α {}", trim(*scale_ms), trim(*shape))
            }
            Dist::Mixture(parts) => format!("mixture of {}", parts.len()),
        }
    }

    fn depth(&self) -> usize {
        match self {
            Dist::Mixture(parts) => 1 + parts.iter().map(|(_, d)| d.depth()).max().unwrap_or(0),
            _ => 1,
        }
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Longest latency any parameter may name (60 s).
const MAX_MS: f64 = 60_000.0;

impl Validate for Dist {
    fn validate(&self, path: &str, p: &mut Problems) {
        let ms_in_range = |p: &mut Problems, field: &str, v: f64| {
            p.range_f64(&format!("{path}.{field}"), v, 0.0, MAX_MS, "ms");
        };
        match self {
            Dist::Constant { ms } => ms_in_range(p, "constant.ms", *ms),
            Dist::Uniform { min_ms, max_ms } => {
                ms_in_range(p, "uniform.min_ms", *min_ms);
                ms_in_range(p, "uniform.max_ms", *max_ms);
                if min_ms > max_ms {
                    p.push(format!("{path}.uniform"), "min_ms must not exceed max_ms");
                }
            }
            Dist::Normal { mean_ms, sd_ms } => {
                ms_in_range(p, "normal.mean_ms", *mean_ms);
                ms_in_range(p, "normal.sd_ms", *sd_ms);
            }
            Dist::LogNormal { median_ms, sigma } => {
                ms_in_range(p, "log_normal.median_ms", *median_ms);
                p.range_f64(&format!("{path}.log_normal.sigma"), *sigma, 0.0, 5.0, "");
            }
            Dist::Exponential { mean_ms } => ms_in_range(p, "exponential.mean_ms", *mean_ms),
            Dist::Pareto { scale_ms, shape } => {
                ms_in_range(p, "pareto.scale_ms", *scale_ms);
                p.range_f64(&format!("{path}.pareto.shape"), *shape, 0.05, 100.0, "");
            }
            Dist::Mixture(parts) => {
                if parts.is_empty() || parts.len() > 8 {
                    p.push(format!("{path}.mixture"), "needs 1 to 8 parts");
                }
                if self.depth() > 3 {
                    p.push(format!("{path}.mixture"), "mixtures nest at most 2 deep");
                    return;
                }
                let mut total = 0.0;
                for (i, (w, d)) in parts.iter().enumerate() {
                    p.range_f64(&format!("{path}.mixture[{i}].weight"), *w, 0.0, 1e6, "");
                    total += w;
                    d.validate(&format!("{path}.mixture[{i}]"), p);
                }
                if parts.len() <= 8 && !(total > 0.0) {
                    p.push(format!("{path}.mixture"), "weights must add up to more than 0");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn mean_of(d: &Dist, n: usize) -> f64 {
        let mut rng = SimRng::new(11, Stream::Engine);
        (0..n).map(|_| d.sample_us(&mut rng) as f64 / 1000.0).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match() {
        let cases = [
            Dist::Constant { ms: 5.0 },
            Dist::Uniform { min_ms: 2.0, max_ms: 4.0 },
            Dist::Normal { mean_ms: 10.0, sd_ms: 1.0 },
            Dist::Exponential { mean_ms: 3.0 },
            Dist::LogNormal { median_ms: 2.0, sigma: 0.5 },
            Dist::Pareto { scale_ms: 1.0, shape: 3.0 },
            Dist::Mixture(vec![(0.5, Dist::Constant { ms: 1.0 }), (0.5, Dist::Constant { ms: 3.0 })]),
        ];
        for d in cases {
            let got = mean_of(&d, 200_000);
            let want = d.mean_ms();
            assert!((got - want).abs() / want < 0.02, "{d:?}: {got} vs {want}");
        }
    }

    #[test]
    fn json_form() {
        let d: Dist = serde_json::from_str(r#"{"exponential": {"mean_ms": 2}}"#).unwrap();
        assert_eq!(d, Dist::Exponential { mean_ms: 2.0 });
        let m: Dist = serde_json::from_str(
            r#"{"mixture": [[0.9, {"constant": {"ms": 1}}], [0.1, {"pareto": {"scale_ms": 5, "shape": 1.5}}]]}"#,
        )
        .unwrap();
        assert!(matches!(m, Dist::Mixture(ref v) if v.len() == 2));
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = Problems::default();
        Dist::Uniform { min_ms: -1.0, max_ms: 3.0 }.validate("network.latency", &mut p);
        let text = p.to_string();
        assert!(text.contains("network.latency.uniform.min_ms"), "{text}");
        let mut p = Problems::default();
        Dist::Pareto { scale_ms: 1.0, shape: f64::NAN }.validate("x", &mut p);
        assert!(!p.is_empty());
    }
}
