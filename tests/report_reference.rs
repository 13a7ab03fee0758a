//! The run's report against statistics recomputed from its trials' month rows.
//!
//! `tests/reference/report_check.py` runs a scenario, replays every one of its
//! trials with `shortfall replay --csv` (trial K of the replay is trial K of the
//! run), and recomputes from the month rows alone, with nothing but the Python
//! standard library, every figure MODEL.md section 6 and docs/MODEL_NOTES.md
//! ("6. Reports") define for each reported pair: the shortfall probability,
//! mean, type-7 quantiles, CVaR95 and standard error of cumulative unserved
//! tonnes, the shares of demand, the unclipped loss, months short, the worst
//! month, recovery (censored trials, median with censored ones as +infinity),
//! the price peaks, choke share and monthly fan (to the 1% log histograms'
//! resolution, exact at the choke), and the Spearman sensitivities.
//!
//! Why: `tests/reference/` checks the month rows against an independent
//! reading of the model, and `tests/statistics.rs` checks the estimators on
//! made-up data; this closes the gap between them, checking that what a run
//! reports is what the definitions give on the trials it actually simulated
//! (the right trials, pairs, months and thresholds, every figure wired to the
//! right field). Exact figures must agree to 1e-9 relative. Two real scenarios,
//! 60 trials each, keep it to a few seconds in a debug build.

mod common;

use common::assert_python_check;

fn check(scenario: &str) {
    let path = format!("scenarios/{scenario}");
    // Shown with --nocapture: the largest difference of every figure.
    assert_python_check(
        "report_check.py",
        &[&path, "--trials", "60"],
        "figures agree",
    );
}

#[test]
fn the_export_ban_report_is_what_its_trials_give() {
    check("export_ban.toml");
}

#[test]
fn the_china_licensing_report_is_what_its_trials_give() {
    check("china_licensing_2025.toml");
}
