//! The engine against MODEL.md's invariants and the acceptance figures.
//!
//! Statistical claims use fixed seeds; each tolerance says where it comes from.

use shortfall::engine::{self, RunOptions};
use shortfall::report::{Manifest, Report};
use shortfall::world::ProductField;
use shortfall::Scenario;

fn scenario(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    Scenario::from_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn report(scenario: &Scenario, trials: u32, threads: usize) -> Report {
    let options = RunOptions {
        trials: Some(trials),
        threads: Some(threads),
        ..RunOptions::default()
    };
    let result = engine::run(scenario, &options);
    Report::new(
        scenario,
        &result.statistics,
        Manifest::new(1, engine::BATCH_SIZE),
    )
}

const SCENARIOS: [&str; 9] = [
    "baseline",
    "export_ban",
    "china_licensing_2025",
    "india_japan_halt_2025",
    "us_australia_deal_2025",
    "mp_stockpiling",
    "myanmar_disruption",
    "us_japan_framework",
    "pakistan_light_ree",
];

#[test]
fn mass_is_conserved_in_every_month_of_every_scenario() {
    for name in SCENARIOS {
        let s = scenario(name);
        for trial in [0, 1, 17] {
            let replay = engine::replay(&s, trial);
            assert_eq!(replay.ledgers.len(), s.horizon_months as usize);
            for (t, month) in replay.ledgers.iter().enumerate() {
                for (p, ledger) in month.iter().enumerate() {
                    let scale = ledger.produced_t.max(ledger.served_t).max(1.0);
                    assert!(
                        ledger.imbalance().abs() <= 1e-9 * scale,
                        "{name} trial {trial} month {t} {}: {ledger:?} imbalance {}",
                        s.world.products[p].id,
                        ledger.imbalance()
                    );
                }
            }
        }
    }
}

#[test]
fn shortfalls_stocks_and_prices_stay_in_bounds() {
    for name in SCENARIOS {
        let s = scenario(name);
        let values = s.world.central_values();
        for trial in 0..4 {
            let replay = engine::replay(&s, trial);
            for month in &replay.rows {
                for (k, row) in month.iter().enumerate() {
                    let p = s.report.get(k).map_or(s.focus.product, |e| e.product);
                    assert!(
                        row.unserved_t >= 0.0 && row.served_t >= 0.0,
                        "{name}: {row:?}"
                    );
                    assert!(
                        row.served_t <= row.demand_t * (1.0 + 1e-12),
                        "{name}: {row:?}"
                    );
                    assert!(
                        row.stock_t >= 0.0 && row.stockpile_t >= 0.0,
                        "{name}: {row:?}"
                    );
                    assert!(row.price_multiple.is_finite(), "{name}: {row:?}");
                    // No tariffs in these scenarios: the paid price is the
                    // clamped market price.
                    let lo = values.product_field(p, ProductField::MMin);
                    let hi = values.product_field(p, ProductField::MMax);
                    assert!(
                        row.price_multiple >= lo * (1.0 - 1e-12)
                            && row.price_multiple <= hi * (1.0 + 1e-12),
                        "{name}: price {} outside [{lo}, {hi}]",
                        row.price_multiple
                    );
                }
            }
        }
    }
}

#[test]
fn json_is_byte_identical_for_1_2_and_7_threads() {
    let s = scenario("export_ban");
    let json = |threads| serde_json::to_string(&report(&s, 150, threads)).unwrap();
    let one = json(1);
    assert_eq!(one, json(2));
    assert_eq!(one, json(7));
}

#[test]
fn adding_trials_leaves_the_first_ones_unchanged() {
    let s = scenario("china_licensing_2025");
    let short = engine::trial_records(&s, 0..40);
    let long = engine::trial_records(&s, 0..90);
    assert_eq!(short[..], long[..40]);
    // And a run's per-trial focus outcomes are those of the same trials.
    let options = RunOptions {
        trials: Some(90),
        threads: Some(2),
        ..RunOptions::default()
    };
    let run = engine::run(&s, &options);
    let focus: Vec<f64> = long.iter().map(|r| r.focus).collect();
    assert_eq!(run.statistics.focus_outcomes(), &focus[..]);
}

#[test]
fn replay_matches_what_the_trial_contributed_to_the_run() {
    let s = scenario("export_ban");
    let records = engine::trial_records(&s, 0..70);
    for trial in [0u32, 5, 63, 64, 69] {
        let replay = engine::replay(&s, trial);
        assert_eq!(replay.record, records[trial as usize], "trial {trial}");
        // The month rows add up to the record.
        for (k, entry) in replay.record.entries.iter().enumerate() {
            let unserved: f64 = replay.rows.iter().map(|m| m[k].unserved_t).sum();
            assert!((unserved - entry.unserved_t).abs() <= 1e-9 * entry.demand_t.max(1.0));
            let prices: Vec<f64> = replay.rows.iter().map(|m| m[k].price_multiple).collect();
            assert_eq!(prices, entry.price_path);
        }
    }
}

fn result<'r>(
    report: &'r Report,
    country: &str,
    product: &str,
) -> &'r shortfall::report::EntryResult {
    report
        .results
        .iter()
        .find(|r| r.country == country && r.product == product)
        .unwrap_or_else(|| panic!("no result for {country} {product}"))
}

/// Issue 3: on 2,000 trials the baseline's median price stays within 0.85-1.15
/// of reference in every month, and nothing is short with probability above 5%.
#[test]
fn baseline_stays_near_reference_and_is_not_short() {
    let s = scenario("baseline");
    let report = report(&s, 2000, 2);
    for r in &report.results {
        assert!(
            r.shortfall.probability <= 0.05,
            "{} {} short with probability {}",
            r.country,
            r.product,
            r.shortfall.probability
        );
        for month in &r.price.fan {
            assert!(
                (0.85..=1.15).contains(&month.p50),
                "{} {} month {}: median price {}",
                r.country,
                r.product,
                month.month,
                month.p50
            );
        }
    }
}

/// Issue 3: in export_ban, USA magnets are short with probability >= 0.5 and
/// their median peak price is >= 2x, while China's own median magnet price in
/// month 6 (the ban is in force in every trial: it starts in month 1 and lasts
/// at least 6 months) is below 1: a glut at home.
#[test]
fn export_ban_starves_importers_and_gluts_china() {
    let s = scenario("export_ban");
    let report = report(&s, 2000, 2);
    let usa = result(&report, "USA", "ndfeb_magnet");
    assert!(
        usa.shortfall.probability >= 0.5,
        "{}",
        usa.shortfall.probability
    );
    assert!(
        usa.price.peak_multiple.p50 >= 2.0,
        "{}",
        usa.price.peak_multiple.p50
    );
    let china = result(&report, "CHN", "ndfeb_magnet");
    assert!(china.price.fan[6].p50 < 1.0, "{}", china.price.fan[6].p50);
}

/// Issue 3: the April 2025 licensing puts the US yttrium peak in the order
/// reported (~+1,500%, so 5x-40x).
#[test]
fn licensing_2025_moves_yttrium_by_the_reported_order() {
    let s = scenario("china_licensing_2025");
    let report = report(&s, 2000, 2);
    let peak = result(&report, "USA", "y_oxide").price.peak_multiple.p50;
    assert!(
        (5.0..=40.0).contains(&peak),
        "US yttrium median peak {peak}"
    );
}

/// A scenario from TOML text on the default world.
fn parse(text: impl Into<String>) -> Scenario {
    Scenario::from_toml("inline.toml", text, ".").unwrap_or_else(|e| panic!("{e}"))
}

fn inline(shock: &str) -> Scenario {
    parse(format!(
        "[scenario]\nhorizon_months = 12\ntrials = 20\nseed = 3\n\
         report = [{{ country = \"USA\", product = \"ndfeb_magnet\" }}, {{ country = \"JPN\", product = \"ndfeb_magnet\" }}]\n\
         [[shock]]\nid = \"r\"\nkind = \"export_restriction\"\nfrom = \"CHN\"\nproducts = [\"ndfeb_magnet\"]\nto = \"all\"\nstart_month = 2\n{shock}\n"
    ))
}

/// The split-market gap weighs an exporter's customers by what they would
/// ask of it in month 0 with no restriction in force, so a restriction in
/// force from month 0, which lets nothing through then, still has customers
/// (it had none when the weights were month 0's shipments).
#[test]
fn a_restriction_from_month_0_still_splits_the_market() {
    let text = |start: u32| {
        format!(
            "[scenario]\nhorizon_months = 12\ntrials = 20\nseed = 3\n\
             report = [{{ country = \"USA\", product = \"ndfeb_magnet\" }}]\n\
             [[shock]]\nkind = \"export_restriction\"\nfrom = \"CHN\"\nproducts = [\"ndfeb_magnet\"]\n\
             to = \"all\"\nmode = \"ban\"\nstart_month = {start}\n"
        )
    };
    for start in [0, 1] {
        for record in engine::trial_records(&parse(text(start)), 0..20) {
            let gap = record.split_gaps[0];
            // Customers short of magnets pay several times what China's
            // glutted buyers do.
            assert!(gap > 2.0, "ban from month {start}: gap {gap}");
        }
    }
}

#[test]
fn a_zero_quota_and_a_zero_licence_act_exactly_as_a_ban() {
    let ban = engine::trial_records(&inline("mode = \"ban\""), 0..20);
    let quota = engine::trial_records(&inline("mode = \"quota\"\ntonnes_per_year = 0"), 0..20);
    let licence = engine::trial_records(&inline("mode = \"license\"\napproval = 0"), 0..20);
    assert_eq!(ban, quota);
    assert_eq!(ban, licence);
    assert!(
        ban.iter().all(|r| r.entries[0].unserved_t > 0.0),
        "the ban bites"
    );
}

#[test]
fn licences_and_quotas_let_through_what_they_allow() {
    let unserved = |shock: &str| -> f64 {
        engine::trial_records(&inline(shock), 0..20)
            .iter()
            .map(|r| r.entries[0].unserved_t)
            .sum()
    };
    let ban = unserved("mode = \"ban\"");
    let half = unserved("mode = \"license\"\napproval = 0.5");
    let full = unserved("mode = \"license\"\napproval = 1");
    let delayed = unserved("mode = \"license\"\napproval = 0.5\ndelay_months = 4");
    let quota = unserved("mode = \"quota\"\ntonnes_per_year = 20000");
    assert!(
        ban > half && half > full,
        "ban {ban} > half {half} > full {full}"
    );
    assert!(
        delayed > half,
        "a delay adds to the shortfall: {delayed} vs {half}"
    );
    assert!(quota < ban, "a quota lets some through: {quota} vs {ban}");
}

#[test]
fn a_tariff_raises_what_buyers_pay_without_splitting_the_market() {
    let zero = engine::trial_records(&inline("mode = \"tariff\"\nrate = 0"), 0..10);
    let none = engine::trial_records(
        &parse("[scenario]\nhorizon_months = 12\ntrials = 20\nseed = 3\nreport = [{ country = \"USA\", product = \"ndfeb_magnet\" }, { country = \"JPN\", product = \"ndfeb_magnet\" }]\n"),
        0..10,
    );
    // Same shared parameters and noise; a zero tariff changes nothing but the
    // scenario's own (unused) draws.
    for (a, b) in zero.iter().zip(&none) {
        assert_eq!(a.entries, b.entries);
    }
    let taxed = engine::trial_records(&inline("mode = \"tariff\"\nrate = 0.5"), 0..10);
    for (t, n) in taxed.iter().zip(&none) {
        // From month 3 on (the tariff starts in month 2 and prices report
        // m(t+1)), US buyers pay more than without it.
        let (paid, free) = (&t.entries[0].price_path, &n.entries[0].price_path);
        assert!(paid[4] > free[4] * 1.2, "{} vs {}", paid[4], free[4]);
        assert_eq!(t.split_gaps.len(), 0, "a tariff does not split markets");
    }
}

#[test]
fn shards_cover_the_trials_and_precision_stops_at_a_batch_boundary() {
    use shortfall::engine::{Shard, Stop};
    let s = scenario("export_ban");
    let whole = engine::run(
        &s,
        &RunOptions {
            trials: Some(300),
            threads: Some(2),
            ..RunOptions::default()
        },
    );
    let mut merged = None::<shortfall::statistics::RunStatistics>;
    let mut covered = 0;
    for index in 0..3 {
        let part = engine::run(
            &s,
            &RunOptions {
                trials: Some(300),
                shard: Some(Shard { index, count: 3 }),
                ..RunOptions::default()
            },
        );
        covered += part.trials.len();
        match merged.as_mut() {
            None => merged = Some(part.statistics),
            Some(m) => m.merge(part.statistics),
        }
    }
    assert_eq!(covered, 300);
    let merged = merged.unwrap();
    assert_eq!(merged.focus_outcomes(), whole.statistics.focus_outcomes());

    // Precision: stops where the relative standard error first reaches the
    // target, at the same trial count whatever the threads, and the statistics
    // equal a fixed run of that many trials.
    let target = 0.01;
    let run = |threads| {
        engine::run(
            &s,
            &RunOptions {
                trials: Some(5000),
                threads: Some(threads),
                precision: Some(target),
                ..RunOptions::default()
            },
        )
    };
    let (one, two) = (run(1), run(2));
    let Stop::Precision { trials } = one.stop else {
        panic!("{:?}", one.stop)
    };
    assert_eq!(two.stop, one.stop);
    assert_eq!(trials % engine::BATCH_SIZE, 0);
    let fixed = engine::run(
        &s,
        &RunOptions {
            trials: Some(trials),
            ..RunOptions::default()
        },
    );
    assert_eq!(
        fixed.statistics.focus_outcomes(),
        one.statistics.focus_outcomes()
    );
    let focus = one.statistics.focus_outcomes();
    let n = focus.len() as f64;
    let mean = focus.iter().sum::<f64>() / n;
    let sd = (focus.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(sd / n.sqrt() / mean <= target);
    // One batch fewer would not have been precise enough.
    let fewer = &focus[..focus.len() - engine::BATCH_SIZE as usize];
    let m = fewer.len() as f64;
    let mean = fewer.iter().sum::<f64>() / m;
    let sd = (fewer.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
    assert!(sd / m.sqrt() / mean > target || fewer.len() < 128);
}

#[test]
fn a_cancelled_run_stops_between_batches_and_keeps_whole_batches() {
    use shortfall::engine::Stop;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let s = scenario("export_ban");
    // One thread folds by turns; two stream batches to the folding thread.
    for threads in [1, 2] {
        let cancel = Arc::new(AtomicBool::new(false));
        let options = RunOptions {
            trials: Some(5000),
            threads: Some(threads),
            cancel: Some(cancel.clone()),
            ..RunOptions::default()
        };
        let result = engine::run_with_progress(&s, &options, |done| {
            if done > 0 {
                cancel.store(true, Ordering::Relaxed);
            }
        });
        assert_eq!(result.stop, Stop::Cancelled);
        let done = result.statistics.trials();
        assert!(
            done > 0 && done < 5000 && done % engine::BATCH_SIZE == 0,
            "{threads} threads: {done}"
        );
        // What it kept is exactly the first trials of a full run.
        let first = engine::trial_records(&s, 0..done);
        let focus: Vec<f64> = first.iter().map(|r| r.focus).collect();
        assert_eq!(result.statistics.focus_outcomes(), &focus[..]);
    }
}

/// Issue 6: every shipped scenario runs under the engine's own invariant checks
/// (mass balance, non-negative stocks, finite prices after every month), which
/// debug builds such as `cargo test`'s run and which panic on a violation.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the engine checks its invariants in debug builds only"
)]
fn every_scenario_runs_under_the_engines_invariant_checks() {
    for name in SCENARIOS {
        let s = scenario(name);
        let options = RunOptions {
            trials: Some(128),
            threads: Some(2),
            ..RunOptions::default()
        };
        let result = engine::run(&s, &options);
        assert_eq!(result.statistics.trials(), 128, "{name}");
    }
}

/// MODEL.md section 4: a demand `growth` shock is added to `g` in its window,
/// and the level reached stays after it. With the demand noise set to 0,
/// normal demand (before the price response) grows by `(1 + g)^(1/12)` a
/// month outside the window and by `(1 + g + growth)^(1/12)` in it, the
/// first step up being the one out of the window's first month.
#[test]
fn a_growth_shock_adds_to_g_in_its_window_and_the_level_stays() {
    let text = "[scenario]\nhorizon_months = 12\ntrials = 1\nseed = 5\n\
         report = [{ country = \"JPN\", product = \"ndfeb_magnet\" }]\n\
         [[shock]]\nkind = \"set\"\npath = \"products.ndfeb_magnet.sigma\"\nvalue = 0\nstart_month = 0\n\
         [[shock]]\nkind = \"demand\"\ncountry = \"JPN\"\nproduct = \"ndfeb_magnet\"\n\
         growth = 0.5\nstart_month = 3\nduration_months = 4\n";
    let replay = engine::replay(&parse(text), 0);
    let demand: Vec<f64> = replay.rows.iter().map(|m| m[0].normal_demand_t).collect();
    // `1 + g`, from the months before the window.
    let trend = (demand[1] / demand[0]).powi(12);
    assert!(
        (trend - 1.08).abs() < 1e-9,
        "the default world's g is 8%: {trend}"
    );
    for t in 0..11 {
        // Months 3 to 6 are in force: their growth shows from month 4 to 7.
        let yearly = if (3..7).contains(&t) {
            trend + 0.5
        } else {
            trend
        };
        let step = demand[t + 1] / demand[t];
        let expected = f64::powf(yearly, 1.0 / 12.0);
        assert!(
            (step - expected).abs() < 1e-12,
            "month {t} to {}: demand grew by {step}, expected {expected}",
            t + 1
        );
    }
}

/// MODEL.md section 4: `set` overrides any numeric world field, reserves
/// included. Reserves left are the figure in force less all mined so far:
/// set to 0 from month 3, Mountain Pass stops at once; set to 8,000 t from
/// month 0 (about two months of its 45,000 t/yr), it mines exactly that.
#[test]
fn a_set_on_reserves_limits_mining_from_its_window() {
    let usa_mine = |shock: &str| -> Vec<f64> {
        let text = format!(
            "[scenario]\nhorizon_months = 8\ntrials = 1\nseed = 5\n\
             report = [{{ country = \"USA\", product = \"conc_light\" }}]\n\
             [[shock]]\nkind = \"set\"\npath = \"countries.USA.products.conc_light.reserves\"\n{shock}\n"
        );
        engine::replay(&parse(text), 0)
            .rows
            .iter()
            .map(|m| m[0].output_t)
            .collect()
    };
    let stopped = usa_mine("value = 0\nstart_month = 3");
    assert!(stopped[..3].iter().all(|&q| q > 3000.0), "{stopped:?}");
    assert!(stopped[3..].iter().all(|&q| q == 0.0), "{stopped:?}");
    let small = usa_mine("value = 8000\nstart_month = 0");
    let mined: f64 = small.iter().sum();
    assert!(
        (mined - 8000.0).abs() < 1e-6,
        "mined {mined} of 8,000 t: {small:?}"
    );
    assert_eq!(*small.last().unwrap(), 0.0);
}

/// A stockpile shock's rules hold in its window only; a shock with only
/// `release_below_fill` lets a stockpile bought or given earlier be released
/// later (as `scenarios/mp_stockpiling.toml` does after its purchases stop).
#[test]
fn a_release_only_stockpile_shock_releases_what_another_put_in() {
    let stockpile_t = |release: bool| -> Vec<f64> {
        let release = if release {
            "[[shock]]\nkind = \"stockpile\"\ncountry = \"USA\"\nproduct = \"ndfeb_magnet\"\n\
             release_below_fill = 0.99\nstart_month = 0\n"
        } else {
            ""
        };
        let text = format!(
            "[scenario]\nhorizon_months = 12\ntrials = 1\nseed = 5\n\
             report = [{{ country = \"USA\", product = \"ndfeb_magnet\" }}]\n\
             [[shock]]\nkind = \"stockpile\"\ncountry = \"USA\"\nproduct = \"ndfeb_magnet\"\n\
             tonnes = 3000\nstart_month = 0\nduration_months = 2\n\
             [[shock]]\nkind = \"export_restriction\"\nfrom = \"CHN\"\nproducts = [\"ndfeb_magnet\"]\n\
             to = \"all\"\nmode = \"ban\"\nstart_month = 1\n{release}"
        );
        engine::replay(&parse(text), 0)
            .rows
            .iter()
            .map(|m| m[0].stockpile_t)
            .collect()
    };
    // Without a release rule the 3,000 t stay put through the shortage.
    assert!(stockpile_t(false).iter().all(|&g| g == 3000.0));
    let released = stockpile_t(true);
    assert!(
        released.last().is_some_and(|&g| g < 3000.0),
        "released {released:?}"
    );
}
