//! The engine against an independent implementation of MODEL.md.
//!
//! `tests/reference/reference.py` is a plain Python reading of MODEL.md
//! sections 1, 2 and 4 (and docs/MODEL_NOTES.md where MODEL.md is silent),
//! written link by link from the text without looking at the engine. On 25
//! deterministic one-trial scenarios over two small test worlds (every rule
//! of the month at least once: routing and passes, bans, licences, quotas,
//! tariffs, ramps, capacity, outages, demand and growth shocks, stockpiles,
//! `set` on every kind of field, price pools, premiums, clamps, reserves),
//! both write every month of every country and product, and every figure must
//! agree to 1e-6 (tonnes below 1e-9 of the product's world output count as
//! agreeing). See `tests/reference/README.md`.

mod common;

use common::assert_python_check;

#[test]
fn the_engine_agrees_with_the_independent_reference_on_every_rule() {
    assert_python_check("compare.py", &[], "25 of 25 scenarios agree");
}
