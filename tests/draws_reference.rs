//! The sampler against the distributions the contract names, checked from outside.
//!
//! `tests/reference/draws_check.py` replays trials 0..N-1 of
//! `tests/reference/draws.toml` with `shortfall replay`, reads each trial's
//! sampled parameters and which shocks happen, and tests them with nothing but
//! the Python standard library and its own CDFs (the regularized incomplete
//! beta by a continued fraction, the normal by `erfc`) against MODEL.md
//! sections 3 to 5 and docs/MODEL_NOTES.md: a Kolmogorov-Smirnov test of every
//! continuous draw (uniform, triangular, beta-PERT of shape 4, normal with a
//! clamp's point masses, lognormal, beta on 0..1 and on min..max; the
//! 4-decimal printing allowed for), chi-square tests of a discrete draw with
//! unequal weights and of month counts rounded from a PERT and from a clamped
//! normal, the Spearman rank correlations of the `[[correlation]]` pairs
//! (0.7 and -0.5, sharing a parameter) and near zero for every other pair, a
//! shock's probability of 0.3, and a group of two shocks that happen together.
//! Thresholds: KS and chi-square at alpha = 1e-4, 4 standard errors elsewhere.
//!
//! Why: `tests/distributions.rs` and `tests/correlation.rs` check the sampler
//! from the inside; this reads only the contract and what the binary prints,
//! so a wrong shape, a swapped parameter, a clamp applied in the wrong place,
//! a copula target taken as Pearson, or a group drawn per member would show.
//! The seed is fixed, so the outcome is deterministic; a correct sampler passes
//! these thresholds with overwhelming probability for any seed.

mod common;

use common::assert_python_check;

/// Trials replayed: about 4 s in a debug build (two replays at a time), with
/// room for slower machines; the KS critical value at 2000 is 0.050.
const TRIALS: &str = "2000";

#[test]
fn the_sampled_parameters_follow_their_distributions() {
    // Shown with --nocapture: one line per check, statistic and threshold.
    let Some(text) = assert_python_check(
        "draws_check.py",
        &["tests/reference/draws.toml", "--trials", TRIALS],
        "checks pass",
    ) else {
        return;
    };
    assert!(!text.contains("FAIL"), "every check passed:\n{text}");
}
