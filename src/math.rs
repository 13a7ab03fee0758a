//! Elementary functions that give the same bits on every machine.
//!
//! `f64::exp` and friends call the platform's libm, which may round
//! differently from one machine to the next: glibc picks an FMA or a plain
//! variant of `exp`, `ln` and `pow` at run time from the CPU, and musl, macOS
//! and Windows have their own. A run's results feed every rounding back into
//! the next month, so one differing last bit can change a report's last
//! digits, and shards run on different machines would no longer merge into
//! the single run's report. Everything the results depend on therefore goes
//! through this module: [`exp`], the engine's most frequent call, is our own
//! table-driven one (ARM's optimized-routines design, about 0.51 ulp); the
//! rest wrap the [`libm`] crate, a pure-Rust port of musl's libm (FreeBSD's
//! algorithms, below 1 ulp). Both use only IEEE 754 basic operations, with no
//! fused multiply-add, and so round the same everywhere. (`sqrt` and `powi`
//! by small integers are exact or deterministic already.)
//!
//! ```
//! // Within an ulp of the platform's.
//! let x: f64 = 0.3;
//! assert!((shortfall::math::exp(x) - x.exp()).abs() <= f64::EPSILON * x.exp());
//! ```

mod exp_table;

/// `e^x`, within about 0.51 ulp.
///
/// `x = (128 e + i) ln 2 / 128 + r` with `|r| <= ln 2 / 256`, so
/// `e^x = 2^e 2^(i/128) e^r`: the power of two from a table (with its
/// rounding error kept as a tail) and `e^r` from a short polynomial. About
/// twice as fast as libm's, which divides; arguments beyond `±708`, where
/// the result nears overflow or the subnormals, and NaN go to libm.
///
/// ```
/// use shortfall::math::exp;
/// assert_eq!(exp(0.0), 1.0);
/// assert_eq!(exp(1.0), std::f64::consts::E);
/// assert_eq!(exp(f64::NEG_INFINITY), 0.0);
/// ```
#[inline]
pub fn exp(x: f64) -> f64 {
    /// `128 / ln 2`.
    const INV_LN2_N: f64 = f64::from_bits(0x40671547652b82fe);
    /// `-ln 2 / 128` in two parts; the first has 36 significant bits, so
    /// that its product with any `k` below `2^17` is exact.
    const NEG_LN2_HI_N: f64 = -f64::from_bits(0x3f762e42fefa0000);
    const NEG_LN2_LO_N: f64 = -f64::from_bits(0x3d0cf79abc9e3b3a);
    /// Adding it rounds to an integer held in the low bits (`1.5 * 2^52`).
    const SHIFT: f64 = 6755399441055744.0;
    if x.is_nan() || x.abs() > 708.0 {
        return libm::exp(x);
    }
    // `k = round(x 128 / ln 2)`, by the shift trick (round to nearest even).
    let shifted = x * INV_LN2_N + SHIFT;
    let k = shifted.to_bits();
    let kd = shifted - SHIFT;
    let r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
    let (tail, bits) = exp_table::EXP_TABLE[(k % 128) as usize];
    // `k << 45` adds `e` to the exponent of `2^(i/128)` (see the table).
    let scale = f64::from_bits(bits.wrapping_add(k << 45));
    // `e^r - 1` by its Taylor series: the first omitted term is below
    // `2^-60` for `|r| <= ln 2 / 256`.
    let r2 = r * r;
    let p = r + r2 * (0.5 + r * (1.0 / 6.0)) + r2 * r2 * (1.0 / 24.0 + r * (1.0 / 120.0));
    let tmp = f64::from_bits(tail) + p;
    scale + scale * tmp
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance of `a` from `b` in units in the last place (both finite
    /// and positive).
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// `(x, e^x)` correctly rounded, from mpmath at 200 bits. (Arguments
    /// near `ln 2` and `ln 10` on purpose: results near powers of two and ten.)
    #[allow(clippy::approx_constant)]
    const EXP_REFERENCE: [(f64, f64); 40] = [
        (-700.5, 5.980196118639791e-305),
        (-300.25, 4.009422364622857e-131),
        (-87.3, 1.2192470959520051e-38),
        (-20.0, 2.061153622438558e-09),
        (-9.999, 4.544535239978074e-05),
        (-2.5, 0.0820849986238988),
        (-1.0, 0.36787944117144233),
        (-0.693147180559945, 0.5000000000000002),
        (-0.1, 0.9048374180359595),
        (-1e-05, 0.9999900000499998),
        (-3e-17, 1.0),
        (3e-17, 1.0),
        (1e-05, 1.00001000005),
        (0.1, 1.1051709180756477),
        (0.5, 1.6487212707001282),
        (0.6931471805599453, 2.0),
        (1.5, 4.4816890703380645),
        (2.302585092994046, 10.000000000000002),
        (7.25, 1408.1048482046956),
        (10.0, 22026.465794806718),
        (33.3, 289738526663660.5),
        (88.7, 3.325986980250579e+38),
        (300.0, 1.9424263952412558e+130),
        (700.0, 1.0142320547350045e+304),
        (707.9, 2.7356701980001243e+307),
        (-0.476204, 0.6211367574234548),
        (0.597724, 1.8179763738704082),
        (4.242106, 69.55417880293798),
        (-0.343499, 0.7092841904282585),
        (0.078413, 1.0815692545438138),
        (0.873848, 2.39611338079588),
        (-3.153397, 0.04270680516073728),
        (0.119086, 1.126466790266761),
        (1.298827, 3.664995105987244),
        (2.929769, 18.723304913652257),
        (-4.058765, 0.017270334813688178),
        (-1.965987, 0.14001762100103096),
        (-4.093295, 0.01668416855342127),
        (3.096445, 22.119177667696434),
        (1.934385, 6.91978707743911),
    ];

    #[test]
    fn exp_is_within_an_ulp_of_the_exact_value_and_mostly_exact() {
        let mut exact = 0;
        for (x, expected) in EXP_REFERENCE {
            let got = exp(x);
            assert!(
                ulps(got, expected) <= 1,
                "exp({x}) = {got}, exactly {expected}"
            );
            exact += usize::from(got == expected);
        }
        // About one argument in a thousand is off by an ulp (0.51 ulp at
        // worst); libm's exp is off by one in about one in fourteen.
        assert!(exact >= 39, "{exact} of 40 correctly rounded");
    }

    #[test]
    fn exp_agrees_with_libm_within_an_ulp_and_is_monotone() {
        let (mut previous, n) = (0.0, 400_000);
        for k in 0..=n {
            let x = -708.0 + 1416.0 * f64::from(k) / f64::from(n);
            let (ours, theirs) = (exp(x), libm::exp(x));
            assert!(ulps(ours, theirs) <= 1, "exp({x}): {ours} against {theirs}");
            assert!(ours >= previous, "exp not monotone at {x}");
            previous = ours;
        }
        // Around the table's steps, where `r` changes sign.
        for k in -2000..2000 {
            let x = f64::from(k) * std::f64::consts::LN_2 / 128.0;
            for x in [x, x.next_up(), x.next_down()] {
                assert!(ulps(exp(x), libm::exp(x)) <= 1, "exp({x})");
            }
        }
    }

    #[test]
    fn exp_handles_the_edges() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        // Subnormal results come from libm, as before.
        assert_eq!(exp(-740.0), libm::exp(-740.0));
        assert!(exp(709.7).is_finite());
    }
}
