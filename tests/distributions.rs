//! Integration tests of `shortfall::distributions`, through its public API:
//!
//! * the generator: Philox4x32-10 known answers, the uniform mapping, pinned
//!   draws that guard the streams against accidental change, determinism and
//!   independence of (seed, trial, stream, counter);
//! * the normal quantile and CDF against statrs;
//! * every distribution against statrs, by sampling and at fixed points;
//! * the beta quantile beyond statrs: tail accuracy, extreme inputs,
//!   high-precision references, the previous algorithm, and statrs' `I_x`;
//! * the accessors, the display forms and every validation error.

use std::sync::OnceLock;

use shortfall::distributions::rng::{
    philox4x32_10, standard_normal_cdf, standard_normal_quantile, unit_f64,
};
use shortfall::distributions::{
    Distribution, DistributionError, Quantity, StreamId, TrialRng, MAX_BETA_SHAPE,
};
use statrs::distribution::{Beta, ContinuousCDF, LogNormal, Normal, Triangular, Uniform};
use statrs::statistics::Distribution as _;

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

/// Random123's kat_vectors for philox4x32 with 10 rounds.
#[test]
fn philox_matches_random123_known_answers() {
    assert_eq!(
        philox4x32_10([0, 0, 0, 0], [0, 0]),
        [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
    );
    assert_eq!(
        philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
        [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0]
        ),
        [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
    );
}

#[test]
fn unit_f64_stays_strictly_inside_the_unit_interval() {
    let two = 2f64;
    // All zeros: the midpoint of the first cell.
    assert_eq!(unit_f64(0, 0), two.powi(-54));
    // All ones: the top cell would round to 1; it gives the largest double below.
    let top = unit_f64(u32::MAX, u32::MAX);
    assert_eq!(top, 1.0 - two.powi(-53));
    assert!(top < 1.0);
    // The lowest 11 bits of w0 are dropped.
    assert_eq!(unit_f64(0x7ff, 0), unit_f64(0, 0));
    // x = 1: (1 + 1/2) 2^-53.
    assert_eq!(unit_f64(0x800, 0), 1.5 * two.powi(-53));
    // Just below one half the midpoints are exact.
    assert_eq!(unit_f64(u32::MAX, 0x7fff_ffff), 0.5 - two.powi(-54));
    // x = 2^52: 2^52 + 1/2 rounds to even, i.e. to exactly one half.
    assert_eq!(unit_f64(0, 0x8000_0000), 0.5);

    // Monotone in the 64-bit word and always inside (0, 1).
    let words: [u64; 9] = [
        0,
        1 << 11,
        1 << 40,
        (1 << 63) - (1 << 11),
        1 << 63,
        (1 << 63) + (1 << 11),
        u64::MAX - (2 << 11),
        u64::MAX - (1 << 11),
        u64::MAX,
    ];
    let mut previous = 0.0;
    for w in words {
        let u = unit_f64(w as u32, (w >> 32) as u32);
        assert!(u > 0.0 && u < 1.0, "{w:#x} -> {u}");
        assert!(u >= previous, "{w:#x} -> {u} < {previous}");
        previous = u;
    }
}

#[test]
fn uniform_uses_words_zero_and_one_and_pair_uses_all_four() {
    let rng = TrialRng::new(9, 3);
    let stream = StreamId::named("demand_noise.ndpr_oxide");
    for counter in [0, 1, 17, u32::MAX] {
        let w = rng.bits(stream, counter);
        assert_eq!(rng.uniform(stream, counter), unit_f64(w[0], w[1]));
        let pair = rng.uniform_pair(stream, counter);
        assert_eq!(pair, [unit_f64(w[0], w[1]), unit_f64(w[2], w[3])]);
        assert_ne!(pair[0], pair[1]);
        assert_eq!(
            rng.standard_normal(stream, counter),
            standard_normal_quantile(pair[0])
        );
    }
}

#[test]
fn bits_follow_the_documented_counter_layout() {
    let seed: u64 = 0x0123_4567_89ab_cdef;
    let stream = StreamId::from_raw(0xfedc_ba98_7654_3210);
    let rng = TrialRng::new(seed, 42);
    assert_eq!(rng.seed(), seed);
    assert_eq!(rng.trial(), 42);
    assert_eq!(
        rng.bits(stream, 5),
        philox4x32_10(
            [5, 42, 0x7654_3210, 0xfedc_ba98],
            [0x89ab_cdef, 0x0123_4567]
        )
    );
}

#[test]
fn stream_names_hash_with_fnv1a_64() {
    // Published FNV-1a 64 test vectors.
    assert_eq!(StreamId::named("").raw(), 0xcbf2_9ce4_8422_2325);
    assert_eq!(StreamId::named("a").raw(), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(StreamId::named("foobar").raw(), 0x8594_4171_f739_67e8);
    // Pinned: changing it would change every stream of every run.
    assert_eq!(StreamId::named("x").raw(), 0xaf63_f54c_8602_1707);
    assert_eq!(
        StreamId::named("shock.ban.duration_months").raw(),
        0x266b_8216_be3c_2f2a
    );

    let id = StreamId::named("outage.3");
    assert_eq!(StreamId::from_raw(id.raw()), id);
    assert_ne!(id, StreamId::named("outage.4"));
    assert_ne!(id, StreamId::named("Outage.3"));
    const AT_COMPILE_TIME: StreamId = StreamId::named("outage.3");
    assert_eq!(AT_COMPILE_TIME, id);
}

/// Exact draws, pinned once the known-answer vectors passed. A failure here
/// means every run's results changed: only acceptable on purpose, with a note
/// in the changelog.
#[test]
fn draws_are_pinned() {
    let stream = StreamId::named("shock.ban.duration_months");
    // (trial, counter, uniform bits, standard normal bits); values in comments.
    let pinned: [(u32, u32, u64, u64); 8] = [
        (0, 0, 0x3fe7_473d_797b_2bc8, 0x3fe3_5d0a_faaf_859a), // 0.7274463055304006, 0.6051077743724591
        (0, 1, 0x3fd8_f4c0_eb0e_f7ff, 0xbfd1_e2fc_761d_a270), // 0.3899385734074485, -0.27947913679830716
        (0, 2, 0x3fd7_15a3_bedd_cd0f, 0xbfd6_d287_3e3f_b3b1), // 0.3606957782678401, -0.35659962729442457
        (0, 3, 0x3fef_fb73_b795_2d66, 0x400a_1673_94f4_aff8), // 0.9994448266601637, 3.2609626424000417
        (7, 0, 0x3fd6_3120_58ff_ae9f, 0xbfd9_3929_f519_336c), // 0.3467484349373339, -0.39411400733370416
        (7, 1, 0x3fda_02ed_fe72_4acf, 0xbfce_4d88_88ad_80aa), // 0.4064288124874737, -0.23674112962453836
        (7, 2, 0x3fa9_a34b_c04b_c7b8, 0xbffa_4e62_63fb_1728), // 0.05007397386897544, -1.6441368012905944
        (7, 3, 0x3fce_7036_0f09_23fe, 0xbfe6_d42a_5cb2_440a), // 0.2377994130531817, -0.7133991060710525
    ];
    for (trial, counter, u_bits, z_bits) in pinned {
        let rng = TrialRng::new(2025, trial);
        let u = rng.uniform(stream, counter);
        let z = rng.standard_normal(stream, counter);
        assert_eq!(
            u.to_bits(),
            u_bits,
            "uniform, trial {trial}, counter {counter}: {u}"
        );
        assert_eq!(
            z.to_bits(),
            z_bits,
            "normal, trial {trial}, counter {counter}: {z}"
        );
    }
    assert_eq!(
        TrialRng::new(2025, 0).uniform(stream, 0),
        0.727_446_305_530_400_6
    );
}

#[test]
fn draws_are_deterministic_and_every_input_matters() {
    let stream = StreamId::named("shock.ban.duration_months");
    let base = TrialRng::new(2025, 7);
    let u = base.uniform(stream, 3);
    // Same inputs, same value, whatever was drawn before.
    let _ = base.uniform(StreamId::named("other"), 0);
    assert_eq!(
        TrialRng::new(2025, 7).uniform(stream, 3).to_bits(),
        u.to_bits()
    );

    let others = [
        TrialRng::new(2026, 7).uniform(stream, 3),
        TrialRng::new(2025 + (1 << 32), 7).uniform(stream, 3), // seed high word
        TrialRng::new(2025, 8).uniform(stream, 3),
        TrialRng::new(2025, 7).uniform(StreamId::named("shock.ban.start_month"), 3),
        TrialRng::new(2025, 7).uniform(StreamId::from_raw(stream.raw() ^ (1 << 40)), 3),
        TrialRng::new(2025, 7).uniform(stream, 4),
    ];
    for (i, other) in others.iter().enumerate() {
        assert_ne!(other.to_bits(), u.to_bits(), "variation {i}");
    }
    // Neither trial/counter nor seed words are interchangeable.
    assert_ne!(
        TrialRng::new(1, 2).bits(stream, 3),
        TrialRng::new(1, 3).bits(stream, 2)
    );
}

// ---------------------------------------------------------------------------
// The standard normal
// ---------------------------------------------------------------------------

#[test]
fn standard_normal_quantile_matches_statrs() {
    let reference = Normal::new(0.0, 1.0).expect("valid normal");
    let grid = [
        1e-300,
        1e-100,
        1e-12,
        1e-6,
        0.001,
        0.02425,
        0.075,
        0.3,
        0.5,
        0.7,
        0.925,
        0.97575,
        0.999,
        1.0 - 1e-6,
    ];
    for p in grid {
        let ours = standard_normal_quantile(p);
        let theirs = reference.inverse_cdf(p);
        let err = (ours - theirs).abs();
        assert!(
            err <= 1e-12 * theirs.abs() || err <= 1e-13,
            "p = {p}: {ours} vs statrs {theirs}"
        );
    }
    // Symmetry, exactly where 1 - p is exact.
    for p in [0.1, 0.25, 0.4] {
        assert_eq!(
            standard_normal_quantile(p),
            -standard_normal_quantile(1.0 - p)
        );
    }
}

#[test]
fn standard_normal_quantile_edges() {
    assert_eq!(standard_normal_quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(standard_normal_quantile(1.0), f64::INFINITY);
    for p in [f64::NAN, -0.1, 1.1, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(standard_normal_quantile(p).is_nan(), "p = {p}");
    }
    assert_eq!(standard_normal_quantile(0.5), 0.0);
    // The extremes of the generator give finite normals.
    let lowest = standard_normal_quantile(unit_f64(0, 0));
    let highest = standard_normal_quantile(unit_f64(u32::MAX, u32::MAX));
    assert!(lowest.is_finite() && lowest < -8.0, "{lowest}");
    assert!(highest.is_finite() && highest > 8.0, "{highest}");
}

#[test]
fn standard_normal_cdf_matches_statrs_and_inverts_the_quantile() {
    // statrs 0.18's erfc is good to about 1e-10 relative (its interval
    // constants have 10 digits); ours is musl's, good to about an ulp of
    // erfc's own argument, `x / sqrt 2` rounded, whose error grows with `x^2`
    // in relative terms: 1e-13 at x = -30.
    let reference = Normal::new(0.0, 1.0).expect("valid normal");
    for x in [-30.0, -8.0, -3.0, -1.0, -0.1, 0.0, 0.5, 2.0, 5.0] {
        let ours = standard_normal_cdf(x);
        let theirs = reference.cdf(x);
        assert!(
            (ours - theirs).abs() <= 1e-10 * theirs,
            "x = {x}: {ours} vs {theirs}"
        );
    }
    // Phi(-30) = 4.906713927148187e-198 (mpmath, 30 digits).
    let exact = 4.906_713_927_148_187e-198;
    assert!((standard_normal_cdf(-30.0) - exact).abs() <= 2e-13 * exact);
    for p in [1e-20, 1e-5, 0.2, 0.5, 0.8, 0.99] {
        let back = standard_normal_cdf(standard_normal_quantile(p));
        assert!((back - p).abs() <= 1e-13 * p, "p = {p}: {back}");
    }
    assert_eq!(standard_normal_cdf(f64::NEG_INFINITY), 0.0);
    assert_eq!(standard_normal_cdf(f64::INFINITY), 1.0);
    assert!(standard_normal_cdf(f64::NAN).is_nan());
}

// ---------------------------------------------------------------------------
// Distributions against statrs
// ---------------------------------------------------------------------------

/// Draws per distribution.
const N: usize = 200_000;

/// The uniforms every sampling test uses: trial k's first draw of stream
/// "test" with seed 42, for k in 0..N. Computed once, shared by all tests.
fn uniforms() -> &'static [f64] {
    static UNIFORMS: OnceLock<Vec<f64>> = OnceLock::new();
    UNIFORMS.get_or_init(|| {
        let stream = StreamId::named("test");
        (0..N as u32)
            .map(|k| TrialRng::new(42, k).uniform(stream, 0))
            .collect()
    })
}

/// What the draws of a distribution should look like, from statrs or a closed
/// form.
struct Reference {
    mean: f64,
    sd: f64,
    /// The reference quantile function.
    quantile: Box<dyn Fn(f64) -> f64>,
}

/// Draws `N` values of `d` and compares them with `reference`.
///
/// Tolerances come from the sample size, at five standard errors:
///
/// * The sample mean has standard error `sd / sqrt(N)`.
/// * At the true `q`-quantile `x_q`, the empirical CDF `F_N(x_q)` is the mean of
///   `N` Bernoulli(`q`) indicators `[X_i <= x_q]`, so it has mean `q` and
///   standard error `sqrt(q (1 - q) / N)`; checking the empirical CDF at the
///   reference quantile tests the sample p5/p50/p95 without density estimates.
///
/// Five standard errors put a false alarm below 6e-7 per check for correct
/// code (the draws are fixed, so a test passes or fails for good), while a
/// wrong shape, scale or location moves these statistics by far more.
fn check_sampling(d: &Distribution, reference: &Reference) {
    let draws: Vec<f64> = uniforms().iter().map(|&u| d.quantile(u)).collect();
    let n = N as f64;

    let mean = draws.iter().sum::<f64>() / n;
    let se = reference.sd / n.sqrt();
    assert!(
        (mean - reference.mean).abs() <= 5.0 * se,
        "{d}: sample mean {mean}, expected {} +- {}",
        reference.mean,
        5.0 * se
    );

    for q in [0.05, 0.5, 0.95] {
        let x_q = (reference.quantile)(q);
        let below = draws.iter().filter(|&&x| x <= x_q).count() as f64 / n;
        let tolerance = 5.0 * (q * (1.0 - q) / n).sqrt();
        assert!(
            (below - q).abs() <= tolerance,
            "{d}: empirical CDF at the {q} quantile ({x_q}) is {below}, tolerance {tolerance}"
        );
    }
    let (lo, hi) = d.support();
    assert!(
        draws.iter().all(|&x| x >= lo && x <= hi),
        "{d}: a draw left the support"
    );
}

/// The points at which `quantile` is compared with statrs' `inverse_cdf`.
const FIXED_POINTS: [f64; 5] = [0.01, 0.3, 0.5, 0.9, 0.999];

/// Compares `d.quantile` with `reference` at [`FIXED_POINTS`], relatively.
fn check_fixed_points(d: &Distribution, reference: impl Fn(f64) -> f64, relative: f64) {
    for u in FIXED_POINTS {
        let ours = d.quantile(u);
        let theirs = reference(u);
        assert!(
            (ours - theirs).abs() <= relative * theirs.abs(),
            "{d} at u = {u}: {ours} vs statrs {theirs}"
        );
    }
}

#[test]
fn uniform_matches_statrs() {
    let d = Distribution::uniform(2.0, 7.0).expect("valid");
    let r = Uniform::new(2.0, 7.0).expect("valid");
    check_fixed_points(&d, |u| r.inverse_cdf(u), 1e-9);
    let reference = Reference {
        mean: r.mean().expect("mean"),
        sd: r.std_dev().expect("sd"),
        quantile: Box::new(move |u| r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn triangular_matches_statrs() {
    let d = Distribution::triangular(1.0, 3.0, 10.0).expect("valid");
    let r = Triangular::new(1.0, 10.0, 3.0).expect("valid"); // statrs: (min, max, mode)
    check_fixed_points(&d, |u| r.inverse_cdf(u), 1e-9);
    let reference = Reference {
        mean: r.mean().expect("mean"),
        sd: r.std_dev().expect("sd"),
        quantile: Box::new(move |u| r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn pert_matches_statrs_beta_scaled() {
    let (min, mode, max) = (6.0, 12.0, 24.0);
    let d = Distribution::pert(min, mode, max).expect("valid");
    // alpha = 1 + 4 (12 - 6) / 18, beta = 1 + 4 (24 - 12) / 18.
    let (alpha, beta) = (1.0 + 4.0 * 6.0 / 18.0, 1.0 + 4.0 * 12.0 / 18.0);
    let r = Beta::new(alpha, beta).expect("valid");
    let width = max - min;
    check_fixed_points(&d, |u| min + width * r.inverse_cdf(u), 1e-7);
    assert_eq!(d.mean(), (min + 4.0 * mode + max) / 6.0);
    let reference = Reference {
        mean: min + width * r.mean().expect("mean"),
        sd: width * r.std_dev().expect("sd"),
        quantile: Box::new(move |u| min + width * r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn normal_matches_statrs() {
    let d = Distribution::normal(10.0, 2.5).expect("valid");
    let r = Normal::new(10.0, 2.5).expect("valid");
    check_fixed_points(&d, |u| r.inverse_cdf(u), 1e-9);
    let reference = Reference {
        mean: 10.0,
        sd: 2.5,
        quantile: Box::new(move |u| r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn lognormal_matches_statrs() {
    let (median, sd_log) = (3.0, 0.6);
    let d = Distribution::lognormal(median, sd_log).expect("valid");
    let r = LogNormal::new(f64::ln(median), sd_log).expect("valid");
    check_fixed_points(&d, |u| r.inverse_cdf(u), 1e-9);
    assert!((d.mean() - r.mean().expect("mean")).abs() <= 1e-12 * d.mean());
    let reference = Reference {
        mean: r.mean().expect("mean"),
        sd: r.std_dev().expect("sd"),
        quantile: Box::new(move |u| r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn beta_on_unit_interval_matches_statrs() {
    let d = Distribution::beta(2.0, 5.0).expect("valid");
    let r = Beta::new(2.0, 5.0).expect("valid");
    check_fixed_points(&d, |u| r.inverse_cdf(u), 1e-7);
    let reference = Reference {
        mean: r.mean().expect("mean"),
        sd: r.std_dev().expect("sd"),
        quantile: Box::new(move |u| r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn beta_on_range_matches_statrs_scaled() {
    let (min, max) = (100.0, 400.0);
    let d = Distribution::beta_on(0.7, 1.6, min, max).expect("valid");
    let r = Beta::new(0.7, 1.6).expect("valid");
    let width = max - min;
    check_fixed_points(&d, |u| min + width * r.inverse_cdf(u), 1e-7);
    let reference = Reference {
        mean: min + width * r.mean().expect("mean"),
        sd: width * r.std_dev().expect("sd"),
        quantile: Box::new(move |u| min + width * r.inverse_cdf(u)),
    };
    check_sampling(&d, &reference);
}

#[test]
fn discrete_draws_each_value_with_its_normalised_weight() {
    let values = vec![4.0, 1.0, 2.5, 10.0];
    let weights = vec![3.0, 1.0, 0.0, 2.0]; // probabilities 1/2, 1/6, 0, 1/3
    let d = Distribution::discrete(values.clone(), weights.clone()).expect("valid");
    let draws: Vec<f64> = uniforms().iter().map(|&u| d.quantile(u)).collect();
    let n = N as f64;
    let total: f64 = weights.iter().sum();
    for (v, w) in values.iter().zip(&weights) {
        let p = w / total;
        let share = draws.iter().filter(|&&x| x == *v).count() as f64 / n;
        // A share is a mean of N Bernoulli(p) indicators: 5 standard errors.
        let tolerance = 5.0 * (p * (1.0 - p) / n).sqrt();
        assert!(
            (share - p).abs() <= tolerance,
            "value {v}: share {share}, expected {p} +- {tolerance}"
        );
    }
    let mean = (4.0 * 3.0 + 1.0 + 10.0 * 2.0) / 6.0;
    assert!((d.mean() - mean).abs() < 1e-12);
    let sd = ((16.0 * 3.0 + 1.0 + 100.0 * 2.0) / 6.0 - mean * mean).sqrt();
    let sample_mean = draws.iter().sum::<f64>() / n;
    assert!((sample_mean - mean).abs() <= 5.0 * sd / n.sqrt());
}

#[test]
fn discrete_quantile_walks_the_values_in_the_order_given() {
    let d = Distribution::discrete(vec![5.0, 1.0, 3.0], vec![1.0, 1.0, 2.0]).expect("valid");
    assert_eq!(d.quantile(0.1), 5.0);
    assert_eq!(d.quantile(0.25), 5.0); // the cumulative weight reaches u exactly
    assert_eq!(d.quantile(0.26), 1.0);
    assert_eq!(d.quantile(0.5), 1.0);
    assert_eq!(d.quantile(0.51), 3.0);
    assert_eq!(d.quantile(1.0), 3.0);
    // Zero weights are never drawn, even at the edges.
    let z = Distribution::discrete(vec![7.0, 8.0, 9.0], vec![0.0, 1.0, 0.0]).expect("valid");
    for u in [0.0, 1e-300, 0.5, 1.0] {
        assert_eq!(z.quantile(u), 8.0);
    }
}

// ---------------------------------------------------------------------------
// The beta quantile beyond statrs
// ---------------------------------------------------------------------------

#[test]
fn beta_quantile_is_accurate_in_the_tails() {
    // Beta(a, 1) has CDF x^a, so its quantile is u^(1/a); Beta(1, b) has
    // quantile 1 - (1 - u)^(1/b). Both test tails where AS 64 loses digits.
    for (a, u) in [
        (0.1f64, 1e-10f64),
        (0.1, 0.01),
        (0.1, 0.5),
        (0.1, 0.99),
        (3.0, 1e-12),
    ] {
        let d = Distribution::beta(a, 1.0).expect("valid");
        let exact = u.powf(1.0 / a);
        let ours = d.quantile(u);
        assert!(
            (ours - exact).abs() <= 1e-12 * exact,
            "beta({a}, 1) at {u}: {ours} vs {exact}"
        );
    }
    for (b, u) in [(0.5f64, 0.3f64), (2.0, 1e-9), (4.0, 0.9), (40.0, 0.5)] {
        let d = Distribution::beta(1.0, b).expect("valid");
        let exact = -((-u).ln_1p() / b).exp_m1(); // 1 - (1 - u)^(1/b)
        let ours = d.quantile(u);
        assert!(
            (ours - exact).abs() <= 1e-12 * exact,
            "beta(1, {b}) at {u}: {ours} vs {exact}"
        );
    }
}

/// Shapes and uniforms at and beyond the edges of what statrs' inv_beta_reg
/// survives (it hangs or panics on several of these): every result must be in
/// [0, 1] and non-decreasing in u.
#[test]
fn beta_quantile_terminates_and_is_monotone_on_extreme_inputs() {
    let shapes = [1e-3, 0.05, 0.5, 1.0, 2.0, 100.0, MAX_BETA_SHAPE];
    let us = [0.0, 1e-300, 1e-100, 1e-20, 0.3, 0.5, 0.7, 1.0 - 1e-10, 1.0];
    for a in shapes {
        for b in shapes {
            let d = Distribution::beta(a, b).expect("valid");
            let mut previous = 0.0;
            for u in us {
                let x = d.quantile(u);
                assert!((0.0..=1.0).contains(&x), "beta({a}, {b}) at {u}: {x}");
                assert!(x >= previous, "beta({a}, {b}) at {u}: {x} < {previous}");
                previous = x;
            }
        }
    }
}

/// `(alpha, beta, u, x)`: beta quantiles computed with mpmath 1.3 at 50
/// significant digits (the regularized incomplete beta function by its
/// continued fraction, which agrees with `mpmath.betainc` to all 50 digits,
/// and the root found on the log scale until `I_x` matched `u` to 1e-28),
/// then rounded to `f64`. The first 45 rows are PERT shapes, of
/// `pert(6, 12, 24)`, `pert(0, 1, 2)`, `pert(0, 0.1, 1)`, `pert(0, 0.9, 1)`,
/// and (1.5, 4.5).
const BETA_QUANTILE_REFERENCES: [(f64, f64, f64, f64); 75] = [
    (
        2.333333333333333,
        3.6666666666666665,
        1e-300,
        9.688753842346027e-130,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        1e-12,
        2.5992033241211145e-06,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.01,
        0.052363550064662395,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.3,
        0.27334884974793355,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.5,
        0.37581250700412105,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.7,
        0.48657897325377136,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.99,
        0.8220201353758325,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.999999999999,
        0.9996842245737462,
    ),
    (
        2.333333333333333,
        3.6666666666666665,
        0.9999999999999999,
        0.999973647577188,
    ),
    (3.0, 3.0, 1e-300, 4.641588833612779e-101),
    (3.0, 3.0, 1e-12, 4.641696560847633e-05),
    (3.0, 3.0, 0.01, 0.10563984355077435),
    (3.0, 3.0, 0.3, 0.38981835053095837),
    (3.0, 3.0, 0.5, 0.5),
    (3.0, 3.0, 0.7, 0.6101816494690416),
    (3.0, 3.0, 0.99, 0.8943601564492256),
    (3.0, 3.0, 0.999999999999, 0.9999535833766764),
    (3.0, 3.0, 0.9999999999999999, 0.9999977691490175),
    (1.4, 4.6, 1e-300, 1.2620297086703953e-215),
    (1.4, 4.6, 1e-12, 6.536650926905221e-10),
    (1.4, 4.6, 0.01, 0.00920913677371101),
    (1.4, 4.6, 0.3, 0.12466149915013118),
    (1.4, 4.6, 0.5, 0.20266485036146617),
    (1.4, 4.6, 0.7, 0.3002738778561919),
    (1.4, 4.6, 0.99, 0.6820390174974772),
    (1.4, 4.6, 0.999999999999, 0.9979248642352173),
    (1.4, 4.6, 0.9999999999999999, 0.9997133845224538),
    (4.6, 1.4, 1e-300, 5.108442660441811e-66),
    (4.6, 1.4, 1e-12, 0.0020751457458713977),
    (4.6, 1.4, 0.01, 0.3179609825025227),
    (4.6, 1.4, 0.3, 0.699726122143808),
    (4.6, 1.4, 0.5, 0.7973351496385338),
    (4.6, 1.4, 0.7, 0.8753385008498688),
    (4.6, 1.4, 0.99, 0.990790863226289),
    (4.6, 1.4, 0.999999999999, 0.9999999993463452),
    (4.6, 1.4, 0.9999999999999999, 0.9999999999990213),
    (1.5, 4.5, 1e-300, 2.5511312596139517e-201),
    (1.5, 4.5, 1e-12, 2.5511312687255307e-09),
    (1.5, 4.5, 0.01, 0.012043024572278986),
    (1.5, 4.5, 0.3, 0.1395529407022446),
    (1.5, 4.5, 0.5, 0.2211198949227273),
    (1.5, 4.5, 0.7, 0.32112717282609815),
    (1.5, 4.5, 0.99, 0.699757320514569),
    (1.5, 4.5, 0.999999999999, 0.9982554985402251),
    (1.5, 4.5, 0.9999999999999999, 0.9997694230317364),
    (0.1, 1.0, 1e-100, 0.0),
    (0.1, 1.0, 0.001, 1.0000000000000041e-30),
    (0.1, 1.0, 0.5, 0.0009765625000000004),
    (0.1, 1.0, 0.999, 0.9900448802097482),
    (0.1, 1.0, 0.999999999999, 0.9999999999900002),
    (0.5, 0.5, 1e-100, 2.4674011002723397e-200),
    (0.5, 0.5, 0.001, 2.467399070916944e-06),
    (0.5, 0.5, 0.5, 0.5),
    (0.5, 0.5, 0.999, 0.999997532600929),
    (0.5, 0.5, 0.999999999999, 1.0),
    (0.1, 0.5, 1e-100, 0.0),
    (0.1, 0.5, 0.001, 3.464562756074316e-30),
    (0.1, 0.5, 0.5, 0.0033781643037252844),
    (0.1, 0.5, 0.999, 0.9999679475417682),
    (0.1, 0.5, 0.999999999999, 1.0),
    (0.5, 30.0, 1e-100, 2.639900631099521e-202),
    (0.5, 30.0, 0.001, 2.639901978454992e-08),
    (0.5, 30.0, 0.5, 0.007616525601879419),
    (0.5, 30.0, 0.999, 0.16635390218386617),
    (0.5, 30.0, 0.999999999999, 0.5742855998356723),
    (30.0, 200.0, 1e-100, 2.6088845670994794e-05),
    (30.0, 200.0, 0.001, 0.07139649564097143),
    (30.0, 200.0, 0.5, 0.1293630788215511),
    (30.0, 200.0, 0.999, 0.20759222458661603),
    (30.0, 200.0, 0.999999999999, 0.33091193087111426),
    (1000.0, 3.0, 1e-100, 0.7863887384525717),
    (1000.0, 3.0, 0.001, 0.9888450146448717),
    (1000.0, 3.0, 0.5, 0.9973321745805727),
    (1000.0, 3.0, 0.999, 0.9998096750132276),
    (1000.0, 3.0, 0.999999999999, 0.999999818462519),
];

/// The relative error allowed in a beta quantile `x`, as a multiple of what
/// computing it on the log scale costs: `x = exp(ln x)` where `ln x` itself
/// carries a rounding error of about `eps |ln x| / 2`, so tail quantiles such
/// as 1e-300 have a relative accuracy of about 1e-13 at best.
fn log_scale_tolerance(ulps: f64, x: f64) -> f64 {
    ulps * f64::EPSILON * x.ln().abs().max(1.0)
}

/// Against references good to far more digits than `f64` has: within 16
/// times the log-scale rounding for shapes up to 30 (measured: at most 7.5,
/// and 1.6 at the PERT shapes, i.e. about 5e-16 in the body), within 1e-13 for
/// (30, 200) and (1000, 3) (measured: 4e-15), where the continued fraction
/// needs more terms and loses more to rounding.
#[test]
fn beta_quantile_matches_high_precision_references() {
    for (a, b, u, expected) in BETA_QUANTILE_REFERENCES {
        let x = Distribution::beta(a, b).expect("valid").quantile(u);
        if expected == 0.0 {
            // The quantile underflows: (1e-100 B / 10)^10 for beta(0.1, ...).
            assert_eq!(x, 0.0, "beta({a}, {b}) at u = {u:e}");
            continue;
        }
        let tolerance = if a.max(b) <= 30.0 {
            log_scale_tolerance(16.0, expected)
        } else {
            1e-13
        };
        assert!(
            (x - expected).abs() <= tolerance * expected,
            "beta({a}, {b}) at u = {u:e}: {x:e}, expected {expected:e} (relative error {:.1e})",
            (x - expected).abs() / expected
        );
    }
}

/// The beta quantile as computed before the beta module (up to the commit
/// that added it), kept as a reference: safeguarded Newton steps on
/// `ln I_x(p, q)` in `ln x`, on statrs' `checked_beta_reg`. About ten
/// evaluations of `I_x`, each with three `ln_gamma`.
mod previous {
    use shortfall::distributions::rng::standard_normal_quantile;
    use statrs::function::beta::{checked_beta_reg, checked_ln_beta};

    const LN_X_FLOOR: f64 = -746.0;
    const BETA_MAX_STEPS: u32 = 100;

    pub fn beta_quantile(a: f64, b: f64, u: f64) -> f64 {
        if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) || u.is_nan() {
            return f64::NAN;
        }
        if u <= 0.0 {
            return 0.0;
        }
        if u >= 1.0 {
            return 1.0;
        }
        let lower_tail = u <= 0.5;
        let tail = if lower_tail { u } else { 1.0 - u };
        let in_lower_half = if lower_tail {
            u <= regularized_beta(a, b, 0.5)
        } else {
            tail >= regularized_beta(b, a, 0.5)
        };
        if in_lower_half {
            lower_half(a, b, tail, lower_tail)
        } else {
            1.0 - lower_half(b, a, tail, !lower_tail)
        }
    }

    fn regularized_beta(a: f64, b: f64, x: f64) -> f64 {
        checked_beta_reg(a, b, x).unwrap_or(f64::NAN)
    }

    fn lower_half(p: f64, q: f64, target: f64, lower: bool) -> f64 {
        let Ok(ln_b) = checked_ln_beta(p, q) else {
            return f64::NAN;
        };
        let ln_target = target.ln();
        let (mut lo, mut hi) = (LN_X_FLOOR, -std::f64::consts::LN_2);
        let below_target = if lower { target } else { 1.0 - target };
        let mut s = (below_target.ln() + p.ln() + ln_b) / p;
        if p > 1.0 && q > 1.0 {
            let n = p + q;
            let sd = (p * q / (n * n * (n + 1.0))).sqrt();
            let guess = p / n + sd * standard_normal_quantile(below_target);
            if guess > 0.0 && guess < 1.0 {
                s = guess.ln();
            }
        }
        if !(s > lo && s < hi) {
            s = 0.5 * (lo + hi);
        }
        for _ in 0..BETA_MAX_STEPS {
            let v = s.exp();
            let below = regularized_beta(p, q, v);
            let prob = if lower {
                below
            } else if below < 0.75 {
                1.0 - below
            } else {
                regularized_beta(q, p, 1.0 - v)
            };
            if prob.is_nan() {
                return f64::NAN;
            }
            let h = if lower {
                prob.ln() - ln_target
            } else {
                ln_target - prob.ln()
            };
            if h == 0.0 {
                return v;
            }
            if h < 0.0 {
                lo = s;
            } else {
                hi = s;
            }
            let slope = (p * s + (q - 1.0) * (-v).ln_1p() - ln_b - prob.ln()).exp();
            let step = h / slope;
            let tolerance = 4.0 * f64::EPSILON * s.abs().max(1.0);
            if step.is_finite() {
                if step.abs() <= tolerance {
                    return (s - step).exp();
                }
                let next = s - step;
                if next > lo && next < hi {
                    s = next;
                    continue;
                }
            }
            s = 0.5 * (lo + hi);
            if hi - lo <= tolerance {
                return s.exp();
            }
        }
        s.exp()
    }
}

/// The shapes and uniforms on which the beta quantile is compared with the
/// previous algorithm: the PERT range (1 to 5, shapes 1 and 5 being a mode at
/// a bound) and general shapes, each `u` in both tails down to 1e-300.
const SHAPE_GRID: [f64; 9] = [
    1.0,
    1.5,
    2.333_333_333_333_333_5,
    4.0,
    5.0,
    0.1,
    0.5,
    30.0,
    1e3,
];
const U_GRID: [f64; 19] = [
    1e-300,
    1e-100,
    1e-20,
    1e-12,
    1e-6,
    0.001,
    0.01,
    0.1,
    0.3,
    0.5,
    0.7,
    0.9,
    0.99,
    0.999,
    1.0 - 1e-6,
    1.0 - 1e-9,
    1.0 - 1e-12,
    1.0 - 1e-15,
    1.0 - f64::EPSILON / 2.0,
];

/// The new beta quantile against the previous algorithm ([`previous`]).
///
/// For the PERT shapes (both in 1..=5) they agree to 1e-13 plus the
/// log-scale rounding (see [`log_scale_tolerance`]); measured: at most 5.7e-14,
/// at `u = 1e-300`, and 4.8e-14 in the body. Elsewhere the previous algorithm
/// is itself less accurate: against mpmath, statrs' `ln_gamma` (through
/// `checked_beta_reg`) costs it up to about 1e-12 at shapes 0.1 to 30 and
/// 1.5e-11 at 1e3, where the new one stays within 1e-12; so there the
/// tolerance is the previous algorithm's error, 1e-12 (measured difference:
/// 4.8e-13), and 2e-11 at 1e3 (measured: 7.2e-12). Answers below 1e-300,
/// where only subnormal digits are left, are not compared.
#[test]
fn beta_quantile_agrees_with_the_previous_algorithm() {
    for a in SHAPE_GRID {
        for b in SHAPE_GRID {
            let d = Distribution::beta(a, b).expect("valid");
            let pert = (1.0..=5.0).contains(&a) && (1.0..=5.0).contains(&b);
            for u in U_GRID {
                let ours = d.quantile(u);
                let theirs = previous::beta_quantile(a, b, u);
                assert!(
                    (0.0..=1.0).contains(&ours),
                    "beta({a}, {b}) at {u:e}: {ours}"
                );
                if ours.max(theirs) < 1e-300 {
                    continue;
                }
                let relative = (ours - theirs).abs() / ours.max(theirs);
                let tolerance = if pert {
                    1e-13 + log_scale_tolerance(1.0, theirs)
                } else if a.max(b) < 1e3 {
                    1e-12 + log_scale_tolerance(1.0, theirs)
                } else {
                    2e-11
                };
                assert!(
                    relative <= tolerance,
                    "beta({a}, {b}) at u = {u:e}: {ours:e} vs previously {theirs:e} \
                     (relative difference {relative:.1e}, tolerance {tolerance:.1e})"
                );
            }
        }
    }
}

/// `I_x(a, b)` of the returned `x`, by statrs, gives back `u` for the PERT
/// shapes on a fine grid of `u`, to 1e-13 of the smaller tail (measured:
/// 5.7e-14): statrs' own error at these shapes is up to about 5e-14, and
/// `x`'s rounding adds `x f(x) eps / 2` to the probability.
#[test]
fn beta_quantile_round_trips_through_statrs() {
    use statrs::function::beta::checked_beta_reg;
    for a in [1.0, 1.2, 1.5, 2.0, 2.333_333_333_333_333_5, 3.0, 4.4, 5.0] {
        let b = 6.0 - a;
        let d = Distribution::beta(a, b).expect("valid");
        for k in 1..1000 {
            let u = f64::from(k) / 1000.0;
            let x = d.quantile(u);
            // The smaller tail, from the side that keeps its digits.
            let (tail, back) = if u <= 0.5 {
                (u, checked_beta_reg(a, b, x).expect("valid"))
            } else {
                (1.0 - u, checked_beta_reg(b, a, 1.0 - x).expect("valid"))
            };
            assert!(
                (back - tail).abs() <= 1e-13 * tail,
                "beta({a}, {b}) at u = {u}: x = {x}, tail probability {back} vs {tail}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Accessors and edge cases
// ---------------------------------------------------------------------------

#[test]
fn quantile_clamps_u_and_propagates_nan() {
    let n = Distribution::normal(0.0, 1.0).expect("valid");
    assert!(n.quantile(0.0).is_finite() && n.quantile(0.0) < -37.0);
    assert!(n.quantile(1.0).is_finite() && n.quantile(1.0) > 8.0);
    assert_eq!(n.quantile(-3.0), n.quantile(0.0));
    assert_eq!(n.quantile(7.0), n.quantile(1.0));
    assert!(n.quantile(f64::NAN).is_nan());

    let u = Distribution::uniform(1.0, 2.0).expect("valid");
    assert_eq!(u.quantile(0.0), 1.0);
    // 1 + (1 - 2^-53) rounds to 2: the support is closed.
    assert_eq!(u.quantile(1.0), 2.0);
    let clamped = Quantity::new(n.clone(), Some((0.0, 1.0))).expect("valid");
    assert!(clamped.sample(f64::NAN).is_nan());
    let l = Distribution::lognormal(1.0, 3.0).expect("valid");
    assert!(l.quantile(0.0) >= 0.0 && l.quantile(1.0).is_finite());
}

#[test]
fn degenerate_ranges_act_as_fixed() {
    let cases = [
        Distribution::fixed(5.0).expect("valid"),
        Distribution::uniform(5.0, 5.0).expect("valid"),
        Distribution::triangular(5.0, 5.0, 5.0).expect("valid"),
        Distribution::pert(5.0, 5.0, 5.0).expect("valid"),
        Distribution::beta_on(2.0, 3.0, 5.0, 5.0).expect("valid"),
        Distribution::discrete(vec![1.0, 5.0, 9.0], vec![0.0, 2.0, 0.0]).expect("valid"),
        Distribution::discrete(vec![5.0, 5.0], vec![1.0, 1.0]).expect("valid"),
    ];
    for d in &cases {
        assert!(d.is_fixed(), "{d}");
        assert_eq!(d.support(), (5.0, 5.0), "{d}");
        assert_eq!(d.central(), 5.0, "{d}");
        assert_eq!(d.mean(), 5.0, "{d}");
        for u in [0.0, 0.3, 0.999, 1.0] {
            assert_eq!(d.quantile(u), 5.0, "{d} at {u}");
        }
    }
    assert!(!Distribution::uniform(5.0, 6.0).expect("valid").is_fixed());
    assert!(!Distribution::normal(5.0, 1.0).expect("valid").is_fixed());
}

#[test]
fn three_point_estimates_with_the_mode_at_a_bound() {
    let left = Distribution::triangular(0.0, 0.0, 1.0).expect("valid");
    assert!((left.quantile(0.75) - 0.5).abs() < 1e-15); // 1 - sqrt(0.25)
    let right = Distribution::pert(0.0, 1.0, 1.0).expect("valid"); // beta(5, 1)
    assert!((right.quantile(0.5) - 0.5f64.powf(0.2)).abs() < 1e-12);
    assert_eq!(right.central(), 1.0);
}

#[test]
fn central_mean_support_and_name() {
    let cases = [
        (
            Distribution::fixed(2.0).expect("valid"),
            2.0,
            2.0,
            (2.0, 2.0),
            "fixed",
        ),
        (
            Distribution::uniform(1.0, 3.0).expect("valid"),
            2.0,
            2.0,
            (1.0, 3.0),
            "uniform",
        ),
        (
            Distribution::triangular(0.0, 1.0, 5.0).expect("valid"),
            1.0,
            2.0,
            (0.0, 5.0),
            "triangular",
        ),
        (
            Distribution::pert(6.0, 12.0, 24.0).expect("valid"),
            12.0,
            13.0,
            (6.0, 24.0),
            "pert",
        ),
        (
            Distribution::normal(4.0, 1.0).expect("valid"),
            4.0,
            4.0,
            (f64::NEG_INFINITY, f64::INFINITY),
            "normal",
        ),
        (
            Distribution::lognormal(2.0, 0.5).expect("valid"),
            2.0,
            2.0 * f64::exp(0.125),
            (0.0, f64::INFINITY),
            "lognormal",
        ),
        (
            Distribution::beta_on(1.0, 3.0, 10.0, 30.0).expect("valid"),
            15.0,
            15.0,
            (10.0, 30.0),
            "beta",
        ),
        (
            // Highest weight wins, the first on ties.
            Distribution::discrete(vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 3.0, 3.0, 0.0])
                .expect("valid"),
            2.0,
            (1.0 + 6.0 + 9.0) / 7.0,
            (1.0, 3.0),
            "discrete",
        ),
    ];
    for (d, central, mean, support, name) in cases {
        assert_eq!(d.central(), central, "{d}");
        assert!(
            (d.mean() - mean).abs() <= 1e-15 * mean.abs(),
            "{d}: {}",
            d.mean()
        );
        assert_eq!(d.support(), support, "{d}");
        assert_eq!(d.name(), name);
    }
}

#[test]
fn display_forms() {
    let shown = |d: Result<Distribution, DistributionError>| d.expect("valid").to_string();
    assert_eq!(shown(Distribution::fixed(12.0)), "12");
    assert_eq!(shown(Distribution::fixed(0.25)), "0.25");
    assert_eq!(shown(Distribution::uniform(1.0, 2.0)), "uniform(1, 2)");
    assert_eq!(
        shown(Distribution::triangular(1.0, 2.0, 4.0)),
        "triangular(1, 2, 4)"
    );
    assert_eq!(
        shown(Distribution::pert(6.0, 12.0, 24.0)),
        "pert(6, 12, 24)"
    );
    assert_eq!(
        shown(Distribution::normal(1.0, 0.2)),
        "normal(mean 1, sd 0.2)"
    );
    assert_eq!(
        shown(Distribution::lognormal(1.0, 0.5)),
        "lognormal(median 1, sd_log 0.5)"
    );
    assert_eq!(shown(Distribution::beta(2.0, 5.0)), "beta(alpha 2, beta 5)");
    assert_eq!(
        shown(Distribution::beta_on(2.0, 5.0, 10.0, 20.0)),
        "beta(alpha 2, beta 5, on 10..20)"
    );
    assert_eq!(
        shown(Distribution::discrete(vec![1.0, 2.0], vec![3.0, 1.0])),
        "discrete(values [1, 2], weights [3, 1])"
    );
}

// ---------------------------------------------------------------------------
// Quantity
// ---------------------------------------------------------------------------

#[test]
fn quantity_clamps_samples_central_and_support() {
    let pert = Distribution::pert(6.0, 12.0, 24.0).expect("valid");
    let q = Quantity::new(pert.clone(), Some((0.0, 20.0))).expect("valid");
    assert_eq!(q.to_string(), "pert(6, 12, 24) clamped to [0, 20]");
    assert_eq!(q.sample(0.999_999), 20.0);
    assert_eq!(q.sample(0.5), pert.quantile(0.5));
    assert_eq!(q.central(), 12.0);
    assert_eq!(q.support(), (6.0, 20.0));
    assert!(q.is_uncertain());

    let normal = Distribution::normal(0.5, 1.0).expect("valid");
    let share = Quantity::new(normal, Some((0.0, 1.0))).expect("valid");
    assert_eq!(share.support(), (0.0, 1.0));
    assert_eq!(share.sample(1e-9), 0.0);

    // A clamp wholly above the support squeezes it to a point.
    let squeezed = Quantity::new(pert.clone(), Some((30.0, 40.0))).expect("valid");
    assert_eq!(squeezed.support(), (30.0, 30.0));
    assert_eq!(squeezed.central(), 30.0);
    assert!(!squeezed.is_uncertain());

    let plain = Quantity::from(pert);
    assert_eq!(plain.clamp, None);
    assert_eq!(plain.to_string(), "pert(6, 12, 24)");

    let fixed = Quantity::fixed(3.5);
    assert_eq!(fixed, Quantity::from(3.5));
    assert!(!fixed.is_uncertain());
    assert_eq!(fixed.sample(0.123), 3.5);
    assert_eq!(fixed.to_string(), "3.5");
}

#[test]
fn quantity_never_panics_on_hand_built_values() {
    // Public fields allow values the constructors refuse; methods stay total.
    let inverted = Quantity {
        distribution: Distribution::Uniform { min: 3.0, max: 1.0 },
        clamp: Some((5.0, 1.0)),
    };
    let _ = (inverted.sample(0.5), inverted.central(), inverted.support());
    let empty = Distribution::Discrete {
        values: vec![],
        weights: vec![],
    };
    assert!(empty.quantile(0.5).is_nan());
    assert!(empty.central().is_nan());
    let bad_beta = Distribution::Beta {
        alpha: -1.0,
        beta: f64::NAN,
        min: 0.0,
        max: 1.0,
    };
    assert!(bad_beta.quantile(0.5).is_nan());
    let bad_pert = Distribution::Pert {
        min: 0.0,
        mode: 9.0,
        max: 1.0,
    };
    let _ = bad_pert.quantile(0.5);
    assert!(bad_pert.validate().is_err());
}

// ---------------------------------------------------------------------------
// Validation errors
// ---------------------------------------------------------------------------

/// Asserts that `result` is `expected` and that its message mentions each of
/// `numbers`.
fn assert_error<T: std::fmt::Debug>(
    result: Result<T, DistributionError>,
    expected: DistributionError,
    numbers: &[&str],
) {
    let err = result.expect_err("should be refused");
    assert_eq!(err, expected);
    let message = err.to_string();
    for n in numbers {
        assert!(message.contains(n), "{message:?} does not mention {n}");
    }
}

#[test]
fn every_error_comes_from_its_constructor() {
    use DistributionError as E;

    assert_error(
        Distribution::uniform(5.0, 3.0),
        E::MinAboveMax { min: 5.0, max: 3.0 },
        &["5", "3"],
    );
    assert_eq!(
        Distribution::uniform(5.0, 3.0)
            .expect_err("refused")
            .to_string(),
        "min (5) is greater than max (3)"
    );
    assert_error(
        Distribution::beta_on(2.0, 2.0, 9.0, 1.0),
        E::MinAboveMax { min: 9.0, max: 1.0 },
        &["9", "1"],
    );
    assert_error(
        Distribution::triangular(1.0, 12.0, 10.0),
        E::ModeOutsideRange {
            mode: 12.0,
            min: 1.0,
            max: 10.0,
        },
        &["mode (12) lies outside min..max (1..10)"],
    );
    assert_error(
        Distribution::pert(1.0, 0.5, 10.0),
        E::ModeOutsideRange {
            mode: 0.5,
            min: 1.0,
            max: 10.0,
        },
        &["0.5", "1..10"],
    );
    assert_error(
        Distribution::normal(1.0, -1.0),
        E::NonPositiveSd { sd: -1.0 },
        &["sd must be positive, found -1"],
    );
    assert_error(
        Distribution::normal(1.0, 0.0),
        E::NonPositiveSd { sd: 0.0 },
        &["found 0"],
    );
    assert_error(
        Distribution::lognormal(-2.0, 0.5),
        E::NonPositiveMedian { median: -2.0 },
        &["median must be positive", "-2"],
    );
    assert_error(
        Distribution::lognormal(2.0, 0.0),
        E::NonPositiveSdLog { sd_log: 0.0 },
        &["sd_log must be positive", "0"],
    );
    assert_error(
        Distribution::beta(0.0, 2.0),
        E::NonPositiveShape {
            alpha: 0.0,
            beta: 2.0,
        },
        &["alpha and beta must be positive", "0", "2"],
    );
    assert_error(
        Distribution::beta_on(1.5, -3.0, 0.0, 10.0),
        E::NonPositiveShape {
            alpha: 1.5,
            beta: -3.0,
        },
        &["1.5", "-3"],
    );
    assert_error(
        Distribution::beta(2.0, 2e5),
        E::ShapeTooLarge {
            alpha: 2.0,
            beta: 2e5,
        },
        &["10000", "200000"],
    );
    assert_error(
        Distribution::discrete(vec![1.0, 2.0], vec![1.0, 1.0, 1.0]),
        E::WeightCountMismatch {
            values: 2,
            weights: 3,
        },
        &["weights (3) do not match values (2)"],
    );
    assert_error(
        Distribution::discrete(vec![1.0, 2.0], vec![1.0, -0.5]),
        E::NegativeWeight {
            index: 1,
            weight: -0.5,
        },
        &["non-negative", "-0.5"],
    );
    assert_error(
        Distribution::discrete(vec![1.0, 2.0], vec![0.0, 0.0]),
        E::BadWeightSum { sum: 0.0 },
        &["sum", "0"],
    );
    assert_error(
        Distribution::discrete(vec![1.0, 2.0], vec![f64::MAX, f64::MAX]),
        E::BadWeightSum { sum: f64::INFINITY },
        &["inf"],
    );
    assert_error(
        Distribution::discrete(vec![], vec![]),
        E::EmptyDiscrete,
        &["discrete needs at least one value"],
    );
    assert_error(
        Distribution::uniform(0.0, f64::INFINITY),
        E::NotFinite {
            parameter: "max".into(),
            value: f64::INFINITY,
        },
        &["parameter `max` is not a finite number (inf)"],
    );
    // NaN never compares equal, so match instead of assert_eq.
    let nan = Distribution::fixed(f64::NAN).expect_err("refused");
    assert!(
        matches!(&nan, E::NotFinite { parameter, value } if parameter == "value" && value.is_nan()),
        "{nan:?}"
    );
    assert_eq!(
        nan.to_string(),
        "parameter `value` is not a finite number (NaN)"
    );
    assert_error(
        Distribution::discrete(vec![1.0, f64::NEG_INFINITY], vec![1.0, 1.0]),
        E::NotFinite {
            parameter: "values[1]".into(),
            value: f64::NEG_INFINITY,
        },
        &["values[1]", "-inf"],
    );
    assert_error(
        Quantity::new(Distribution::fixed(1.0).expect("valid"), Some((5.0, 1.0))),
        E::ClampInverted { lo: 5.0, hi: 1.0 },
        &["clamp lower bound (5) is above upper bound (1)"],
    );
    assert_error(
        Quantity::new(
            Distribution::fixed(1.0).expect("valid"),
            Some((0.0, f64::INFINITY)),
        ),
        E::NotFinite {
            parameter: "clamp[1]".into(),
            value: f64::INFINITY,
        },
        &["clamp[1]", "inf"],
    );
    // Quantity::new validates its distribution too.
    assert_error(
        Quantity::new(
            Distribution::Normal {
                mean: 0.0,
                sd: -2.0,
            },
            None,
        ),
        E::NonPositiveSd { sd: -2.0 },
        &["-2"],
    );
}

#[test]
fn numbers_in_messages_are_written_as_a_person_would() {
    let uniform = Distribution::Uniform {
        min: 0.25,
        max: 12_000.0,
    };
    assert_eq!(uniform.to_string(), "uniform(0.25, 12000)");
    assert_eq!(Distribution::Fixed(1e-300).to_string(), "1e-300");
    assert_eq!(Distribution::Fixed(-3e20).to_string(), "-3e20");
    assert_eq!(Distribution::Fixed(0.0).to_string(), "0");
}
