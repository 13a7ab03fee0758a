//! Uncertain numbers: the distributions of MODEL.md section 5 and the
//! generator that samples them.
//!
//! This module owns
//!
//! * [`Distribution`], the shapes an uncertain input may take (fixed, uniform,
//!   triangular, beta-PERT, normal, lognormal, beta, discrete), each validated on
//!   construction and sampled by its inverse CDF ([`Distribution::quantile`]);
//! * [`Quantity`], a distribution with an optional clamp: what every numeric
//!   input of the model is;
//! * [`DistributionError`], why a set of parameters was refused;
//! * the counter-based generator in [`rng`] ([`TrialRng`], [`StreamId`]), which
//!   makes every draw a pure function of `(seed, trial, stream, counter)`.
//!
//! Sampling is by inversion only: one uniform in, one value out. So a draw is
//! monotone in its uniform, which is what lets a Gaussian copula impose rank
//! correlations on any mix of distributions, and what makes common random
//! numbers between scenarios meaningful.
//!
//! # Example
//!
//! ```
//! use shortfall::distributions::{Distribution, Quantity, StreamId, TrialRng};
//!
//! // A ban lasting 6 to 24 months, most likely 12.
//! let duration = Quantity::new(Distribution::pert(6.0, 12.0, 24.0)?, Some((0.0, 30.0)))?;
//! assert_eq!(duration.to_string(), "pert(6, 12, 24) clamped to [0, 30]");
//!
//! let stream = StreamId::named("shock.ban_dy.duration_months");
//! let months = duration.sample(TrialRng::new(2025, 0).uniform(stream, 0));
//! assert!((6.0..=24.0).contains(&months));
//! assert_eq!(duration.central(), 12.0);
//! # Ok::<(), shortfall::distributions::DistributionError>(())
//! ```

mod beta;
pub mod rng;

pub use rng::{StreamId, TrialRng};

use crate::math;
use std::fmt;

use beta::beta_quantile;

/// The largest beta shape parameter accepted (`alpha`, `beta`).
///
/// Above it the continued fraction behind the beta quantile needs hundreds
/// of terms and loses digits to rounding (up to about 1e-12 relative at 1e4);
/// such a narrow beta is better written as a normal.
pub const MAX_BETA_SHAPE: f64 = 1e4;

/// The largest `f64` below 1 (`1 - 2^-53`): the top of the range [`quantile`]
/// accepts, and the top of what [`TrialRng::uniform`] produces.
///
/// [`quantile`]: Distribution::quantile
const LARGEST_BELOW_ONE: f64 = 1.0 - f64::EPSILON / 2.0;

/// A probability distribution for one uncertain number.
///
/// Build it with the validating constructors ([`Distribution::pert`], ...); the
/// variants are public so that code can match on them, but a value built by hand
/// skips validation (see [`Distribution::validate`]). Every method is total:
/// invalid parameters give NaN or a meaningless number, never a panic.
///
/// # Example
///
/// ```
/// use shortfall::distributions::Distribution;
///
/// let d = Distribution::triangular(1.0, 2.0, 4.0)?;
/// assert_eq!(d.quantile(0.0), 1.0);              // u is clamped into (0, 1)
/// assert!((d.mean() - 7.0 / 3.0).abs() < 1e-15);
/// assert_eq!(d.central(), 2.0);                  // the mode
/// assert_eq!(d.support(), (1.0, 4.0));
/// assert_eq!(d.to_string(), "triangular(1, 2, 4)");
/// # Ok::<(), shortfall::distributions::DistributionError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always this value.
    Fixed(f64),
    /// Uniform on `min..max`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular on `min..max` with its peak at `mode`.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Beta-PERT with shape 4 (the classic three-point estimate): a beta on
    /// `min..max` with `alpha = 1 + 4 (mode - min) / (max - min)` and
    /// `beta = 1 + 4 (max - mode) / (max - min)`, so its mean is
    /// `(min + 4 mode + max) / 6`.
    Pert {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal (Gaussian).
    Normal {
        /// Mean, also the median and the mode.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Lognormal: `median * exp(sd_log * Z)` with `Z` standard normal.
    LogNormal {
        /// Median (`exp` of the mean of the log).
        median: f64,
        /// Standard deviation of the natural log.
        sd_log: f64,
    },
    /// Beta with shapes `alpha` and `beta`, stretched from `0..1` onto `min..max`.
    Beta {
        /// First shape parameter (weight towards `max`).
        alpha: f64,
        /// Second shape parameter (weight towards `min`).
        beta: f64,
        /// Lower bound (0 for a plain beta).
        min: f64,
        /// Upper bound (1 for a plain beta).
        max: f64,
    },
    /// A finite set of values with weights. The weights are kept as given (not
    /// normalised); each value's probability is its weight over their sum.
    Discrete {
        /// The possible values, in the order given.
        values: Vec<f64>,
        /// One non-negative weight per value.
        weights: Vec<f64>,
    },
}

/// Why a distribution or a quantity was refused. Each message names the
/// offending numbers so that a user can fix the input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistributionError {
    /// A parameter is NaN or infinite.
    #[error("parameter `{parameter}` is not a finite number ({value})")]
    NotFinite {
        /// The parameter's name, e.g. `max` or `weights[2]`.
        parameter: String,
        /// The value found.
        value: f64,
    },
    /// `min > max`.
    #[error("min ({min}) is greater than max ({max})")]
    MinAboveMax {
        /// The lower bound given.
        min: f64,
        /// The upper bound given.
        max: f64,
    },
    /// The mode of a triangular or PERT lies outside `min..max`.
    #[error("mode ({mode}) lies outside min..max ({min}..{max})")]
    ModeOutsideRange {
        /// The mode given.
        mode: f64,
        /// The lower bound given.
        min: f64,
        /// The upper bound given.
        max: f64,
    },
    /// A normal's standard deviation is zero or negative.
    #[error("sd must be positive, found {sd}")]
    NonPositiveSd {
        /// The standard deviation given.
        sd: f64,
    },
    /// A lognormal's median is zero or negative.
    #[error("median must be positive, found {median}")]
    NonPositiveMedian {
        /// The median given.
        median: f64,
    },
    /// A lognormal's `sd_log` is zero or negative.
    #[error("sd_log must be positive, found {sd_log}")]
    NonPositiveSdLog {
        /// The `sd_log` given.
        sd_log: f64,
    },
    /// A beta shape parameter is zero or negative.
    #[error("alpha and beta must be positive, found alpha {alpha} and beta {beta}")]
    NonPositiveShape {
        /// The `alpha` given.
        alpha: f64,
        /// The `beta` given.
        beta: f64,
    },
    /// A beta shape parameter exceeds [`MAX_BETA_SHAPE`].
    #[error(
        "alpha and beta must be at most {max}, found alpha {alpha} and beta {beta} \
         (a beta this narrow is better written as a normal)",
        max = MAX_BETA_SHAPE
    )]
    ShapeTooLarge {
        /// The `alpha` given.
        alpha: f64,
        /// The `beta` given.
        beta: f64,
    },
    /// A discrete distribution has a different number of weights and values.
    #[error("weights ({weights}) do not match values ({values})")]
    WeightCountMismatch {
        /// How many values were given.
        values: usize,
        /// How many weights were given.
        weights: usize,
    },
    /// A discrete distribution has a negative weight.
    #[error("weights must be non-negative, found weights[{index}] = {weight}")]
    NegativeWeight {
        /// Position of the weight (from 0).
        index: usize,
        /// The weight found.
        weight: f64,
    },
    /// A discrete distribution's weights sum to zero (or overflow).
    #[error("weights must sum to a finite number above zero, found a sum of {sum}")]
    BadWeightSum {
        /// The sum of the weights.
        sum: f64,
    },
    /// A discrete distribution has no values.
    #[error("discrete needs at least one value")]
    EmptyDiscrete,
    /// A clamp's lower bound is above its upper bound.
    #[error("clamp lower bound ({lo}) is above upper bound ({hi})")]
    ClampInverted {
        /// The lower bound given.
        lo: f64,
        /// The upper bound given.
        hi: f64,
    },
}

/// Checks that `value` is finite, naming it `parameter` otherwise.
fn finite(parameter: &str, value: f64) -> Result<(), DistributionError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(DistributionError::NotFinite {
            parameter: parameter.to_owned(),
            value,
        })
    }
}

/// Checks a `min..max` range (both finite, `min <= max`).
fn check_range(min: f64, max: f64) -> Result<(), DistributionError> {
    finite("min", min)?;
    finite("max", max)?;
    if min > max {
        return Err(DistributionError::MinAboveMax { min, max });
    }
    Ok(())
}

/// Checks a three-point estimate `min <= mode <= max`.
fn check_three_point(min: f64, mode: f64, max: f64) -> Result<(), DistributionError> {
    finite("min", min)?;
    finite("mode", mode)?;
    finite("max", max)?;
    if min > max {
        return Err(DistributionError::MinAboveMax { min, max });
    }
    if mode < min || mode > max {
        return Err(DistributionError::ModeOutsideRange { mode, min, max });
    }
    Ok(())
}

impl Distribution {
    /// Always `value`. Fails if `value` is not finite.
    pub fn fixed(value: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::Fixed(value);
        d.validate()?;
        Ok(d)
    }

    /// Uniform on `min..max` (`min <= max`; equal bounds act as fixed).
    pub fn uniform(min: f64, max: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::Uniform { min, max };
        d.validate()?;
        Ok(d)
    }

    /// Triangular on `min..max` peaking at `mode` (`min <= mode <= max`).
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::Triangular { min, mode, max };
        d.validate()?;
        Ok(d)
    }

    /// Beta-PERT (shape 4) on `min..max` with most likely value `mode`
    /// (`min <= mode <= max`).
    ///
    /// # Example
    ///
    /// ```
    /// use shortfall::distributions::{Distribution, DistributionError};
    ///
    /// let d = Distribution::pert(6.0, 12.0, 24.0)?;
    /// assert_eq!(d.mean(), 13.0);
    /// assert_eq!(
    ///     Distribution::pert(1.0, 12.0, 10.0).unwrap_err().to_string(),
    ///     "mode (12) lies outside min..max (1..10)"
    /// );
    /// # Ok::<(), DistributionError>(())
    /// ```
    pub fn pert(min: f64, mode: f64, max: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::Pert { min, mode, max };
        d.validate()?;
        Ok(d)
    }

    /// Normal with `mean` and standard deviation `sd > 0`.
    pub fn normal(mean: f64, sd: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::Normal { mean, sd };
        d.validate()?;
        Ok(d)
    }

    /// Lognormal with `median > 0` and log standard deviation `sd_log > 0`.
    pub fn lognormal(median: f64, sd_log: f64) -> Result<Distribution, DistributionError> {
        let d = Distribution::LogNormal { median, sd_log };
        d.validate()?;
        Ok(d)
    }

    /// Beta on `0..1` with shapes `0 < alpha, beta <=` [`MAX_BETA_SHAPE`].
    pub fn beta(alpha: f64, beta: f64) -> Result<Distribution, DistributionError> {
        Distribution::beta_on(alpha, beta, 0.0, 1.0)
    }

    /// Beta with shapes `alpha` and `beta` stretched onto `min..max`.
    pub fn beta_on(
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
    ) -> Result<Distribution, DistributionError> {
        let d = Distribution::Beta {
            alpha,
            beta,
            min,
            max,
        };
        d.validate()?;
        Ok(d)
    }

    /// Discrete over `values` with `weights` (same length, non-negative,
    /// positive finite sum; kept as given, not normalised).
    ///
    /// # Example
    ///
    /// ```
    /// use shortfall::distributions::Distribution;
    ///
    /// let d = Distribution::discrete(vec![0.0, 0.5, 1.0], vec![1.0, 2.0, 1.0])?;
    /// assert_eq!(d.quantile(0.2), 0.0);
    /// assert_eq!(d.quantile(0.5), 0.5);
    /// assert_eq!(d.quantile(0.9), 1.0);
    /// # Ok::<(), shortfall::distributions::DistributionError>(())
    /// ```
    pub fn discrete(
        values: Vec<f64>,
        weights: Vec<f64>,
    ) -> Result<Distribution, DistributionError> {
        let d = Distribution::Discrete { values, weights };
        d.validate()?;
        Ok(d)
    }

    /// Checks the parameters, as the constructors do. Useful for a value built
    /// directly from the variants.
    pub fn validate(&self) -> Result<(), DistributionError> {
        match self {
            Distribution::Fixed(value) => finite("value", *value),
            Distribution::Uniform { min, max } => check_range(*min, *max),
            Distribution::Triangular { min, mode, max } | Distribution::Pert { min, mode, max } => {
                check_three_point(*min, *mode, *max)
            }
            Distribution::Normal { mean, sd } => {
                finite("mean", *mean)?;
                finite("sd", *sd)?;
                if *sd <= 0.0 {
                    return Err(DistributionError::NonPositiveSd { sd: *sd });
                }
                Ok(())
            }
            Distribution::LogNormal { median, sd_log } => {
                finite("median", *median)?;
                finite("sd_log", *sd_log)?;
                if *median <= 0.0 {
                    return Err(DistributionError::NonPositiveMedian { median: *median });
                }
                if *sd_log <= 0.0 {
                    return Err(DistributionError::NonPositiveSdLog { sd_log: *sd_log });
                }
                Ok(())
            }
            Distribution::Beta {
                alpha,
                beta,
                min,
                max,
            } => {
                let (alpha, beta) = (*alpha, *beta);
                finite("alpha", alpha)?;
                finite("beta", beta)?;
                if alpha <= 0.0 || beta <= 0.0 {
                    return Err(DistributionError::NonPositiveShape { alpha, beta });
                }
                if alpha > MAX_BETA_SHAPE || beta > MAX_BETA_SHAPE {
                    return Err(DistributionError::ShapeTooLarge { alpha, beta });
                }
                check_range(*min, *max)
            }
            Distribution::Discrete { values, weights } => {
                if values.is_empty() {
                    return Err(DistributionError::EmptyDiscrete);
                }
                if weights.len() != values.len() {
                    return Err(DistributionError::WeightCountMismatch {
                        values: values.len(),
                        weights: weights.len(),
                    });
                }
                let not_finite = |name: &str, xs: &[f64]| {
                    let found = xs.iter().enumerate().find(|(_, x)| !x.is_finite());
                    found.map_or(Ok(()), |(i, &value)| {
                        Err(DistributionError::NotFinite {
                            parameter: format!("{name}[{i}]"),
                            value,
                        })
                    })
                };
                not_finite("values", values)?;
                not_finite("weights", weights)?;
                for (i, &w) in weights.iter().enumerate() {
                    if w < 0.0 {
                        return Err(DistributionError::NegativeWeight {
                            index: i,
                            weight: w,
                        });
                    }
                }
                let sum: f64 = weights.iter().sum();
                // Finite weights can still overflow their sum to infinity, which
                // would make every normalised weight zero.
                if !(sum > 0.0 && sum.is_finite()) {
                    return Err(DistributionError::BadWeightSum { sum });
                }
                Ok(())
            }
        }
    }

    /// The inverse CDF at `u`: the value below which a share `u` of the
    /// probability lies. One uniform in, one value out, so a Gaussian copula
    /// can drive any distribution.
    ///
    /// `u` is first clamped into `[f64::MIN_POSITIVE, 1 - 2^-53]`, so 0 and 1
    /// give the extreme finite quantiles rather than infinities; everything
    /// [`TrialRng::uniform`] produces passes unchanged. A NaN `u` gives NaN.
    ///
    /// * uniform, triangular: closed form;
    /// * PERT, beta: the beta quantile, scaled onto `min..max`;
    /// * normal: `mean + sd * z` with `z` from
    ///   [`rng::standard_normal_quantile`];
    /// * lognormal: `median * exp(sd_log * z)`;
    /// * discrete: the first value, in the order given, whose cumulative
    ///   normalised weight reaches `u` (zero-weight values are never drawn).
    ///
    /// A degenerate range (`min == max`) returns `min`.
    ///
    /// # Example
    ///
    /// ```
    /// use shortfall::distributions::Distribution;
    ///
    /// let d = Distribution::normal(10.0, 2.0)?;
    /// assert_eq!(d.quantile(0.5), 10.0);
    /// assert!((d.quantile(0.975) - 13.919_927_969_080_108).abs() < 1e-12);
    /// # Ok::<(), shortfall::distributions::DistributionError>(())
    /// ```
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let u = u.clamp(f64::MIN_POSITIVE, LARGEST_BELOW_ONE);
        match self {
            Distribution::Fixed(value) => *value,
            Distribution::Uniform { min, max } => {
                if min == max {
                    *min
                } else {
                    lerp(*min, *max, u)
                }
            }
            Distribution::Triangular { min, mode, max } => {
                triangular_quantile(*min, *mode, *max, u)
            }
            Distribution::Pert { min, mode, max } => {
                if min == max {
                    return *min;
                }
                let (alpha, beta) = pert_shapes(*min, *mode, *max);
                lerp(*min, *max, beta_quantile(alpha, beta, u))
            }
            Distribution::Normal { mean, sd } => mean + sd * rng::standard_normal_quantile(u),
            Distribution::LogNormal { median, sd_log } => {
                median * math::exp(sd_log * rng::standard_normal_quantile(u))
            }
            Distribution::Beta {
                alpha,
                beta,
                min,
                max,
            } => {
                if min == max {
                    return *min;
                }
                lerp(*min, *max, beta_quantile(*alpha, *beta, u))
            }
            Distribution::Discrete { values, weights } => discrete_quantile(values, weights, u),
        }
    }

    /// The mean (expected value).
    ///
    /// Fixed: the value; uniform `(min + max) / 2`; triangular
    /// `(min + mode + max) / 3`; PERT `(min + 4 mode + max) / 6`; normal `mean`;
    /// lognormal `median * exp(sd_log^2 / 2)`; beta
    /// `min + (max - min) alpha / (alpha + beta)`; discrete the weighted mean.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Fixed(value) => *value,
            Distribution::Uniform { min, max } => lerp(*min, *max, 0.5),
            Distribution::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Distribution::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Distribution::Normal { mean, .. } => *mean,
            Distribution::LogNormal { median, sd_log } => median * math::exp(0.5 * sd_log * sd_log),
            Distribution::Beta {
                alpha,
                beta,
                min,
                max,
            } => lerp(*min, *max, alpha / (alpha + beta)),
            Distribution::Discrete { values, weights } => {
                let total: f64 = weights.iter().sum();
                let weighted: f64 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
                weighted / total
            }
        }
    }

    /// The one number to use when a single figure is wanted: a default world's
    /// "point estimate", a deterministic run, a report's "base" column.
    ///
    /// It is the value a person who wrote the distribution most likely had in
    /// mind: the value itself for fixed; the **mode** for triangular and PERT
    /// (the "most likely" of a three-point estimate); the **mean** for uniform,
    /// normal and beta; the **median** for lognormal (its natural parameter,
    /// and robust to a long right tail); for discrete, the value with the
    /// **highest weight** (the first one on ties), so the result is always one
    /// of the listed values.
    pub fn central(&self) -> f64 {
        match self {
            Distribution::Fixed(value) => *value,
            Distribution::Triangular { mode, .. } | Distribution::Pert { mode, .. } => *mode,
            Distribution::Uniform { .. }
            | Distribution::Normal { .. }
            | Distribution::Beta { .. } => self.mean(),
            Distribution::LogNormal { median, .. } => *median,
            Distribution::Discrete { values, weights } => {
                let mut best = f64::NAN;
                let mut best_weight = f64::NEG_INFINITY;
                for (&v, &w) in values.iter().zip(weights) {
                    // Strictly greater keeps the first value on ties.
                    if w > best_weight {
                        best = v;
                        best_weight = w;
                    }
                }
                best
            }
        }
    }

    /// The smallest and largest values that can be drawn: `(min, max)` for the
    /// bounded shapes, `(-inf, inf)` for the normal, `(0, inf)` for the
    /// lognormal, and the extreme values of positive weight for discrete.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Distribution::Fixed(value) => (*value, *value),
            Distribution::Uniform { min, max }
            | Distribution::Triangular { min, max, .. }
            | Distribution::Pert { min, max, .. }
            | Distribution::Beta { min, max, .. } => (*min, *max),
            Distribution::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Distribution::LogNormal { .. } => (0.0, f64::INFINITY),
            Distribution::Discrete { values, weights } => {
                let drawn = values.iter().zip(weights).filter(|(_, &w)| w > 0.0);
                drawn.fold((f64::NAN, f64::NAN), |(lo, hi), (&v, _)| {
                    (v.min(lo), v.max(hi))
                })
            }
        }
    }

    /// Whether every draw gives the same value: a fixed value, a degenerate
    /// range (`min == max`), or a discrete whose values of positive weight are
    /// all equal.
    pub fn is_fixed(&self) -> bool {
        match self {
            Distribution::Fixed(_) => true,
            Distribution::Normal { sd, .. } => *sd == 0.0,
            Distribution::LogNormal { sd_log, .. } => *sd_log == 0.0,
            _ => {
                let (lo, hi) = self.support();
                lo == hi
            }
        }
    }

    /// The distribution's name as written in scenario files: `"fixed"`,
    /// `"uniform"`, `"triangular"`, `"pert"`, `"normal"`, `"lognormal"`,
    /// `"beta"` or `"discrete"`.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Fixed(_) => "fixed",
            Distribution::Uniform { .. } => "uniform",
            Distribution::Triangular { .. } => "triangular",
            Distribution::Pert { .. } => "pert",
            Distribution::Normal { .. } => "normal",
            Distribution::LogNormal { .. } => "lognormal",
            Distribution::Beta { .. } => "beta",
            Distribution::Discrete { .. } => "discrete",
        }
    }
}

/// Writes the numbers of `xs` separated by commas.
fn write_list(f: &mut fmt::Formatter<'_>, xs: &[f64]) -> fmt::Result {
    for (i, &x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", Compact(x))?;
    }
    Ok(())
}

/// A number as a person would write it in a message: plainly (`0.25`,
/// `12000`), or in scientific notation when that is far shorter (`1e-300`,
/// `3e20`), where plain `f64` display would spell out hundreds of digits.
struct Compact(f64);

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        let magnitude = x.abs();
        if x.is_finite() && x != 0.0 && !(1e-4..1e15).contains(&magnitude) {
            write!(f, "{x:e}")
        } else {
            write!(f, "{x}")
        }
    }
}

/// A compact form for tables and messages: `12`, `uniform(1, 2)`,
/// `triangular(1, 2, 4)`, `pert(6, 12, 24)`, `normal(mean 1, sd 0.2)`,
/// `lognormal(median 1, sd_log 0.5)`, `beta(alpha 2, beta 5)`,
/// `beta(alpha 2, beta 5, on 10..20)`,
/// `discrete(values [1, 2], weights [3, 1])`.
impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Fixed(value) => write!(f, "{}", Compact(*value)),
            Distribution::Uniform { min, max } => {
                write!(f, "uniform({}, {})", Compact(*min), Compact(*max))
            }
            Distribution::Triangular { min, mode, max } => {
                write!(
                    f,
                    "triangular({}, {}, {})",
                    Compact(*min),
                    Compact(*mode),
                    Compact(*max)
                )
            }
            Distribution::Pert { min, mode, max } => write!(
                f,
                "pert({}, {}, {})",
                Compact(*min),
                Compact(*mode),
                Compact(*max)
            ),
            Distribution::Normal { mean, sd } => {
                write!(f, "normal(mean {}, sd {})", Compact(*mean), Compact(*sd))
            }
            Distribution::LogNormal { median, sd_log } => {
                write!(
                    f,
                    "lognormal(median {}, sd_log {})",
                    Compact(*median),
                    Compact(*sd_log)
                )
            }
            Distribution::Beta {
                alpha,
                beta,
                min,
                max,
            } => {
                write!(f, "beta(alpha {}, beta {}", Compact(*alpha), Compact(*beta))?;
                if *min != 0.0 || *max != 1.0 {
                    write!(f, ", on {}..{}", Compact(*min), Compact(*max))?;
                }
                f.write_str(")")
            }
            Distribution::Discrete { values, weights } => {
                f.write_str("discrete(values [")?;
                write_list(f, values)?;
                f.write_str("], weights [")?;
                write_list(f, weights)?;
                f.write_str("])")
            }
        }
    }
}

/// `x` limited to `[lo, hi]`, NaN staying NaN.
///
/// Unlike `f64::clamp` it never panics (on inverted or NaN bounds), and unlike
/// `x.max(lo).min(hi)` it does not turn a NaN `x` into a bound, which would
/// hide an upstream error behind a plausible number.
fn limit(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// `min + t (max - min)` for `t` in `[0, 1]`, kept inside `[min, max]`.
///
/// Falls back to `(1 - t) min + t max` when `max - min` overflows (bounds of
/// opposite signs near `f64::MAX`), and limits away the last rounding so that
/// a draw never leaves the support.
fn lerp(min: f64, max: f64, t: f64) -> f64 {
    let width = max - min;
    let x = if width.is_finite() {
        min + t * width
    } else {
        (1.0 - t) * min + t * max
    };
    limit(x, min, max)
}

/// Closed-form inverse CDF of the triangular distribution.
fn triangular_quantile(min: f64, mode: f64, max: f64, u: f64) -> f64 {
    if min == max {
        return min;
    }
    let width = max - min;
    // Probability mass left of the mode.
    let left = (mode - min) / width;
    let x = if u < left {
        min + width * (u * left).sqrt()
    } else {
        max - width * ((1.0 - u) * (1.0 - left)).sqrt()
    };
    limit(x, min, max)
}

/// Beta shapes of a PERT on `min..max` (with `min < max`), shape 4.
fn pert_shapes(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let width = max - min;
    (
        1.0 + 4.0 * (mode - min) / width,
        1.0 + 4.0 * (max - mode) / width,
    )
}

/// The first value whose cumulative weight reaches `u` times the total.
fn discrete_quantile(values: &[f64], weights: &[f64], u: f64) -> f64 {
    let total: f64 = weights.iter().sum();
    let target = u * total;
    let mut cumulative = 0.0;
    // The last value of positive weight: the answer when rounding leaves the
    // running sum just short of `target` for `u` near 1.
    let mut last = f64::NAN;
    for (&v, &w) in values.iter().zip(weights) {
        if w > 0.0 {
            cumulative += w;
            last = v;
            if cumulative >= target {
                return v;
            }
        }
    }
    last
}

/// A number of the model that may be uncertain: a distribution, sampled once
/// per trial, and an optional clamp applied to every draw.
///
/// Every numeric input of the model is one; a plain number is
/// [`Quantity::fixed`]. The clamp (`clamp = [lo, hi]` in scenario files)
/// keeps draws physical, e.g. a normal on a non-negative field.
///
/// # Example
///
/// ```
/// use shortfall::distributions::{Distribution, Quantity};
///
/// let share = Quantity::new(Distribution::normal(0.9, 0.2)?, Some((0.0, 1.0)))?;
/// assert_eq!(share.sample(0.999_999), 1.0);   // clamped
/// assert_eq!(share.support(), (0.0, 1.0));
/// assert!(share.is_uncertain());
/// assert!(!Quantity::fixed(3.0).is_uncertain());
/// # Ok::<(), shortfall::distributions::DistributionError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    /// The distribution of the number before clamping.
    pub distribution: Distribution,
    /// `Some((lo, hi))` to clamp every draw into `[lo, hi]`.
    pub clamp: Option<(f64, f64)>,
}

impl Quantity {
    /// A certain number. It is not validated; use
    /// `Quantity::new(Distribution::fixed(x)?, None)` for input from a user.
    pub fn fixed(value: f64) -> Quantity {
        Quantity {
            distribution: Distribution::Fixed(value),
            clamp: None,
        }
    }

    /// A distribution with an optional clamp `[lo, hi]` (both finite,
    /// `lo <= hi`). The distribution is validated as well.
    pub fn new(
        distribution: Distribution,
        clamp: Option<(f64, f64)>,
    ) -> Result<Quantity, DistributionError> {
        distribution.validate()?;
        if let Some((lo, hi)) = clamp {
            finite("clamp[0]", lo)?;
            finite("clamp[1]", hi)?;
            if lo > hi {
                return Err(DistributionError::ClampInverted { lo, hi });
            }
        }
        Ok(Quantity {
            distribution,
            clamp,
        })
    }

    /// Applies the clamp, if any (a NaN stays NaN).
    fn clamped(&self, x: f64) -> f64 {
        match self.clamp {
            Some((lo, hi)) => limit(x, lo, hi),
            None => x,
        }
    }

    /// The draw for uniform `u`: the distribution's quantile at `u`, clamped.
    pub fn sample(&self, u: f64) -> f64 {
        self.clamped(self.distribution.quantile(u))
    }

    /// The distribution's [`central`](Distribution::central) value, clamped.
    pub fn central(&self) -> f64 {
        self.clamped(self.distribution.central())
    }

    /// The smallest and largest possible draws: the distribution's support
    /// with the clamp applied to both ends (a clamp wholly outside the support
    /// gives a single point).
    pub fn support(&self) -> (f64, f64) {
        let (lo, hi) = self.distribution.support();
        (self.clamped(lo), self.clamped(hi))
    }

    /// Whether draws can differ from one trial to the next: false for a fixed
    /// distribution, and for one that its clamp squeezes to a single point.
    pub fn is_uncertain(&self) -> bool {
        let (lo, hi) = self.support();
        !self.distribution.is_fixed() && lo < hi
    }
}

impl From<f64> for Quantity {
    /// [`Quantity::fixed`].
    fn from(value: f64) -> Quantity {
        Quantity::fixed(value)
    }
}

impl From<Distribution> for Quantity {
    /// The distribution without a clamp.
    fn from(distribution: Distribution) -> Quantity {
        Quantity {
            distribution,
            clamp: None,
        }
    }
}

/// The distribution's form, then ` clamped to [lo, hi]` if there is a clamp:
/// `pert(6, 12, 24) clamped to [0, 30]`.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.distribution)?;
        if let Some((lo, hi)) = self.clamp {
            write!(f, " clamped to [{}, {}]", Compact(lo), Compact(hi))?;
        }
        Ok(())
    }
}
