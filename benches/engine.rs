//! Criterion benchmarks of the engine (issue 5). Each reports throughput in
//! trial-months per second (`Throughput::Elements` counts trial-months):
//!
//! * `month/*`: one month of one trial in mid-run: the baseline scenario (the
//!   default world without shocks) at month 30, and export_ban at month 6,
//!   while China's ban holds. Every iteration runs the same month from a
//!   snapshot of the state.
//! * `export_ban_10k/*`: a whole `shortfall run scenarios/export_ban.toml`
//!   of 10,000 trials x 36 months (statistics included, no report), on 2
//!   threads and, for the scaling, on 1.
//! * `trade/*`: the trade allocation alone: the six trades (one per product)
//!   of export_ban's month 6 in trial 0, replayed from their captured inputs.
//!   Importers of magnets, Dy/Tb and yttrium are short, so routing runs its
//!   iterations out. One iteration is the trade of one trial-month.
//!
//! `cargo bench --bench engine` runs them all in about three minutes;
//! `cargo bench --bench engine -- month` runs one group. On a machine shared
//! with other work, `cargo bench --bench probe` gives steadier figures.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use shortfall::engine::bench::{Month, TradeCase};
use shortfall::engine::{self, RunOptions};
use shortfall::Scenario;

fn scenario(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    Scenario::from_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn month(c: &mut Criterion) {
    let mut group = c.benchmark_group("month");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    for (name, month) in [("baseline", 30), ("export_ban", 6)] {
        let state = Month::new(&scenario(name), 0, month);
        group.bench_function(name, |b| {
            // A fresh copy of the state per iteration, made outside the timing.
            b.iter_batched_ref(
                || state.clone(),
                |m| black_box(m.run()),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn run(c: &mut Criterion) {
    let s = scenario("export_ban");
    let trials = 10_000;
    let mut group = c.benchmark_group("export_ban_10k");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(
        u64::from(trials) * u64::from(s.horizon_months),
    ));
    for threads in [2, 1] {
        // About 4 s a run on 2 threads, 7 s on 1 (see the README).
        group.measurement_time(Duration::from_secs(if threads == 1 { 75 } else { 40 }));
        let options = RunOptions {
            trials: Some(trials),
            threads: Some(threads),
            ..RunOptions::default()
        };
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| black_box(engine::run(&s, &options).statistics.trials()))
        });
    }
    group.finish();
}

fn trade(c: &mut Criterion) {
    let mut case = TradeCase::capture(&scenario("export_ban"), 0, 6);
    assert_eq!(case.trades(), 6, "one trade per product");
    let mut group = c.benchmark_group("trade");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("export_ban_month_6", |b| b.iter(|| black_box(case.run())));
    group.finish();
}

criterion_group!(benches, month, run, trade);
criterion_main!(benches);
