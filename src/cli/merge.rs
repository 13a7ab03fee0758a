//! `shortfall merge`: the partial results of a sharded run, merged into the
//! run's report.
//!
//! Everything that can refuse (a damaged file, partials of different runs, a
//! shard given twice or missing) is checked before anything is written.

use std::path::PathBuf;

use super::run::{write_outputs, Outputs};
use crate::engine::BATCH_SIZE;
use crate::report::partial::merge_files;
use crate::report::{Manifest, Report};

pub(super) fn run(partials: &[PathBuf], outputs: &Outputs) -> Result<(), String> {
    let merged = merge_files(partials).map_err(|e| e.to_string())?;
    let report = Report::new(
        &merged.scenario,
        &merged.statistics,
        Manifest::new(merged.threads, BATCH_SIZE),
    );
    if !outputs.quiet {
        eprintln!(
            "merged {} shards: {} trials of {}",
            merged.shards,
            merged.statistics.trials(),
            merged.scenario.name
        );
    }
    write_outputs(&report, outputs)
}
