//! Elementary functions that give the same bits on every machine.
//!
//! `f64::exp` and friends call the platform's libm, which may round
//! differently from one machine to the next: glibc picks an FMA or a plain
//! variant of `exp`, `ln` and `pow` at run time from the CPU, and musl, macOS
//! and Windows have their own. A run's results feed every rounding back into
//! the next month, so one differing last bit can change a report's last
//! digits, and shards run on different machines would no longer merge into
//! the single run's report. Everything the results depend on therefore goes
//! through these wrappers of the [`libm`] crate, a pure-Rust port of musl's
//! libm (exp, log and pow from ARM's optimized-routines, below 1 ulp), which
//! uses only IEEE 754 basic operations and so rounds the same everywhere.
//! (`sqrt` and `powi` by small integers are exact or deterministic already.)
//!
//! ```
//! // Within an ulp of the platform's.
//! let x: f64 = 0.3;
//! assert!((shortfall::math::exp(x) - x.exp()).abs() <= f64::EPSILON * x.exp());
//! ```

/// `e^x`.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm `ln x`.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `ln(1 + x)`, accurate near 0.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// `e^x - 1`, accurate near 0.
#[inline]
pub fn exp_m1(x: f64) -> f64 {
    libm::expm1(x)
}

/// `x^y`.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// `log10 x`.
#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// `sin x`.
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// The complementary error function `erfc x = 1 - erf x`.
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}
