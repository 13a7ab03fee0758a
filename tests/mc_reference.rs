//! Whole random runs against an independent Monte Carlo reading of the model.
//!
//! `tests/reference/mc_check.py` runs a scenario with `shortfall run
//! --partial` and `shortfall merge --json` and, beside it, as many trials of
//! its own, built on the deterministic month
//! logic of `tests/reference/reference.py` with its own random numbers
//! (Python's `random`, not the engine's Philox streams): every distribution of
//! the world and the scenario sampled once per trial (month counts rounded,
//! rank correlations through a Gaussian copula), shock probabilities and
//! groups, random outages (starts at `1 - exp(-rate/12)` a month, never while
//! one runs, lengths drawn per event and rounded, cut at the window's end) and
//! the demand noise (one z per product and month shared by all countries,
//! `exp(sigma z - sigma^2/2)`). It then compares every reported pair's
//! figures that carry Monte Carlo error: means by z-tests (the engine's own
//! standard error for cumulative unserved tonnes, else the reference's sample
//! SD for both sides), proportions by two-proportion z-tests, the SD of
//! cumulative unserved tonnes, and quantiles (unserved tonnes, peak price,
//! price fan) distribution-free, by the reference's empirical CDF at the
//! engine's quantile (widened by the engine's 1% histogram bins). Also CVaR95
//! (a z-test with each side's standard error of the tail mean from its own
//! trials, the engine's read from its partial file), the recovery median
//! (distribution-free over the short trials, censored ones and a null median
//! infinite), and, recomputed per trial from the reference's state by
//! `structure_check.py`, the split-market gap quantiles and every stage's,
//! process's and product's median shares and median HHI (distribution-free,
//! widened by the engine's 1% log bins, 0.001 and one point). Every figure
//! must lie within 4 standard errors.
//!
//! Why: `tests/reference.rs` checks one deterministic trial month by month and
//! cannot see anything random; this checks the random parts as a second
//! implementation of MODEL.md would see them, statistically. Written without
//! reading the engine; each scenario detects deliberate misreadings on the
//! Python side (`mc_check.py --misread NAME`, listed with their z-scores in
//! tests/reference/README.md). Five scenarios of 14-15 months at 300 trials
//! each keep it to about 24 s on two otherwise idle cores; the Python side
//! dominates.

mod common;

use common::assert_python_check;

/// Trials on each side, and the seed of both (the engine's and the reference's
/// own generator): fixed, so that the test is repeatable.
const TRIALS: &str = "300";
const SEED: &str = "7";

fn check(scenario: &str) {
    let path = format!("tests/reference/scenarios_mc/{scenario}");
    // Shown with --nocapture: the figures that disagree and the largest |z|.
    assert_python_check(
        "mc_check.py",
        &[&path, "--trials", TRIALS, "--seed", SEED, "--quiet-ok"],
        "figures agree",
    );
}

#[test]
fn demand_noise_and_a_ban_with_probability_one_half_agree() {
    check("noise_ban.toml");
}

#[test]
fn random_outages_agree() {
    check("outages.toml");
}

#[test]
fn sampled_world_and_shock_parameters_groups_and_ramps_agree() {
    check("params.toml");
}

#[test]
fn a_rank_correlation_agrees() {
    check("correlation.toml");
}

#[test]
fn tails_recoveries_split_market_gaps_and_concentration_agree() {
    check("structure.toml");
}
