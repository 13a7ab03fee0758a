//! Run statistics: the helpers against hand-computed values, merging against
//! sequential adding, and the histograms against exact sample quantiles.

use shortfall::report::{Manifest, Report};
use shortfall::statistics::{
    cvar, quantile, share_rows, spearman, EntryRecord, Histogram, RunStatistics, TrialRecord,
    SENSITIVITY_TRIALS,
};
use shortfall::Scenario;

/// SplitMix64: a small deterministic generator for synthetic records.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn export_ban() -> Scenario {
    Scenario::from_path("scenarios/export_ban.toml").expect("the shipped scenario is valid")
}

/// A plausible, fully shaped record for `trial`, a pure function of it.
fn synthetic_record(scenario: &Scenario, trial: u32) -> TrialRecord {
    let mut rng = Rng::new(0xDEC0_DE00 ^ (u64::from(trial) << 20));
    let horizon = scenario.horizon_months as usize;
    let uncertain_values: Vec<f64> = scenario
        .uncertain_parameters()
        .map(|_| 6.0 + 18.0 * rng.uniform())
        .collect();
    let entries: Vec<EntryRecord> = scenario
        .report
        .iter()
        .map(|_| {
            let normal_demand_t = 1000.0 + 5000.0 * rng.uniform();
            let short = rng.uniform() < 0.6;
            let unserved_t = if short {
                normal_demand_t * 0.4 * rng.uniform()
            } else {
                0.0
            };
            let served_t = normal_demand_t - unserved_t - 50.0 * rng.uniform();
            let price_path: Vec<f64> = (0..horizon).map(|_| (0.4 * rng.normal()).exp()).collect();
            let peak_price = price_path.iter().copied().fold(0.0, f64::max);
            let recovery_months =
                (short && rng.uniform() < 0.7).then(|| (12.0 * rng.uniform()) as u32);
            EntryRecord {
                unserved_t,
                demand_t: normal_demand_t * 0.9,
                normal_demand_t,
                served_t,
                months_short: if short {
                    1 + (10.0 * rng.uniform()) as u32
                } else {
                    0
                },
                worst_month_t: unserved_t / 3.0,
                worst_month: 0,
                recovery_months,
                recovered: recovery_months.is_some(),
                idle_input_t: 10.0 * rng.uniform(),
                price_path,
                peak_price,
                reached_choke: rng.uniform() < 0.05,
            }
        })
        .collect();
    let countries = scenario.world.countries.len();
    let shares = |rng: &mut Rng| -> Vec<Vec<f64>> {
        share_rows(&scenario.world)
            .iter()
            .map(|_| {
                // Three producers with random weights, everyone else nothing.
                let mut row = vec![0.0; countries];
                let weights = [5.0 + rng.uniform(), 1.0 + rng.uniform(), rng.uniform()];
                let total: f64 = weights.iter().sum();
                for (cell, w) in row.iter_mut().zip(weights) {
                    *cell = w / total;
                }
                row
            })
            .collect()
    };
    let shares_first = shares(&mut rng);
    let shares_last = shares(&mut rng);
    let split_gaps = scenario
        .restricted_pairs()
        .iter()
        .map(|_| (0.5 * rng.normal().abs()).exp())
        .collect();
    TrialRecord {
        trial,
        focus: entries[0].unserved_t,
        entries,
        uncertain_values,
        split_gaps,
        shares_first,
        shares_last,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn quantile_matches_type_7_by_hand() {
    let x = [1.0, 2.0, 3.0, 4.0];
    // h = (n - 1) q; x[floor h] + frac * (next - x[floor h]).
    assert!(close(quantile(&x, 0.0), 1.0));
    assert!(close(quantile(&x, 0.25), 1.75));
    assert!(close(quantile(&x, 0.5), 2.5));
    assert!(close(quantile(&x, 0.9), 3.7));
    assert!(close(quantile(&x, 1.0), 4.0));
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert!(close(quantile(&ten, 0.95), 9.55));
    assert!(close(quantile(&ten, 0.05), 1.45));
    let uneven = [0.0, 10.0, 11.0, 100.0, 1000.0];
    // h = 4 * 0.3 = 1.2: 10 + 0.2 * 1.
    assert!(close(quantile(&uneven, 0.3), 10.2));
    // h = 4 * 0.8 = 3.2: 100 + 0.2 * 900.
    assert!(close(quantile(&uneven, 0.8), 280.0));
}

#[test]
fn quantile_edge_cases() {
    assert_eq!(quantile(&[7.0], 0.3), 7.0);
    assert!(quantile(&[], 0.5).is_nan());
    // q is clamped.
    assert_eq!(quantile(&[1.0, 2.0], -1.0), 1.0);
    assert_eq!(quantile(&[1.0, 2.0], 2.0), 2.0);
}

#[test]
fn cvar_of_known_arrays() {
    let x: Vec<f64> = (1..=10).map(f64::from).collect();
    // The worst 10% of 10 values is the largest one.
    assert!(close(cvar(&x, 0.9), 10.0));
    // The worst half: 6..=10, mean 8.
    assert!(close(cvar(&x, 0.5), 8.0));
    // Everything: mean 5.5.
    assert!(close(cvar(&x, 0.0), 5.5));
    // 2.5 values: 10 and 9 in full, half of 8: (10 + 9 + 4) / 2.5.
    assert!(close(cvar(&x, 0.75), 9.2));
    // Fewer than one value's worth: the largest.
    assert!(close(cvar(&x, 0.95), 10.0));
    assert!(close(cvar(&x, 1.0), 10.0));
    // Ties at the threshold do not drag the tail: the worst 5 of these are
    // 9, 5, 5, 5, 5.
    let tied = [0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0];
    assert!(close(cvar(&tied, 0.5), 29.0 / 5.0));
    // Zero-inflated, as shortfalls are: the 95% quantile is 0, yet the worst
    // 5 of 100 trials average (3000 + 2000 + 1000) / 5.
    let mut shortfalls = vec![0.0; 97];
    shortfalls.extend([1000.0, 2000.0, 3000.0]);
    assert_eq!(quantile(&shortfalls, 0.95), 0.0);
    assert!(close(cvar(&shortfalls, 0.95), 1200.0));
    assert!(cvar(&[], 0.95).is_nan());
}

#[test]
fn spearman_on_known_pairs() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let cubes: Vec<f64> = x.iter().map(|v: &f64| v.powi(3)).collect();
    assert!(close(spearman(&x, &cubes), 1.0));
    let reversed: Vec<f64> = x.iter().map(|v| -v.exp()).collect();
    assert!(close(spearman(&x, &reversed), -1.0));
    // Ties: x ranks (1, 2.5, 2.5, 4), y ranks (1, 3, 2, 4); deviations from
    // 2.5 give sxy = 4.5, sxx = 4.5, syy = 5, so rho = 4.5 / sqrt(22.5).
    let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
    assert!(close(rho, 3.0 / 10f64.sqrt()), "{rho}");
    assert_eq!(spearman(&x, &[2.0; 5]), 0.0);
    assert_eq!(spearman(&[2.0; 5], &x), 0.0);
    assert_eq!(spearman(&[1.0], &[1.0]), 0.0);
}

#[test]
fn merging_batches_in_order_equals_adding_sequentially() {
    let scenario = export_ban();
    let records: Vec<TrialRecord> = (0..103).map(|t| synthetic_record(&scenario, t)).collect();
    let mut sequential = RunStatistics::new(&scenario);
    for r in &records {
        sequential.add(r);
    }
    assert_eq!(
        sequential.mismatched_records(),
        0,
        "synthetic records are fully shaped"
    );
    let manifest = || Manifest::new(2, 10);
    let expected = Report::new(&scenario, &sequential, manifest());

    for batch in [1, 7, 10, 64, 103] {
        let mut merged = RunStatistics::new(&scenario);
        for chunk in records.chunks(batch) {
            let mut part = RunStatistics::new(&scenario);
            for r in chunk {
                part.add(r);
            }
            merged.merge(part);
        }
        assert_eq!(merged.trials(), 103);
        assert_eq!(
            merged.entry_summaries(),
            sequential.entry_summaries(),
            "batch {batch}"
        );
        assert_eq!(merged.focus_outcomes(), sequential.focus_outcomes());
        let report = Report::new(&scenario, &merged, manifest());
        assert!(report == expected, "batch {batch}: reports differ");
        // `==` on f64 treats 0.0 and -0.0 alike; check the bits of a sum too.
        let (a, b) = (&report.results[3].shortfall, &expected.results[3].shortfall);
        assert_eq!(a.mean_loss_tonnes.to_bits(), b.mean_loss_tonnes.to_bits());
        assert_eq!(
            a.mean_share_of_demand.to_bits(),
            b.mean_share_of_demand.to_bits()
        );
    }
}

#[test]
fn summaries_match_direct_computation() {
    let scenario = export_ban();
    let records: Vec<TrialRecord> = (0..500).map(|t| synthetic_record(&scenario, t)).collect();
    let mut stats = RunStatistics::new(&scenario);
    for r in &records {
        stats.add(r);
    }
    let entry = 2;
    let s = stats.entry_summary(entry).expect("entry 2 exists");
    let e: Vec<&EntryRecord> = records.iter().map(|r| &r.entries[entry]).collect();
    let n = e.len() as f64;

    let short = e.iter().filter(|r| r.months_short > 0).count();
    assert_eq!(s.short_trials as usize, short);
    assert!(close(s.probability_short, short as f64 / n));

    let mut unserved: Vec<f64> = e.iter().map(|r| r.unserved_t).collect();
    let mean = unserved.iter().sum::<f64>() / n;
    assert!((s.unserved_mean_t - mean).abs() <= 1e-9 * mean);
    let sd = (unserved.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((s.unserved_stderr_t - sd / n.sqrt()).abs() <= 1e-9 * sd);
    unserved.sort_by(f64::total_cmp);
    assert_eq!(s.unserved_t.p50, quantile(&unserved, 0.5));
    assert_eq!(s.unserved_t.p95, quantile(&unserved, 0.95));
    assert_eq!(s.unserved_cvar95_t, cvar(&unserved, 0.95));

    // The loss is not clipped, and shares are means of per-trial shares.
    let loss = e
        .iter()
        .map(|r| r.normal_demand_t - r.served_t)
        .sum::<f64>()
        / n;
    let normal = e.iter().map(|r| r.normal_demand_t).sum::<f64>() / n;
    let served = e.iter().map(|r| r.served_t).sum::<f64>() / n;
    assert!((s.loss_mean_t - loss).abs() <= 1e-9 * normal);
    assert!((s.loss_mean_t - (s.normal_demand_mean_t - s.served_mean_t)).abs() <= 1e-9 * normal);
    assert!((s.served_mean_t - served).abs() <= 1e-9 * served);
    let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    let loss_share = e
        .iter()
        .map(|r| share(r.normal_demand_t - r.served_t, r.normal_demand_t))
        .sum::<f64>()
        / n;
    assert!((s.loss_share - loss_share).abs() <= 1e-12);
    let unserved_share = e
        .iter()
        .map(|r| share(r.unserved_t, r.demand_t))
        .sum::<f64>()
        / n;
    assert!((s.unserved_share_mean - unserved_share).abs() <= 1e-12);

    let mut recovered: Vec<f64> = e
        .iter()
        .filter_map(|r| r.recovery_months)
        .map(f64::from)
        .collect();
    recovered.sort_by(f64::total_cmp);
    assert_eq!(s.recovered_trials as usize, recovered.len());
    let censored = e
        .iter()
        .filter(|r| r.months_short > 0 && r.recovery_months.is_none())
        .count();
    assert_eq!(s.censored_trials as usize, censored);
    // The median over all short trials, the censored ones longest: defined
    // while fewer than half are censored.
    let mut all = recovered.clone();
    all.extend(std::iter::repeat_n(f64::INFINITY, censored));
    let half = all.len() / 2;
    let median = match all.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => all[half],
        _ => (all[half - 1] + all[half]) / 2.0,
    };
    assert_eq!(
        s.recovery_median_months,
        median.is_finite().then_some(median)
    );
    assert!(
        censored > 0 && recovered.len() > censored,
        "both kinds are tested"
    );
    assert!(close(s.censored_share, censored as f64 / short as f64));

    let choke = e.iter().filter(|r| r.reached_choke).count();
    assert!(close(s.choke_share, choke as f64 / n));
    assert_eq!(s.fan.len(), scenario.horizon_months as usize);
}

#[test]
fn fan_quantiles_are_within_half_a_percent_of_the_sample_quantiles() {
    let scenario = export_ban();
    let horizon = scenario.horizon_months as usize;
    let mut rng = Rng::new(42);
    let mut stats = RunStatistics::new(&scenario);
    let mut prices = Vec::with_capacity(10_000);
    for trial in 0..10_000 {
        let price = (0.3 * rng.normal()).exp();
        prices.push(price);
        let entry = EntryRecord {
            price_path: vec![price; horizon],
            peak_price: price,
            ..EntryRecord::default()
        };
        stats.add(&TrialRecord {
            trial,
            entries: vec![entry; scenario.report.len()],
            ..TrialRecord::default()
        });
    }
    prices.sort_by(f64::total_cmp);
    let fan = stats.entry_summary(0).expect("entry 0 exists").fan[0];
    for (q, got) in [
        (0.05, fan.p5),
        (0.25, fan.p25),
        (0.5, fan.p50),
        (0.75, fan.p75),
        (0.95, fan.p95),
    ] {
        let exact = quantile(&prices, q);
        let error = (got / exact - 1.0).abs();
        assert!(
            error <= 0.005,
            "q {q}: fan {got}, sample {exact}, error {error}"
        );
    }
}

#[test]
fn histogram_quantiles_stay_within_one_bin_on_sparse_data() {
    // Few, scattered values: the bound is one bin, whatever the spread.
    let mut rng = Rng::new(7);
    let mut h = Histogram::new(-3.0, 3.0, 0.01);
    let mut values: Vec<f64> = (0..25).map(|_| 2.0 * rng.normal()).collect();
    for &v in &values {
        h.add(v);
    }
    // Values beyond the range count at its ends.
    let mut clamped: Vec<f64> = values.iter().map(|v| v.clamp(-3.0, 3.0)).collect();
    clamped.sort_by(f64::total_cmp);
    values.sort_by(f64::total_cmp);
    assert!(values[0] < -3.0, "the sample reaches beyond the range");
    for q in [0.0, 0.05, 0.1, 0.33, 0.5, 0.8, 0.95, 1.0] {
        let exact = quantile(&clamped, q);
        let got = h.quantile(q).expect("values were added");
        assert!(
            (got - exact).abs() <= h.bin_width(),
            "q {q}: {got} vs {exact}"
        );
    }
    assert!(Histogram::new(0.0, 1.0, 0.1).quantile(0.5).is_none());
}

#[test]
fn a_price_that_never_moves_has_an_exact_fan() {
    let scenario = export_ban();
    let horizon = scenario.horizon_months as usize;
    let mut stats = RunStatistics::new(&scenario);
    for trial in 0..50 {
        let entry = EntryRecord {
            price_path: vec![1.0; horizon],
            peak_price: 1.0,
            ..EntryRecord::default()
        };
        stats.add(&TrialRecord {
            trial,
            entries: vec![entry; scenario.report.len()],
            ..TrialRecord::default()
        });
    }
    for s in stats.entry_summaries() {
        for m in &s.fan {
            assert_eq!([m.p5, m.p25, m.p50, m.p75, m.p95], [1.0; 5]);
        }
        assert_eq!(s.peak_price.p95, 1.0);
        assert_eq!(s.probability_short, 0.0);
        assert_eq!(s.recovery_median_months, None);
    }
}

#[test]
fn median_shares_are_exact_at_zero_and_close_inside() {
    let scenario = export_ban();
    let records: Vec<TrialRecord> = (0..301).map(|t| synthetic_record(&scenario, t)).collect();
    let mut stats = RunStatistics::new(&scenario);
    for r in &records {
        stats.add(r);
    }
    let medians = stats.median_shares_first();
    assert_eq!(medians.len(), share_rows(&scenario.world).len());
    for (row, medians_row) in medians.iter().enumerate() {
        for (country, &median) in medians_row.iter().enumerate() {
            let mut cell: Vec<f64> = records
                .iter()
                .map(|r| r.shares_first[row][country])
                .collect();
            cell.sort_by(f64::total_cmp);
            let exact = quantile(&cell, 0.5);
            if exact == 0.0 {
                assert_eq!(median, 0.0, "row {row} country {country}");
            } else {
                // 1000 bins on 0..1: within one bin, 0.1 percentage points.
                assert!(
                    (median - exact).abs() <= 0.001,
                    "row {row}: {median} vs {exact}"
                );
            }
        }
    }
}

/// MODEL.md section 6 asks for the HHI as a median over trials: each
/// trial's HHI, then the median. It is not the HHI of the median shares: of
/// three trials where one country makes everything, then the other, then
/// both half, every trial but one is a monopoly (HHI 10,000), while the
/// median shares are 0.5 and 0.5 (HHI 5,000).
#[test]
fn the_hhi_is_the_median_of_each_trials_not_that_of_the_median_shares() {
    let scenario = export_ban();
    let mut stats = RunStatistics::new(&scenario);
    for (t, split) in [(1.0, 0.0), (0.0, 1.0), (0.5, 0.5)].into_iter().enumerate() {
        let mut record = synthetic_record(&scenario, t as u32);
        for row in record.shares_first.iter_mut() {
            row.iter_mut().for_each(|s| *s = 0.0);
            (row[0], row[1]) = split;
        }
        stats.add(&record);
    }
    for (row, &hhi) in stats
        .median_shares_first()
        .iter()
        .zip(&stats.median_hhi_first())
    {
        // Median shares, within a bin of 0.001.
        assert!((row[0] - 0.5).abs() <= 0.001 && (row[1] - 0.5).abs() <= 0.001);
        assert!((hhi - 10_000.0).abs() <= 1.0, "median HHI {hhi}");
    }
}

#[test]
fn spearman_by_parameter_follows_the_focus() {
    let scenario = export_ban();
    let parameters = scenario.uncertain_parameters().count();
    assert!(parameters > 0, "the ban's duration is uncertain");
    let mut stats = RunStatistics::new(&scenario);
    for trial in 0..200 {
        let mut record = synthetic_record(&scenario, trial);
        // The focus rises with the first parameter, whatever the others do.
        record.focus = record.uncertain_values[0].powi(2);
        stats.add(&record);
    }
    let rho = stats.spearman_by_parameter();
    assert_eq!(rho.len(), parameters);
    assert!(close(rho[0], 1.0), "{rho:?}");
}

#[test]
fn malformed_records_are_counted_not_fatal() {
    let scenario = export_ban();
    let mut stats = RunStatistics::new(&scenario);
    stats.add(&TrialRecord::default());
    let mut long = synthetic_record(&scenario, 1);
    long.entries[0].price_path.push(f64::NAN);
    stats.add(&long);
    stats.add(&synthetic_record(&scenario, 2));
    assert_eq!(stats.trials(), 3);
    assert_eq!(stats.mismatched_records(), 2);
    let report = Report::new(&scenario, &stats, Manifest::new(1, 1));
    assert!(report.limits.iter().any(|l| l.contains("did not match")));
}

#[test]
fn unmeasured_split_gaps_are_left_out() {
    let scenario = export_ban();
    assert!(!scenario.restricted_pairs().is_empty());
    let mut stats = RunStatistics::new(&scenario);
    for trial in 0..40 {
        let mut record = synthetic_record(&scenario, trial);
        // Half the trials measure a gap of exactly 2, the rest none at all.
        let gap = if trial % 2 == 0 { 2.0 } else { 0.0 };
        record.split_gaps.iter_mut().for_each(|g| *g = gap);
        stats.add(&record);
    }
    for spread in stats.split_gaps() {
        let spread = spread.expect("half the trials measured a gap");
        assert_eq!([spread.p5, spread.p50, spread.p95], [2.0; 3]);
    }
}

#[test]
fn peak_price_quantiles_are_within_one_percent_and_exact_at_the_choke() {
    let scenario = export_ban();
    let choke = 6.0; // ndfeb_magnet's central m_max, the first entry's product
    let mut rng = Rng::new(99);
    let mut stats = RunStatistics::new(&scenario);
    let mut peaks = Vec::new();
    for trial in 0..5000 {
        // 45% below the choke, 45% at it, 10% above it (a tariff).
        let u = rng.uniform();
        let peak = if u < 0.45 {
            (0.8 * rng.normal().abs()).exp().min(choke)
        } else if u < 0.9 {
            choke
        } else {
            choke * (1.0 + rng.uniform())
        };
        peaks.push(peak);
        let entry = EntryRecord {
            price_path: vec![1.0; scenario.horizon_months as usize],
            peak_price: peak,
            ..EntryRecord::default()
        };
        stats.add(&TrialRecord {
            trial,
            entries: vec![entry; scenario.report.len()],
            ..TrialRecord::default()
        });
    }
    peaks.sort_by(f64::total_cmp);
    let spread = stats.entry_summary(0).expect("entry 0 exists").peak_price;
    for (q, got) in [(0.05, spread.p5), (0.5, spread.p50), (0.95, spread.p95)] {
        let exact = quantile(&peaks, q);
        assert!(
            (got / exact - 1.0).abs() <= 0.01,
            "q {q}: histogram {got}, sample {exact}"
        );
    }
    // The median sits in the mass at the choke, and reads exactly the choke.
    assert_eq!(quantile(&peaks, 0.5), choke);
    assert_eq!(spread.p50, choke);
}

#[test]
fn sensitivity_uses_a_fixed_prefix_of_trials_whatever_the_batches() {
    let scenario = export_ban();
    // Trial numbers straddling the limit: the first 36 are kept, the rest
    // are not, whether added one by one or merged in uneven batches.
    let first = SENSITIVITY_TRIALS - 36;
    let records: Vec<TrialRecord> = (0..100)
        .map(|i| {
            let mut r = synthetic_record(&scenario, i);
            r.trial = first + i;
            r
        })
        .collect();
    let mut sequential = RunStatistics::new(&scenario);
    for r in &records {
        sequential.add(r);
    }
    assert_eq!(sequential.sensitivity_trials(), 36);
    let rho = sequential.spearman_by_parameter();
    // Exactly the correlation of those 36 trials.
    let focus: Vec<f64> = records[..36].iter().map(|r| r.focus).collect();
    let column: Vec<f64> = records[..36]
        .iter()
        .map(|r| r.uncertain_values[0])
        .collect();
    assert_eq!(rho[0].to_bits(), spearman(&column, &focus).to_bits());

    for cuts in [[10, 36], [30, 50], [36, 37], [0, 99]] {
        let mut merged = RunStatistics::new(&scenario);
        for part in [
            &records[..cuts[0]],
            &records[cuts[0]..cuts[1]],
            &records[cuts[1]..],
        ] {
            let mut stats = RunStatistics::new(&scenario);
            for r in part {
                stats.add(r);
            }
            merged.merge(stats);
        }
        assert_eq!(merged.sensitivity_trials(), 36, "{cuts:?}");
        let merged_rho = merged.spearman_by_parameter();
        assert_eq!(
            merged_rho.iter().map(|r| r.to_bits()).collect::<Vec<_>>(),
            rho.iter().map(|r| r.to_bits()).collect::<Vec<_>>(),
            "{cuts:?}"
        );
    }
}
