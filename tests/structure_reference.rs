//! The report's concentration, split-market gap and idle inputs against an
//! independent reading of the model.
//!
//! `tests/reference/structure_check.py` runs `tests/reference/reference.py`'s
//! simulation (MODEL.md sections 1, 2 and 4 in plain Python, written without
//! reading the engine) under a subclass that records each plant's throughput,
//! each link's shipments and each country's pool and paid prices, and
//! recomputes from that state the report figures that `replay` rows cannot
//! give: each stage's, process's and product's shares and HHI in month 0 and
//! the last month (shares within 0.001, the HHI within a point), the
//! split-market gap of every exporter under a ban, licence or quota (1e-6
//! relative), and each reported pair's idle input tonnes (1e-6 relative). It
//! compares them with `shortfall run SCENARIO --trials 1 --json` on
//! deterministic scenarios, where one trial is the whole distribution.
//!
//! Why: `tests/reference.rs` checks the month rows of reported pairs and
//! `tests/report_reference.rs` the per-pair figures recomputed from them; the
//! structure of the market (who runs what, who ships to whom, what each
//! country pays) reaches the report only through these figures, which neither
//! checks. The second test shows that the comparison has power: each of 19
//! plausible misreadings (stage shares by output tonnes, shares from capacity,
//! the wrong month, gap weights from the current month, the pool price for the
//! paid one, the ratio inverted, ...) computed on purpose on the Python side
//! must make some figure disagree. Both run in a few seconds.

mod common;

use common::assert_python_check;

const SCENARIOS: [&str; 2] = [
    "tests/reference/scenarios",
    "tests/reference/scenarios_structure",
];

/// Shown with --nocapture: every figure compared, or the power table.
fn run(extra: &[&str], summary: &str) -> Option<String> {
    let mut args: Vec<&str> = SCENARIOS.to_vec();
    args.extend_from_slice(extra);
    assert_python_check("structure_check.py", &args, summary)
}

#[test]
fn concentration_split_market_gap_and_idle_inputs_agree_with_the_reference() {
    run(&[], "figures agree");
}

#[test]
fn every_misreading_of_those_figures_is_detected() {
    let Some(text) = run(&["--quiet", "--power"], "misreadings detected") else {
        return;
    };
    assert!(
        !text.contains("NOT DETECTED"),
        "a misreading went undetected:\n{text}"
    );
}
