//! The quantile of the beta distribution, behind every PERT and beta draw.
//!
//! [`beta_quantile`] inverts the regularized incomplete beta function
//! `I_x(a, b)`. A trial draws a dozen or more PERT parameters, so this is on
//! the hot path: for the PERT shapes (`a, b` in `[1, 5]`) it usually needs two
//! evaluations of `I_x`, and `ln B(a, b)` once per pair of shapes, where the
//! previous Newton iteration on statrs' `checked_beta_reg` needed several
//! evaluations with three `ln Γ` each (`cargo bench --bench draws`: about six
//! times faster); and it keeps the relative accuracy of the tails.
//!
//! # Why not statrs
//!
//! statrs' `inv_beta_reg` (AS 64/109) can loop forever (for example
//! `a = 2, b = 1e8`, or `a = 100, b = 2, u = 1e-100`), panics for
//! `u < ~1e-154`, and loses relative accuracy in the tails (`a = 0.1, b = 1,
//! u = 0.01` gives 2e-17 instead of 1e-20). Its `checked_beta_reg` is accurate
//! but computes three `ln_gamma` per call and no derivatives.
//!
//! # The method
//!
//! * **Which end.** The answer `x` is measured from the end it is nearer to:
//!   the iteration works on `v = x` with shapes `(a, b)`, or on `v = 1 - x`
//!   with shapes `(b, a)`, in the variable `s = ln v`, so tiny quantiles and
//!   those near 1 keep their relative accuracy. The end is chosen from the
//!   starting point; if the answer turns out to lie in the far half, it is
//!   solved again from the other end, starting from the answer found.
//! * **Which tail.** The equation is `P(v) = t`, where `t` is the probability
//!   in the tail `u` is in (`u`, or `1 - u`, exact for `u > 1/2`) and `P` the
//!   matching side of the distribution (`I_v(p, q)` or `1 - I_v(p, q)`), and
//!   it is solved as `ln P(e^s) = ln t`: neither side is lost to cancellation,
//!   and in the tails `ln P` is nearly linear in `s`.
//! * **Starting point.** The series reversion of `I_x(a, b) = u` about the end
//!   of `u`'s tail (or the other end), to fifth order, wherever its terms fall
//!   fast, which covers most of the PERT body; elsewhere, for `a, b >= 1`, the
//!   normal-based approximation of Abramowitz and Stegun 26.5.22; closed forms
//!   for `a = 1` or `b = 1`. Within a few percent where used.
//! * **Steps.** Once `P` and the density are known at a point, every
//!   derivative of `ln P` with respect to `s` is algebraic in `v`, so each step
//!   is the inverse function's Taylor series to fourth order (a Householder
//!   step of order five) instead of Newton's first order. From a start within
//!   a few percent one step lands within about 1e-7; the next step is then
//!   known to be the last, its error being of the order of the fifth power of
//!   its size. Far from the root, Newton steps; a step that would leave the
//!   bracket of the root bisects it instead, and at most [`MAX_STEPS`] are
//!   taken: the iteration always terminates and never panics.
//! * **`I_v(p, q)`.** The continued fraction of Numerical Recipes' `betacf`
//!   (the one statrs uses), on whichever of `I_v(p, q)` and
//!   `1 - I_v(p, q) = I_{1-v}(q, p)` it converges fast for, with the prefactor
//!   `v^p (1 - v)^q / B(p, q)` assembled on the log scale. It is evaluated by
//!   the forward recurrence of its convergents while few terms are needed
//!   ([`forward_recurrence`]), else by the modified Lentz method.
//! * **`ln B(a, b)`** with statrs' Lanczos approximation, rearranged so that
//!   nothing cancels ([`ln_beta`]): good to a few 1e-16 where statrs' loses up
//!   to 5e-14 at the PERT shapes and 1e-11 at shapes near 1e4.
//! * **What depends on the shapes alone** (`ln B(a, b)`, the series'
//!   coefficients, [`Shapes`]) is computed once per call. Keeping it per
//!   distribution would save about 80 ns of a draw's 330 (about 1 µs of a
//!   trial that draws 16 PERTs): not worth the state.
//!
//! # Accuracy
//!
//! Checked against mpmath at 50 digits on a grid of 17 shapes from 0.1 to
//! 1e4 (all pairs) and 60 values of `u` from 1e-300 to `1 - 2^-53`. Computing
//! `x` as `exp(ln x)` costs a relative error of about `eps |ln x| / 2` (1e-13
//! at `x = 1e-300`), so errors are given in units of `eps max(1, |ln x|)`:
//! at most 10 at the PERT shapes (under 3e-15 in the body, 1e-16 typically;
//! the previous algorithm: 210), 40 for shapes up to 30, and 1e-12 relative
//! at shapes near 1e4 (previously 2e-10, from statrs' `ln_gamma`).

use crate::math;
use std::f64::consts::LN_2;

use super::rng::standard_normal_quantile;

/// The lowest `ln v` searched: `e^-746` is 0 in `f64`.
const LN_V_FLOOR: f64 = -746.0;

/// The most root-finding steps per solve. Bisection alone on
/// `[LN_V_FLOOR, 0]` reaches the tolerance in about 60 steps, so this is never
/// the limit in practice; it guarantees termination whatever the input.
const MAX_STEPS: u32 = 100;

/// A Newton step (as a change of `ln v`) this small, relative to the scale on
/// which the equation bends, is the last: the fourth-order step taken from it
/// leaves an error of the order of `STEP_SETTLED^4` times the step, far below
/// rounding.
const STEP_SETTLED: f64 = 1e-4;

/// The most pairs of continued-fraction terms [`forward_recurrence`] takes
/// before leaving the fraction to [`modified_lentz`]. The PERT shapes need
/// at most about a dozen.
const FAST_TERMS: u32 = 16;

/// The most pairs of continued-fraction terms [`modified_lentz`] takes. Below
/// the switch point the fraction needs `O(sqrt(max(p, q)))` of them, under 200
/// at the largest shapes accepted; the cap only bounds the work for any
/// input.
const MAX_TERMS: u32 = 1000;

/// The quantile of the standard beta distribution `Beta(a, b)` at `u`: the `x`
/// in `[0, 1]` with `I_x(a, b) = u`, where `I` is the regularized incomplete
/// beta function. See the [module documentation](self) for the method.
///
/// Invalid shapes or a NaN `u` give NaN; `u <= 0` gives 0 and `u >= 1` gives 1.
pub(crate) fn beta_quantile(a: f64, b: f64, u: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) || u.is_nan() {
        return f64::NAN;
    }
    if u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return 1.0;
    }
    let shapes = Shapes::new(a, b);
    if !shapes.ln_beta.is_finite() {
        return f64::NAN;
    }
    let lower_tail = u <= 0.5;
    // The probability in the tail on u's side, exact for u > 1/2 (Sterbenz).
    let tail = if lower_tail { u } else { 1.0 - u };
    let ln_tail = math::ln(tail);

    let start = starting_point(&shapes, u, ln_tail);
    let equation = |from_zero: bool| {
        // From 1, v = 1 - x ~ Beta(b, a), whose lower tail is x's upper one.
        let (side, lower) = if from_zero {
            (&shapes.from_zero, lower_tail)
        } else {
            (&shapes.from_one, !lower_tail)
        };
        Equation {
            p: side.p,
            q: side.q,
            ln_beta: shapes.ln_beta,
            lower,
            ln_target: ln_tail,
        }
    };
    let mut from_zero = start.from_zero;
    let mut s = equation(from_zero).solve(start.ln_v);
    if s > -LN_2 {
        // The answer is nearer the other end: solve again from there, starting
        // from the answer found (ln(1 - e^s), accurately).
        from_zero = !from_zero;
        s = equation(from_zero).solve(math::ln(-math::exp_m1(s)));
    }
    if from_zero {
        math::exp(s)
    } else {
        -math::exp_m1(s)
    }
}

/// What the quantile of `Beta(a, b)` needs that does not depend on `u`.
#[derive(Clone, Copy)]
struct Shapes {
    /// `ln B(a, b)`.
    ln_beta: f64,
    /// The shapes seen from 0: `x ~ Beta(a, b)`.
    from_zero: Side,
    /// The shapes seen from 1: `1 - x ~ Beta(b, a)`.
    from_one: Side,
}

/// `Beta(p, q)`, the distribution of `v` (`x` or `1 - x`), with the
/// coefficients of the series reversion of `I_v(p, q) = t` about `v = 0` (see
/// [`TailSeries`]).
#[derive(Clone, Copy)]
struct Side {
    p: f64,
    q: f64,
    /// `ln p`.
    ln_p: f64,
    /// `c1 ... c4` of `v = w (1 + c1 w + c2 w^2 + c3 w^3 + c4 w^4 + ...)`.
    c: [f64; 4],
    /// `d1 ... d4` of `ln(v / w) = d1 w + d2 w^2 + d3 w^3 + d4 w^4 + ...`.
    d: [f64; 4],
}

impl Shapes {
    fn new(a: f64, b: f64) -> Shapes {
        Shapes {
            ln_beta: ln_beta(a, b),
            from_zero: Side::new(a, b),
            from_one: Side::new(b, a),
        }
    }
}

impl Side {
    fn new(p: f64, q: f64) -> Side {
        let c = reversion_coefficients(p, q);
        let [c1, c2, c3, c4] = c;
        // ln(1 + c1 w + c2 w^2 + ...), expanded in w.
        let d = [
            c1,
            c2 - c1 * c1 / 2.0,
            c3 - c1 * c2 + c1 * c1 * c1 / 3.0,
            c4 - c1 * c3 - c2 * c2 / 2.0 + c1 * c1 * c2 - (c1 * c1) * (c1 * c1) / 4.0,
        ];
        Side {
            p,
            q,
            ln_p: math::ln(p),
            c,
            d,
        }
    }
}

/// `ln B(a, b)` for positive, finite `a` and `b`.
///
/// statrs' `ln_beta` is `ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)`, with
/// `ln Γ(x) = ln s(x) + ln(2 sqrt(e / π)) + (x - 1/2) (ln(x - 1/2 + g) - 1)`
/// (Lanczos, `g = 10.900511`, Pugh 2004) and `s(x)` a sum of ten fractions of
/// alternating sign. That costs thirty divisions and six logarithms, loses up
/// to about 5e-14 to the cancellation in `s` at the PERT shapes, and, for
/// large shapes, subtracts `ln Γ` values near 1e5 from each other (1e-11 lost
/// at shapes near 1e4). The same approximation is evaluated here without
/// either loss:
///
/// * `s(x) = N(x) / D(x)`, the fractions brought to their common denominator
///   `D(x) = x (x + 1) ... (x + 9)` (exactly, from statrs' coefficients):
///   both polynomials have positive coefficients, so for `x > 0` nothing
///   cancels;
/// * with `c = a + b` and `d = c - 1/2 + g`, the power terms combine to
///   `(a - 1/2) ln(1 - b/d) + (b - 1/2) ln(1 - a/d) - (ln d - 1) / 2`, which
///   never subtracts large numbers.
///
/// A shape below 1/2 is first raised by one, `B(a, b) = B(a + 1, b) (a + b) / a`,
/// as the approximation holds for `x >= 1/2`. Accurate to a few 1e-16,
/// relative to `max(1, |ln B|)` (checked against mpmath).
fn ln_beta(a: f64, b: f64) -> f64 {
    /// `g` of the Lanczos approximation.
    const G: f64 = 10.900511;
    /// `ln(2 sqrt(e / π))`.
    const LN_2_SQRT_E_OVER_PI: f64 = 0.620_782_237_635_245_2;
    /// `ln((a + b) / a)`, without overflow for a tiny `a`.
    fn ln_ratio(a: f64, b: f64) -> f64 {
        let ratio = b / a;
        if ratio.is_finite() {
            math::ln_1p(ratio)
        } else {
            math::ln(b) - math::ln(a)
        }
    }
    if a < 0.5 {
        return ln_beta(a + 1.0, b) + ln_ratio(a, b);
    }
    if b < 0.5 {
        return ln_beta(a, b + 1.0) + ln_ratio(b, a);
    }
    let d = a + b - 0.5 + G;
    // ln(1 - t/d) for t = a or b: by ln_1p while t/d is small, else as the
    // log of (d - t) / d, whose numerator is exact in terms of the other
    // shape.
    let ln_one_minus = |t: f64, other: f64| {
        let fraction = t / d;
        if fraction <= 0.5 {
            math::ln_1p(-fraction)
        } else {
            math::ln((other - 0.5 + G) / d)
        }
    };
    let ([num_a, den_a], [num_b, den_b], [num_c, den_c]) =
        (lanczos_sum(a), lanczos_sum(b), lanczos_sum(a + b));
    // ln(s(a) s(b) / s(c)) - ln(d) / 2, with a single division and log.
    math::ln(num_a * num_b * den_c / (den_a * den_b * num_c * d.sqrt()))
        + (LN_2_SQRT_E_OVER_PI + 0.5)
        + (a - 0.5) * ln_one_minus(b, a)
        + (b - 0.5) * ln_one_minus(a, b)
}

/// The Lanczos sum `s(x)` of statrs' `ln_gamma` (for `x >= 1/2`), as the
/// numerator and denominator of `N(x) / D(x)` with
/// `D(x) = x (x + 1) ... (x + 9)`; for `x >= 1e10`, as those of
/// `(N(x) / x^10) / (D(x) / x^10)`, in `1/x`. Below 1e10 neither exceeds
/// 1e101, so a product of three stays finite.
fn lanczos_sum(x: f64) -> [f64; 2] {
    /// The coefficients of `N`, of `x^0` up to `x^10`: statrs' `GAMMA_DK`
    /// brought to the common denominator in exact rational arithmetic, then
    /// rounded.
    const NUMERATOR: [f64; 11] = [
        381_540.663_397_352_7,
        365_505.352_696_257,
        157_567.999_493_601_18,
        40_253.835_381_426_39,
        6_748.767_525_934_567,
        775.877_940_545_563_5,
        61.945_288_914_220_96,
        3.391_366_244_015_308,
        0.121_848_070_364_446_57,
        0.002_594_340_508_809_067,
        2.485_740_891_387_535_5e-5,
    ];
    if x < 1e10 {
        let numerator = polynomial_10(&NUMERATOR, x);
        // x (x + 1) ... (x + 9), as a product tree.
        let pairs = [0.0, 2.0, 4.0, 6.0, 8.0].map(|k| (x + k) * (x + k + 1.0));
        let denominator = (pairs[0] * pairs[1]) * (pairs[2] * pairs[3]) * pairs[4];
        [numerator, denominator]
    } else {
        let t = 1.0 / x;
        let mut reversed = NUMERATOR;
        reversed.reverse();
        let numerator = polynomial_10(&reversed, t);
        let denominator = (1..10).fold(1.0, |product, k| product * (1.0 + f64::from(k) * t));
        [numerator, denominator]
    }
}

/// `c[0] + c[1] x + ... + c[10] x^10` by Estrin's scheme: the work of
/// Horner's rule with a third of its latency. With positive coefficients and
/// `x > 0`, as here, no term cancels another.
fn polynomial_10(c: &[f64; 11], x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let low = (c[0] + c[1] * x) + (c[2] + c[3] * x) * x2;
    let middle = (c[4] + c[5] * x) + (c[6] + c[7] * x) * x2;
    let high = (c[8] + c[9] * x) + c[10] * x2;
    (low + middle * x4) + high * x8
}

/// Where the iteration starts: the end the answer is measured from, and the
/// log of its distance from that end.
struct Start {
    /// Whether `v = x` (rather than `v = 1 - x`).
    from_zero: bool,
    /// `ln v`; the solver replaces an unusable value by `ln 1/2`.
    ln_v: f64,
}

impl Start {
    /// The start `ln v` from the given end, measured from the nearer end.
    fn nearer(from_zero: bool, ln_v: f64) -> Start {
        if ln_v > -LN_2 {
            Start {
                from_zero: !from_zero,
                ln_v: math::ln(-math::exp_m1(ln_v)),
            }
        } else {
            Start { from_zero, ln_v }
        }
    }
}

/// A starting point for the quantile of `Beta(a, b)` at `u`, given
/// `ln_tail`, the log of the probability in `u`'s tail.
///
/// * For `b = 1` or `a = 1`, the exact answer: `I_x(a, 1) = x^a` and
///   `I_x(1, b) = 1 - (1 - x)^b` (a PERT with its mode at a bound).
/// * The series reversion about the end of `u`'s tail, or else about the
///   other end, if it is accurate there ([`TailSeries`]).
/// * Otherwise, for `a, b >= 1`, Abramowitz and Stegun 26.5.22
///   ([`abramowitz_stegun`]), a normal-based approximation good to about 1%
///   in the body.
/// * Otherwise (a shape below 1), the better of the two series, or the middle.
fn starting_point(shapes: &Shapes, u: f64, ln_tail: f64) -> Start {
    let lower_tail = u <= 0.5;
    // The log of the probability in the other tail, computed only if needed.
    let ln_other_tail = || {
        if lower_tail {
            math::ln_1p(-u)
        } else {
            math::ln(u)
        }
    };
    // The shapes seen from the end of u's tail, and from the other.
    let (near, far) = if lower_tail {
        (&shapes.from_zero, &shapes.from_one)
    } else {
        (&shapes.from_one, &shapes.from_zero)
    };
    if near.q == 1.0 {
        return Start::nearer(lower_tail, ln_tail / near.p);
    }
    if near.p == 1.0 {
        return Start::nearer(!lower_tail, ln_other_tail() / near.q);
    }
    let nearer = TailSeries::new(near, shapes.ln_beta, ln_tail);
    if nearer.is_accurate() {
        return Start::nearer(lower_tail, nearer.ln_v);
    }
    let farther = TailSeries::new(far, shapes.ln_beta, ln_other_tail());
    if farther.is_accurate() {
        return Start::nearer(!lower_tail, farther.ln_v);
    }
    let (a, b) = (shapes.from_zero.p, shapes.from_one.p);
    if a >= 1.0 && b >= 1.0 {
        let ln_b_over_a = shapes.from_one.ln_p - shapes.from_zero.ln_p;
        if let Some(start) = abramowitz_stegun(a, b, ln_b_over_a, u) {
            return start;
        }
    }
    // A shape below 1: the series whose correction is smaller, if either is
    // usable at all, else the middle.
    let usable = |t: &TailSeries| t.w <= 0.5 && t.correction().abs() <= 0.5;
    let smaller = nearer.correction().abs() <= farther.correction().abs();
    if usable(&nearer) && (smaller || !usable(&farther)) {
        Start::nearer(lower_tail, nearer.ln_v)
    } else if usable(&farther) {
        Start::nearer(!lower_tail, farther.ln_v)
    } else {
        Start {
            from_zero: lower_tail,
            ln_v: -LN_2,
        }
    }
}

/// The series reversion of `I_v(p, q) = t` about `v = 0`, from `ln t`:
/// `v = w (1 + c1 w + c2 w^2 + c3 w^3 + c4 w^4 + ...)` with
/// `w = (t p B(p, q))^(1/p)`, the leading behaviour `I_v(p, q) ~ v^p / (p B)`
/// (see [`reversion_coefficients`]).
struct TailSeries {
    /// `w`.
    w: f64,
    /// The relative corrections `c1 w`, `c2 w^2`, `c3 w^3`, `c4 w^4`.
    terms: [f64; 4],
    /// `ln v` from the series, as `ln w + d1 w + ... + d4 w^4`.
    ln_v: f64,
}

impl TailSeries {
    fn new(side: &Side, ln_beta: f64, ln_t: f64) -> TailSeries {
        let ln_w = (ln_t + side.ln_p + ln_beta) / side.p;
        let w = math::exp(ln_w);
        let powers = [w, w * w, w * w * w, (w * w) * (w * w)];
        let [c1, c2, c3, c4] = side.c;
        let [d1, d2, d3, d4] = side.d;
        let [w1, w2, w3, w4] = powers;
        TailSeries {
            w,
            terms: [c1 * w1, c2 * w2, c3 * w3, c4 * w4],
            ln_v: ln_w + (d1 * w1 + d2 * w2) + (d3 * w3 + d4 * w4),
        }
    }

    /// `c1 w + ... + c4 w^4`: the relative correction to `w`.
    fn correction(&self) -> f64 {
        self.terms.iter().sum()
    }

    /// Whether the series, to the terms kept, is good to a few percent: `w` is
    /// within its reach, its terms fall fast, and the rest, estimated as a
    /// geometric series from the last two terms,
    /// `|t4| r / (1 - r)` with `r = |t4 / t3| < 1`, is below 2%.
    fn is_accurate(&self) -> bool {
        const BOUNDS: [f64; 4] = [0.25, 0.1, 0.05, 0.025];
        let [_, _, third, fourth] = self.terms.map(f64::abs);
        // The rest's bound, multiplied out (true when both terms are 0).
        let small_rest = fourth * fourth <= 0.02 * (third - fourth);
        let falling = self
            .terms
            .iter()
            .zip(BOUNDS)
            .all(|(t, bound)| t.abs() <= bound);
        self.w <= 1.0 && small_rest && falling
    }
}

/// The coefficients `c1 ... c4` of the series reversion
/// `x = w (1 + c1 w + c2 w^2 + c3 w^3 + c4 w^4 + ...)` of
/// `a B(a, b) I_x(a, b) = w^a`, where
/// `a B(a, b) I_x(a, b) = x^a sum_k (1 - b)_k / k! a / (a + k) x^k`.
///
/// Derived with a computer algebra system (SymPy); `c1` and `c2` are the
/// classical ones. Each has the factor `b - 1` (for `b = 1`, `x = w`
/// exactly), and for `a = 1` they are the Taylor coefficients of
/// `1 - (1 - b w)^(1/b)`.
fn reversion_coefficients(a: f64, b: f64) -> [f64; 4] {
    /// `c[0] t^(n-1) + ... + c[n-1]`.
    fn poly(c: &[f64], t: f64) -> f64 {
        c.iter().fold(0.0, |sum, &ci| sum * t + ci)
    }
    let (a1, a2, a3, a4) = (a + 1.0, a + 2.0, a + 3.0, a + 4.0);
    let b1 = b - 1.0;
    // The numerators as polynomials in b whose coefficients are polynomials
    // in a, highest powers first.
    let n2 = poly(&[1.0, 3.0 * b - 1.0, 5.0 * b - 4.0], a);
    let n3 = poly(
        &[
            poly(&[8.0, 33.0, 31.0], a),
            poly(&[6.0, 11.0, -30.0, -47.0], a),
            poly(&[1.0, -1.0, -10.0, 4.0, 18.0], a),
        ],
        b,
    );
    let n4 = poly(
        &[
            poly(&[125.0, 1179.0, 3971.0, 5661.0, 2888.0], a),
            poly(&[150.0, 1101.0, 1911.0, -2493.0, -9333.0, -6312.0], a),
            poly(&[55.0, 269.0, -259.0, -2581.0, -1636.0, 4688.0, 4648.0], a),
            poly(
                &[6.0, 11.0, -119.0, -235.0, 529.0, 1016.0, -632.0, -1152.0],
                a,
            ),
        ],
        b,
    );
    let c1 = b1 / a1;
    let c2 = b1 * n2 / (2.0 * a1 * a1 * a2);
    let c3 = b1 * n3 / (3.0 * a1 * a1 * a1 * a2 * a3);
    let c4 = b1 * n4 / (24.0 * (a1 * a1) * (a1 * a1) * (a2 * a2) * a3 * a4);
    [c1, c2, c3, c4]
}

/// Abramowitz and Stegun 26.5.22 (as in AS 109's starting value): with `y` the
/// upper `u`-quantile of the standard normal, `x = a / (a + b e^(2w))` where
/// `w = y sqrt(h + r) / h - (1/(2b-1) - 1/(2a-1)) (r + 5/6 - 2/(3h))`,
/// `r = (y^2 - 3) / 6` and `h = 2 / (1/(2a-1) + 1/(2b-1))`. For `a, b >= 1`.
///
/// Returns the start measured from the nearer end, both `ln x` and
/// `ln(1 - x)` being computed without cancellation; `None` if it is not
/// finite.
fn abramowitz_stegun(a: f64, b: f64, ln_b_over_a: f64, u: f64) -> Option<Start> {
    let y = -standard_normal_quantile(u);
    let r = (y * y - 3.0) / 6.0;
    let s = 1.0 / (2.0 * a - 1.0);
    let t = 1.0 / (2.0 * b - 1.0);
    let h = 2.0 / (s + t);
    let w = y * (h + r).sqrt() / h - (t - s) * (r + 5.0 / 6.0 - 2.0 / (3.0 * h));
    // ln((1 - x) / x) = ln(b e^(2w) / a).
    let ln_odds = ln_b_over_a + 2.0 * w;
    if !ln_odds.is_finite() {
        return None;
    }
    // ln x = -ln(1 + e^ln_odds), ln(1 - x) = -ln(1 + e^-ln_odds).
    Some(if ln_odds >= 0.0 {
        Start {
            from_zero: true,
            ln_v: -math::ln_1p(math::exp(ln_odds)),
        }
    } else {
        Start {
            from_zero: false,
            ln_v: -math::ln_1p(math::exp(-ln_odds)),
        }
    })
}

/// The equation solved from one end: find `v` with `P(v) = t`, where
/// `P(v) = I_v(p, q)` (`lower`) or `1 - I_v(p, q)`, in `s = ln v`.
struct Equation {
    p: f64,
    q: f64,
    /// `ln B(p, q)`.
    ln_beta: f64,
    /// Whether `P` is `I_v(p, q)` rather than its complement.
    lower: bool,
    /// `ln t`.
    ln_target: f64,
}

/// The equation `g(s) = 0` at one point, with `g(s) = ln P - ln t` if `lower`
/// and `ln t - ln P` otherwise, so that `g` increases with `s` either way.
struct Point {
    /// `g(s)`.
    g: f64,
    /// `g'(s) = v f(v) / P > 0`, with `f` the `Beta(p, q)` density.
    slope: f64,
    /// `g'' / g'`.
    c2: f64,
    /// `g''' / g'`.
    c3: f64,
    /// `g'''' / g'`.
    c4: f64,
}

impl Equation {
    /// Solves for `s = ln v` in `(LN_V_FLOOR, 0)`, starting at `start` (or at
    /// `ln 1/2` if `start` is outside that range or NaN).
    ///
    /// Keeps a bracket of the root, updated at every evaluation (`g` is
    /// increasing), and bisects it whenever a step would leave it. Returns NaN
    /// if `P` cannot be evaluated.
    fn solve(&self, start: f64) -> f64 {
        let (mut lo, mut hi) = (LN_V_FLOOR, 0.0);
        let mut s = if start > lo && start < hi {
            start
        } else {
            -LN_2
        };
        let mut floor_tried = false;
        for _ in 0..MAX_STEPS {
            let Some(point) = self.evaluate(s) else {
                return f64::NAN;
            };
            if point.g == 0.0 {
                return s;
            }
            if point.g < 0.0 {
                lo = s;
            } else {
                hi = s;
            }
            let newton = point.g / point.slope;
            // The inverse function's Taylor series to fourth order:
            // s* = s - newton (1 + t1 + t2 + t3), used while its terms fall.
            let (c2, c3, c4) = (point.c2, point.c3, point.c4);
            let t1 = c2 / 2.0 * newton;
            let t2 = (3.0 * c2 * c2 - c3) / 6.0 * newton * newton;
            let t3 = (15.0 * c2 * c2 * c2 - 10.0 * c2 * c3 + c4) / 24.0 * newton * newton * newton;
            let higher_order = t1.abs() <= 0.5 && t2.abs() <= 0.25 && t3.abs() <= 0.125;
            let step = if higher_order {
                newton * (1.0 + t1 + t2 + t3)
            } else {
                newton
            };
            let tolerance = 4.0 * f64::EPSILON * s.abs().max(1.0);
            // A zero or infinite P makes the step NaN or infinite: bisect.
            if step.is_finite() {
                let next = s - step;
                // Settled: each term of the series is tiny on the scale of the
                // one before, so the terms left out are far below rounding.
                let settled = higher_order && {
                    let h = newton.abs();
                    let small = STEP_SETTLED;
                    h <= small
                        && (c2 * h).abs() <= small
                        && (c3 * h * h).abs() <= small * small
                        && (c4 * h * h * h).abs() <= small * small * small
                };
                if step.abs() <= tolerance || settled {
                    return next.max(lo).min(hi);
                }
                if next > lo && next < hi {
                    s = next;
                    continue;
                }
                // A step below the floor: try the floor itself, once. If the
                // root lies below it (the answer underflows to 0), the bracket
                // then closes there at once rather than after 50 bisections.
                if next <= lo && lo == LN_V_FLOOR && !floor_tried {
                    floor_tried = true;
                    s = LN_V_FLOOR;
                    continue;
                }
            }
            s = 0.5 * (lo + hi);
            if hi - lo <= tolerance {
                return s;
            }
        }
        s
    }

    /// `g` and its derivatives at `s`, or `None` if `P` is NaN.
    fn evaluate(&self, s: f64) -> Option<Point> {
        let (p, q) = (self.p, self.q);
        // v and y = 1 - v, each with its relative accuracy, and ln y.
        let (v, y, ln_y) = if s < -LN_2 {
            let v = math::exp(s);
            (v, 1.0 - v, math::ln_1p(-v))
        } else {
            let y = -math::exp_m1(s);
            (1.0 - y, y, math::ln(y))
        };
        // ln(v^p y^q / B(p, q)).
        let ln_prefactor = p * s + q * ln_y - self.ln_beta;
        // P from the continued fraction where that gives it directly (on the
        // log scale, so a tail probability below 1e-308 is no problem), else
        // as 1 minus the other side. Either way, v f(v) / P for the slope,
        // where v f(v) = prefactor / y.
        let below_switch = v * (p + q + 2.0) < p + 1.0;
        let (shape, cf) = if below_switch {
            // I_v(p, q)
            (p, continued_fraction(p, q, v))
        } else {
            // I_y(q, p) = 1 - I_v(p, q)
            (q, continued_fraction(q, p, y))
        };
        let (ln_prob, slope) = if below_switch == self.lower {
            (ln_prefactor + math::ln(cf / shape), shape / (y * cf))
        } else {
            let prefactor = math::exp(ln_prefactor);
            // Rounding can take the other side above 1 where P is tiny: then
            // P = 0, g is infinite, and the solver bisects.
            let prob = 1.0 - prefactor * cf / shape;
            let prob = if prob < 0.0 { 0.0 } else { prob };
            (math::ln(prob), prefactor / (y * prob))
        };
        let g = if self.lower {
            ln_prob - self.ln_target
        } else {
            self.ln_target - ln_prob
        };
        if g.is_nan() {
            return None;
        }
        // The derivatives of l = d ln(v f(v)) / ds = p - (q - 1) r, with
        // r = v / y and dr/ds = r (1 + r).
        let r = v / y;
        let dr = r * (1.0 + r);
        let l1 = p - (q - 1.0) * r;
        let l2 = -(q - 1.0) * dr;
        let l3 = -(q - 1.0) * dr * (1.0 + 2.0 * r);
        // With sigma = 1 if lower, else -1: g' = sigma P' / P = v f / P, so
        // g'' = g' (l - sigma g'), and so on by differentiating the ratios.
        let sigma_slope = if self.lower { slope } else { -slope };
        let c2 = l1 - sigma_slope;
        let dc2 = l2 - sigma_slope * c2;
        let c3 = c2 * c2 + dc2;
        let ddc2 = l3 - sigma_slope * c3;
        let c4 = c2 * c3 + 2.0 * c2 * dc2 + ddc2;
        Some(Point {
            g,
            slope,
            c2,
            c3,
            c4,
        })
    }
}

/// The continued fraction of `I_x(a, b)` (Numerical Recipes' `betacf`, the one
/// statrs uses): `I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * K` with
/// `K = 1 / (1 + d1 / (1 + d2 / (1 + ...)))`,
/// `d(2m+1) = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))` and
/// `d(2m) = m (b - m) x / ((a + 2m - 1)(a + 2m))`. It converges fast for
/// `x < (a + 1) / (a + b + 2)`. Returns `K`.
///
/// First by the forward recurrence of the convergents, which is fast (see
/// [`forward_recurrence`]) and as accurate as the modified Lentz method while
/// few terms are needed, as for the PERT shapes; then, if it has not
/// converged within [`FAST_TERMS`] pairs of terms, by the modified Lentz
/// method, which stays accurate where the forward recurrence would lose
/// digits to cancellation (many terms, or `x` near 1).
fn continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    forward_recurrence(a, b, x).unwrap_or_else(|| modified_lentz(a, b, x))
}

/// `K` of [`continued_fraction`] by the forward (Wallis) recurrence of its
/// convergents `A(n) / B(n)`, two terms per step, until a step changes the
/// value by at most an ulp; `None` if that takes more than [`FAST_TERMS`]
/// steps (or `B` is out of range).
///
/// The coefficients' divisions do not sit on the recurrence's dependency
/// chain, so a step costs one multiply-add of latency, where the modified
/// Lentz method waits on two divisions.
fn forward_recurrence(a: f64, b: f64, x: f64) -> Option<f64> {
    // Convergents n - 1 and n, starting from K_1 = 1/1.
    let (mut a_prev, mut a_cur) = (0.0_f64, 1.0_f64);
    let (mut b_prev, mut b_cur) = (1.0_f64, 1.0_f64);
    let sum = a + b;
    let mut m = 0.0;
    for _ in 0..FAST_TERMS {
        // Terms 2m + 1 and 2m + 2, sharing one division.
        let k = a + 2.0 * m;
        let common = x / (k * (k + 1.0) * (k + 2.0));
        let d_odd = -(a + m) * (sum + m) * (k + 2.0) * common;
        let d_even = (m + 1.0) * (b - m - 1.0) * k * common;
        // Both at once: A(n+1) = A(n) + d_odd A(n-1) and
        // A(n+2) = A(n+1) + d_even A(n) = (1 + d_even) A(n) + d_odd A(n-1).
        let grow = 1.0 + d_even;
        let (a_before, b_before) = (a_cur, b_cur);
        (a_prev, a_cur) = (a_cur + d_odd * a_prev, grow * a_cur + d_odd * a_prev);
        (b_prev, b_cur) = (b_cur + d_odd * b_prev, grow * b_cur + d_odd * b_prev);
        m += 1.0;
        // Converged when the step changed A/B by at most an ulp:
        // |A(n) / B(n) - A(n-2) / B(n-2)| <= eps |A(n) / B(n)|, without
        // dividing. (Not consecutive convergents: an even term can be almost
        // 0, for b near m + 1, while the odd one still changes the value.)
        let cross = a_cur * b_before;
        if (cross - a_before * b_cur).abs() <= f64::EPSILON * cross.abs() {
            // Below the switch point no term is much above 1 in size, so in
            // FAST_TERMS steps B can neither overflow nor underflow; this
            // only catches shapes far outside the accepted range.
            return (b_cur.abs() >= 1e-200).then(|| a_cur / b_cur);
        }
    }
    None
}

/// `K` of [`continued_fraction`] by the modified Lentz method, as Numerical
/// Recipes' `betacf` (and statrs) evaluate it, until a pair of terms changes
/// the value by at most half an ulp or after [`MAX_TERMS`] pairs.
fn modified_lentz(a: f64, b: f64, x: f64) -> f64 {
    /// Stands in for a zero denominator.
    const TINY: f64 = 1e-300;
    let nonzero = |t: f64| if t.abs() < TINY { TINY } else { t };
    let sum = a + b;
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - sum * x / (a + 1.0));
    let mut k = d;
    for m in 1..=MAX_TERMS {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        k *= d * c;
        let odd = -(a + m) * (sum + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let change = d * c;
        k *= change;
        if (change - 1.0).abs() <= 0.5 * f64::EPSILON {
            break;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln B(a, b)` to within 8e-16 of `max(1, |ln B|)`, against mpmath at 50
    /// digits (measured: 3.8e-16), where statrs is off by up to 5e-14 at the
    /// PERT shapes and 6e-11 at (1e4, 1e4).
    #[test]
    fn ln_beta_matches_mpmath() {
        let cases = [
            (2.333333333333333, 3.6666666666666665, -3.2236612682535313),
            (1.5, 4.5, -2.454537409574849),
            (1.0, 5.0, -1.6094379124341003),
            (0.5, 0.5, 1.1447298858494002),
            (3.0, 3.0, -3.4011973816621555),
            (4.6, 1.4, -2.3132475029159365),
            (0.1, 10000.0, 1.3316831145965868),
            (2.333333333333333, 10000.0, -21.31645931661651),
            (10000.0, 10000.0, -13866.28325676141),
            (1e-300, 2.0, 690.7755278982137),
            (0.01, 0.3, 4.633905095830992),
            (30.0, 200.0, -89.76779345666485),
            (1e12, 3.0, -82.1999161672287),
        ];
        for (a, b, expected) in cases {
            for (x, y) in [(a, b), (b, a)] {
                let ours = ln_beta(x, y);
                let error = (ours - expected).abs() / expected.abs().max(1.0);
                assert!(
                    error <= 8e-16,
                    "ln B({x}, {y}) = {ours}, expected {expected}"
                );
            }
        }
    }

    /// Both ways of evaluating the continued fraction agree where the fast
    /// one applies, and match mpmath; the fast one declines where it would
    /// lose digits (`x` near 1 with `a >> b`), and Lentz's method is right.
    #[test]
    fn continued_fraction_paths_agree() {
        for (a, b, x, expected) in [
            (
                2.333333333333333,
                3.6666666666666665,
                0.3,
                2.003337308162794,
            ),
            (1.4, 4.6, 0.25, 2.191280696100389),
            (4.6, 1.4, 0.5, 2.1319960640460214),
        ] {
            let fast = forward_recurrence(a, b, x);
            let lentz = modified_lentz(a, b, x);
            assert!(fast.is_some(), "({a}, {b}, {x})");
            for k in [fast.unwrap_or(f64::NAN), lentz, continued_fraction(a, b, x)] {
                assert!(
                    (k - expected).abs() <= 2e-15 * expected,
                    "({a}, {b}, {x}): {k}"
                );
            }
        }
        let (a, b, x) = (1e4, 2.333_333_333_333_333_5, 1.0 - 3.4e-4);
        assert!(forward_recurrence(a, b, x).is_none());
        let k = continued_fraction(a, b, x);
        assert!((k - 4191.375759601607).abs() <= 1e-12 * k, "{k}");
        // Tiny and zero arguments.
        assert_eq!(continued_fraction(2.0, 3.0, 0.0), 1.0);
        assert!((continued_fraction(2.0, 3.0, 1e-300) - 1.0).abs() <= f64::EPSILON);
    }

    /// For `a = 1` the series reversion is the Taylor series of
    /// `1 - (1 - b w)^(1/b)`, whose `w^(n+1)` coefficient is
    /// `(b - 1)(2b - 1)...(nb - 1) / (n + 1)!`; for `b = 1` it is `x = w`.
    #[test]
    fn reversion_coefficients_match_the_closed_form() {
        for b in [0.3, 2.0, 4.6, 30.0] {
            let c = reversion_coefficients(1.0, b);
            let mut expected = 1.0;
            for (n, &cn) in c.iter().enumerate() {
                let n = n as f64 + 1.0;
                expected *= (n * b - 1.0) / (n + 1.0);
                // The polynomials cancel for b < 1; a start needs no more.
                assert!(
                    (cn - expected).abs() <= 1e-12 * expected.abs(),
                    "b = {b}, c{n} = {cn}"
                );
            }
        }
        assert_eq!(reversion_coefficients(2.5, 1.0), [0.0; 4]);
    }

    /// Exact answers: the closed forms `u^(1/a)` and `1 - (1 - u)^(1/b)`, the
    /// median of a symmetric beta, and the ends.
    #[test]
    fn beta_quantile_exact_cases() {
        for u in [1e-200, 1e-9, 0.2, 0.5, 0.8, 1.0 - 1e-9] {
            for shape in [0.2, 1.0, 2.5, 5.0] {
                // Within 16 times the log-scale rounding, eps |ln x|: P
                // from 1 - I costs a few eps where the other side is larger.
                let close = |x: f64, exact: f64| {
                    let tolerance = 16.0 * f64::EPSILON * math::ln(exact).abs().max(1.0);
                    (x - exact).abs() <= tolerance * exact
                };
                let x = beta_quantile(shape, 1.0, u);
                let exact = math::powf(u, 1.0 / shape);
                assert!(
                    close(x, exact) || x == exact,
                    "({shape}, 1) at {u}: {x} vs {exact}"
                );
                let x = beta_quantile(1.0, shape, u);
                let exact = -math::exp_m1(math::ln_1p(-u) / shape);
                assert!(close(x, exact), "(1, {shape}) at {u}: {x} vs {exact}");
            }
        }
        for shape in [0.3, 1.0, 3.0, 4.5, 100.0] {
            assert!((beta_quantile(shape, shape, 0.5) - 0.5).abs() <= 2e-15);
        }
        assert_eq!(beta_quantile(2.0, 3.0, 0.0), 0.0);
        assert_eq!(beta_quantile(2.0, 3.0, 1.0), 1.0);
        assert!(beta_quantile(2.0, 3.0, f64::NAN).is_nan());
        assert!(beta_quantile(0.0, 3.0, 0.5).is_nan());
        assert!(beta_quantile(2.0, f64::INFINITY, 0.5).is_nan());
    }
}
