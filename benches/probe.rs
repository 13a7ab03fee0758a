//! Quick, noise-resistant timings for a shared machine: each case runs in
//! short batches and reports the fastest batch, which is the one least
//! disturbed by other processes. `cargo bench --bench probe [CASE...]`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use shortfall::engine::bench::{Month, TradeCase, Trials};
use shortfall::Scenario;

fn scenario(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    Scenario::from_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fastest of `batches` batches of `per_batch` calls, per call.
fn fastest(batches: usize, per_batch: usize, mut f: impl FnMut()) -> Duration {
    (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            start.elapsed() / per_batch as u32
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    if wanted("trade") {
        let mut case = TradeCase::capture(&scenario("export_ban"), 0, 6);
        let t = fastest(300, 50, || {
            black_box(case.run());
        });
        println!(
            "trade/export_ban_month_6: {:.2} us per trial-month",
            t.as_secs_f64() * 1e6
        );
    }
    for name in ["baseline", "export_ban"] {
        if !wanted(&format!("trials/{name}")) {
            continue;
        }
        let mut trials = Trials::new(&scenario(name));
        let months = trials.months();
        // The same eight trials in every batch.
        let t = fastest(30, 1, || {
            for trial in 0..8 {
                black_box(trials.run(trial));
            }
        });
        println!(
            "trials/{name}: {:.2} us per trial-month",
            t.as_secs_f64() * 1e6 / f64::from(8 * months)
        );
    }
    for (name, month) in [("baseline", 30), ("export_ban", 6)] {
        if !wanted(&format!("month/{name}")) {
            continue;
        }
        let state = Month::new(&scenario(name), 0, month);
        let mut copies: Vec<Month> = Vec::new();
        let t = (0..300)
            .map(|_| {
                copies.clear();
                copies.extend((0..20).map(|_| state.clone()));
                let start = Instant::now();
                for m in &mut copies {
                    black_box(m.run());
                }
                start.elapsed() / 20
            })
            .min()
            .unwrap_or_default();
        println!(
            "month/{name}: {:.2} us per trial-month",
            t.as_secs_f64() * 1e6
        );
    }
}
