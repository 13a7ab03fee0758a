//! Arbitrary bytes through world and scenario parsing, validation and a tiny
//! run (see `shortfall::fuzzing`). Any panic, hang or NaN in what the engine
//! reports is a finding; keep the input in `tests/fuzz_regressions/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shortfall::fuzzing::run_case(data));
