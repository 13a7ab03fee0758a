//! Criterion benchmarks of single draws by inversion, reporting draws per
//! second (`Throughput::Elements` counts quantile calls):
//!
//! * `pert/*`: `Distribution::pert(min, mode, max).quantile(u)` for a skewed
//!   PERT (shapes 2.33, 3.67), a symmetric one (3, 3) and one with the mode at
//!   a bound (1, 5): the beta quantile at the shapes a scenario's three-point
//!   estimates produce, which dominate the cost of drawing a trial's
//!   parameters;
//! * `beta/*`: the general beta at shapes outside PERT's `[1, 5]`;
//! * `normal`: the normal quantile, for scale.
//!
//! Every iteration runs over the same [`uniforms`]: a stratified set of
//! uniforms through `(0, 1)` plus both tails, so a figure is an average over
//! where draws actually fall, with a few extreme ones mixed in.
//!
//! `cargo bench --bench draws`; `cargo bench --bench draws -- pert` for one
//! group.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shortfall::distributions::{Distribution, DistributionError};

/// The uniforms of one iteration: 62 midpoints `(k + 1/2) / 62` and two in
/// each tail.
fn uniforms() -> Vec<f64> {
    let n = 62;
    let mut us: Vec<f64> = (0..n).map(|k| (k as f64 + 0.5) / n as f64).collect();
    us.extend([1e-12, 1e-4, 1.0 - 1e-4, 1.0 - 1e-12]);
    us
}

/// Times `d.quantile(u)` over [`uniforms`], one element per draw, for each
/// named distribution (built by its validating constructor).
fn bench_quantiles(
    c: &mut Criterion,
    group: &str,
    cases: &[(&str, Result<Distribution, DistributionError>)],
) {
    let us = uniforms();
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(us.len() as u64));
    group.measurement_time(Duration::from_secs(3));
    for (name, d) in cases {
        let d = d.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut total = 0.0;
                for &u in &us {
                    total += d.quantile(black_box(u));
                }
                black_box(total)
            });
        });
    }
    group.finish();
}

fn pert(c: &mut Criterion) {
    let cases = [
        ("skewed_6_12_24", Distribution::pert(6.0, 12.0, 24.0)),
        ("symmetric_0_1_2", Distribution::pert(0.0, 1.0, 2.0)),
        ("mode_at_min_0_0_1", Distribution::pert(0.0, 0.0, 1.0)),
    ];
    bench_quantiles(c, "pert", &cases);
}

fn beta(c: &mut Criterion) {
    let cases = [
        ("0.5_0.5", Distribution::beta(0.5, 0.5)),
        ("0.1_3", Distribution::beta(0.1, 3.0)),
        ("30_200", Distribution::beta(30.0, 200.0)),
    ];
    bench_quantiles(c, "beta", &cases);
}

fn normal(c: &mut Criterion) {
    bench_quantiles(c, "normal", &[("standard", Distribution::normal(0.0, 1.0))]);
}

criterion_group!(benches, pert, beta, normal);
criterion_main!(benches);
