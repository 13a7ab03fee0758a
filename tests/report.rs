//! The run report: its JSON shape, and the CSV, SVG and text renderings.

use std::path::{Path, PathBuf};

use serde_json::Value;
use shortfall::report::{noise_band, Manifest, Report};
use shortfall::statistics::{share_rows, EntryRecord, RunStatistics, TrialRecord};
use shortfall::Scenario;

/// SplitMix64: a small deterministic generator for synthetic records.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn export_ban() -> Scenario {
    Scenario::from_path("scenarios/export_ban.toml").expect("the shipped scenario is valid")
}

/// A fully shaped record with shortfalls in the thousands of tonnes.
fn record(scenario: &Scenario, trial: u32) -> TrialRecord {
    let mut rng = Rng(u64::from(trial).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let horizon = scenario.horizon_months as usize;
    let uncertain_values: Vec<f64> = scenario
        .uncertain_parameters()
        .map(|_| rng.uniform())
        .collect();
    let entries: Vec<EntryRecord> = scenario
        .report
        .iter()
        .map(|_| {
            let normal_demand_t = 20_000.0 + 10_000.0 * rng.uniform();
            let unserved_t = 5_000.0 * rng.uniform();
            let level = 1.0 + 4.0 * rng.uniform();
            let price_path: Vec<f64> = (0..horizon)
                .map(|t| 1.0 + level * (t as f64 / horizon as f64) * rng.uniform())
                .collect();
            let peak_price = price_path.iter().copied().fold(0.0, f64::max);
            EntryRecord {
                unserved_t,
                demand_t: normal_demand_t,
                normal_demand_t,
                served_t: normal_demand_t - unserved_t,
                months_short: 1 + (6.0 * rng.uniform()) as u32,
                worst_month_t: unserved_t / 4.0,
                worst_month: 3,
                recovery_months: (rng.uniform() < 0.8).then_some(5),
                recovered: true,
                idle_input_t: 0.0,
                price_path,
                peak_price,
                reached_choke: false,
            }
        })
        .collect();
    let countries = scenario.world.countries.len();
    let shares: Vec<Vec<f64>> = share_rows(&scenario.world)
        .iter()
        .map(|_| {
            let mut row = vec![0.0; countries];
            row[0] = 0.7 + 0.1 * rng.uniform();
            row[1] = 1.0 - row[0];
            row
        })
        .collect();
    TrialRecord {
        trial,
        focus: entries[0].unserved_t + uncertain_values.first().copied().unwrap_or(0.0),
        entries,
        uncertain_values,
        split_gaps: scenario
            .restricted_pairs()
            .iter()
            .map(|_| 1.0 + 3.0 * rng.uniform())
            .collect(),
        shares_first: shares.clone(),
        shares_last: shares,
    }
}

fn report_for(scenario: &Scenario, trials: u32) -> Report {
    let mut stats = RunStatistics::new(scenario);
    for t in 0..trials {
        stats.add(&record(scenario, t));
    }
    Report::new(scenario, &stats, Manifest::new(2, 64))
}

/// A fresh, empty directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shortfall-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn keys(value: &Value, at: &str, expected: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{at} is not an object"));
    for key in expected {
        assert!(object.contains_key(*key), "{at} lacks {key}");
    }
}

#[test]
fn json_has_every_key_of_the_schema() {
    let scenario = export_ban();
    let report = report_for(&scenario, 200);
    let json = serde_json::to_value(&report).expect("serialisable");
    keys(
        &json,
        "report",
        &[
            "schema",
            "scenario",
            "results",
            "concentration",
            "split_market",
            "sensitivity",
            "limits",
            "manifest",
        ],
    );
    assert_eq!(json["schema"], "shortfall.report/3");
    keys(
        &json["scenario"],
        "scenario",
        &["name", "hash", "seed", "trials", "horizon_months"],
    );
    let hash = json["scenario"]["hash"].as_str().expect("hash is a string");
    assert_eq!(hash.len(), 16);
    assert!(hash
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(json["scenario"]["trials"], scenario.trials);

    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), scenario.report.len());
    for r in results {
        keys(r, "result", &["country", "product", "shortfall", "price"]);
        keys(
            &r["shortfall"],
            "shortfall",
            &[
                "probability",
                "mean_tonnes",
                "p5_tonnes",
                "p50_tonnes",
                "p95_tonnes",
                "cvar95_tonnes",
                "mean_share_of_demand",
                "stderr_tonnes",
                "mean_loss_tonnes",
                "mean_loss_share",
                "months_short_mean",
                "worst_month_mean_tonnes",
                "recovery_median_months",
                "recovery_censored_share",
                "idle_input_mean_tonnes",
            ],
        );
        keys(
            &r["price"],
            "price",
            &[
                "reference_usd_per_kg",
                "peak_multiple",
                "choke_share",
                "fan",
            ],
        );
        keys(
            &r["price"]["peak_multiple"],
            "peak_multiple",
            &["p5", "p50", "p95"],
        );
        let fan = r["price"]["fan"].as_array().expect("fan");
        assert_eq!(fan.len(), scenario.horizon_months as usize);
        for (month, row) in fan.iter().enumerate() {
            keys(row, "fan row", &["month", "p5", "p25", "p50", "p75", "p95"]);
            assert_eq!(row["month"], month);
        }
    }
    assert_eq!(results[0]["country"], "USA");
    assert_eq!(results[0]["product"], "ndfeb_magnet");

    let concentration = json["concentration"].as_array().expect("concentration");
    assert_eq!(concentration.len(), share_rows(&scenario.world).len());
    for row in concentration {
        keys(row, "concentration", &["kind", "name", "first", "last"]);
        assert!(["stage", "process", "product"].contains(&row["kind"].as_str().unwrap_or("")));
        for when in ["first", "last"] {
            keys(&row[when], when, &["hhi", "shares"]);
            for share in row[when]["shares"].as_array().expect("shares") {
                keys(share, "share", &["country", "share"]);
            }
        }
    }

    let split = json["split_market"].as_array().expect("split_market");
    assert_eq!(split.len(), scenario.restricted_pairs().len());
    for row in split {
        keys(row, "split_market", &["exporter", "product", "peak_gap"]);
        keys(&row["peak_gap"], "peak_gap", &["p5", "p50", "p95"]);
    }

    for row in json["sensitivity"].as_array().expect("sensitivity") {
        keys(row, "sensitivity", &["parameter", "spearman"]);
    }
    assert!(json["limits"].as_array().is_some_and(|l| !l.is_empty()));
    keys(
        &json["manifest"],
        "manifest",
        &[
            "crate_version",
            "scenario_hash",
            "world_hash",
            "seed",
            "trials",
            "batch_size",
            "focus",
        ],
    );
    // The thread count stays out of the JSON, which is byte-identical for any
    // number of threads (docs/MODEL_NOTES.md, section 6).
    assert!(json["manifest"]["threads"].is_null());
    // So does the stop of a precision run, for a run of fixed trials.
    assert!(json["manifest"].get("stopped").is_none());
    keys(
        &json["manifest"]["focus"],
        "focus",
        &["country", "product", "outcome"],
    );
    assert_eq!(json["manifest"]["focus"]["outcome"], "shortfall");
}

/// Every path in `value` whose value is `null`.
fn null_paths(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Null => out.push(at.to_string()),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                null_paths(v, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                null_paths(v, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn json_has_no_nulls_but_undefined_recovery_medians_and_gaps() {
    let scenario = export_ban();
    // Without trials nothing was short, so no recovery median is defined, and
    // no gap was measured.
    let empty = serde_json::to_value(report_for(&scenario, 0)).expect("serialisable");
    let mut nulls = Vec::new();
    null_paths(&empty, "", &mut nulls);
    let pairs = scenario.restricted_pairs().len();
    assert!(pairs > 0);
    assert_eq!(nulls.len(), scenario.report.len() + pairs, "{nulls:?}");
    assert!(nulls
        .iter()
        .all(|p| p.ends_with(".shortfall.recovery_median_months")
            || p.starts_with(".split_market[") && p.ends_with("].peak_gap")));
    let full = serde_json::to_string(&report_for(&scenario, 50)).expect("serialisable");
    assert!(!full.contains("null"));
}

#[test]
fn an_exporter_without_customers_has_no_gap_rather_than_a_gap_of_zero() {
    // An exporter that shipped abroad in no trial's month 0 has no customers'
    // price to compare with its own: the gap is null in JSON, empty in CSV
    // and said in words in the table, never a ratio of 0.
    let scenario = export_ban();
    let mut stats = RunStatistics::new(&scenario);
    for t in 0..20 {
        let mut record = record(&scenario, t);
        record.split_gaps[0] = 0.0;
        stats.add(&record);
    }
    let report = Report::new(&scenario, &stats, Manifest::new(2, 64));
    assert_eq!(report.split_market[0].peak_gap, None);
    assert!(report.split_market[1..]
        .iter()
        .all(|s| s.peak_gap.is_some()));
    let json = serde_json::to_value(&report).expect("serialisable");
    assert!(json["split_market"][0]["peak_gap"].is_null());
    assert!(json["split_market"][1]["peak_gap"]["p50"].as_f64() >= Some(1.0));

    let dir = temp_dir("no-customers");
    report.write_csv(&dir).expect("CSV written");
    let text = std::fs::read_to_string(dir.join("split_market.csv")).expect("CSV read");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let first = &report.split_market[0];
    for (row, q) in rows[1..4].iter().zip(["p5", "p50", "p95"]) {
        assert_eq!(row, &[&*first.exporter, &*first.product, q, ""]);
    }
    assert!(rows[4][3].parse::<f64>().is_ok_and(|g| g >= 1.0));
    let _ = std::fs::remove_dir_all(&dir);

    let table = report.to_table();
    assert!(
        table.contains("no customers: nothing to offer in month 0"),
        "{table}"
    );
}

#[test]
fn shares_are_positive_and_largest_first_and_hhi_is_the_median_of_each_trials() {
    let scenario = export_ban();
    let report = report_for(&scenario, 100);
    for (k, row) in report.concentration.iter().enumerate() {
        let shares = &row.first.shares;
        assert_eq!(shares.len(), 2, "two producers in the synthetic records");
        assert!(shares.windows(2).all(|w| w[0].share >= w[1].share));
        // MODEL.md: the HHI is a median over trials, of each trial's HHI.
        let mut hhi: Vec<f64> = (0..100)
            .map(|t| {
                record(&scenario, t).shares_first[k]
                    .iter()
                    .map(|s| (100.0 * s) * (100.0 * s))
                    .sum()
            })
            .collect();
        hhi.sort_by(f64::total_cmp);
        let median = (hhi[49] + hhi[50]) / 2.0;
        assert!(
            (row.first.hhi - median).abs() <= shortfall::statistics::HHI_BIN,
            "{}: {} against {median}",
            row.name,
            row.first.hhi
        );
    }
}

#[test]
fn sensitivity_is_sorted_by_magnitude() {
    let report = report_for(&export_ban(), 300);
    let rho: Vec<f64> = report
        .sensitivity
        .iter()
        .map(|s| s.spearman.abs())
        .collect();
    assert!(rho.windows(2).all(|w| w[0] >= w[1]), "{rho:?}");
}

#[test]
fn correlations_within_monte_carlo_noise_are_marked_and_come_last() {
    // The focus follows the first parameter closely; every other parameter
    // is drawn independently of it, so its correlation is noise alone.
    let scenario = export_ban();
    let trials = 400;
    let mut stats = RunStatistics::new(&scenario);
    for t in 0..trials {
        let mut record = record(&scenario, t);
        record.focus = record.uncertain_values[0] * 1e4 + record.entries[0].unserved_t;
        stats.add(&record);
    }
    let report = Report::new(&scenario, &stats, Manifest::new(2, 64));
    let band = noise_band(trials as usize);
    assert_eq!(report.manifest.focus.trials_ranked, trials as usize);
    assert!((band - 1.96 / 399f64.sqrt()).abs() < 1e-15);
    for s in &report.sensitivity {
        assert_eq!(s.within_noise, s.spearman.abs() < band, "{s:?}");
    }
    let first = &report.sensitivity[0];
    assert_eq!(
        first.parameter,
        scenario.uncertain_parameters().next().unwrap().path
    );
    assert!(!first.within_noise);
    // Sorted by magnitude, the rows within noise are a suffix.
    let marks: Vec<bool> = report.sensitivity.iter().map(|s| s.within_noise).collect();
    assert!(marks.windows(2).all(|w| w[0] <= w[1]), "{marks:?}");
    // Of the independent parameters about 5% land outside the 95% band:
    // binomial, mean 0.05 n, so more than 0.05 n + 4 sd would be a wrong band.
    let independent = report.sensitivity.len() - 1;
    let outside = marks.iter().filter(|&&m| !m).count() - 1;
    let mean = 0.05 * independent as f64;
    let sd = (mean * 0.95).sqrt();
    assert!(
        (outside as f64) <= mean + 4.0 * sd,
        "{outside} of {independent} independent parameters outside the band"
    );
    // The table says where noise begins, once, just before that row.
    let table = report.to_table();
    let lines: Vec<&str> = table.lines().collect();
    let said: Vec<usize> = (0..lines.len())
        .filter(|&k| lines[k].contains("within Monte Carlo noise"))
        .collect();
    let shown = report.sensitivity.len().min(8);
    if let Some(k) = report.sensitivity[..shown]
        .iter()
        .position(|s| s.within_noise)
    {
        assert_eq!(said.len(), 1, "{table}");
        let next = report.sensitivity[k].parameter.as_str();
        assert!(lines[said[0] + 1].trim_start().starts_with(next), "{table}");
    } else {
        assert!(said.is_empty(), "{table}");
    }
}

#[test]
fn limits_follow_the_scenario() {
    let ban = report_for(&export_ban(), 10);
    for fixed in [
        "no re-export leakage: goods that cross a restricted border stay where they land",
        "no endogenous new mines or plants: capacity changes only through the scenario's shocks",
        "prices are multiples of a reference, not forecasts of quoted prices",
        "one demand noise per product shared by all countries",
    ] {
        assert!(ban.limits.iter().any(|l| l == fixed), "missing {fixed}");
    }
    // A scenario with 10 of its 2000 trials aggregated says so.
    assert!(ban
        .limits
        .iter()
        .any(|l| l.contains("10 of the scenario's 2000 trials")));

    let licence = Scenario::from_toml(
        "licence.toml",
        r#"
[scenario]
name = "Dy licensing"
horizon_months = 12
trials = 10
seed = 1
report = [{ country = "JPN", product = "dytb_oxide" }]

[[shock]]
kind = "export_restriction"
from = "CHN"
products = ["dytb_oxide"]
to = "all"
mode = "license"
approval = 0.3
delay_months = 2
start_month = 1
"#,
        ".",
    )
    .expect("valid scenario");
    let report = report_for(&licence, 10);
    assert!(report
        .limits
        .iter()
        .any(|l| l.starts_with("licences are approved as a share of asks")));
    assert!(!ban.limits.iter().any(|l| l.starts_with("licences")));
}

#[test]
fn a_focus_outcome_that_never_varies_is_named_in_the_limits() {
    let scenario = export_ban();
    let report = |focus: Option<f64>| {
        let mut stats = RunStatistics::new(&scenario);
        for t in 0..20 {
            let mut r = record(&scenario, t);
            if let Some(x) = focus {
                r.focus = x;
            }
            stats.add(&r);
        }
        Report::new(&scenario, &stats, Manifest::new(2, 64))
    };
    let constant = report(Some(0.0));
    assert!(
        constant.limits.iter().any(|l| l
            == "the focus outcome (shortfall of USA ndfeb_magnet) is 0 in every trial, so the rank correlations are 0 and rank nothing: choose another focus"),
        "{:?}",
        constant.limits
    );
    assert!(constant.sensitivity.iter().all(|s| s.spearman == 0.0));
    let varying = report(None);
    assert!(!varying.limits.iter().any(|l| l.contains("focus outcome")));
}

#[test]
fn csv_files_parse_back_with_headers_and_rows() {
    let scenario = export_ban();
    let report = report_for(&scenario, 120);
    let dir = temp_dir("csv");
    let paths = report.write_csv(&dir).expect("CSV written");
    let read = |name: &str| -> Vec<Vec<String>> {
        let path = dir.join(name);
        assert!(paths.contains(&path), "{name} not returned");
        std::fs::read_to_string(&path)
            .expect("readable")
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let entries = report.results.len();

    let shortfall = read("shortfall.csv");
    assert_eq!(shortfall[0], ["country", "product", "statistic", "value"]);
    let rows = &shortfall[1..];
    assert_eq!(rows.len() % entries, 0);
    let per_entry = rows.len() / entries;
    for statistic in [
        "probability",
        "mean_tonnes",
        "p95_tonnes",
        "cvar95_tonnes",
        "mean_loss_share",
    ] {
        let count = rows.iter().filter(|r| r[2] == statistic).count();
        assert_eq!(count, entries, "{statistic}");
    }
    assert!(rows
        .iter()
        .all(|r| r.len() == 4 && r[3].parse::<f64>().is_ok()));
    let first_mean: f64 = rows[..per_entry]
        .iter()
        .find(|r| r[2] == "mean_tonnes")
        .and_then(|r| r[3].parse().ok())
        .expect("mean_tonnes of the first entry");
    assert_eq!(first_mean, report.results[0].shortfall.mean_tonnes);

    let fan = read("price_fan.csv");
    assert_eq!(
        fan[0],
        ["country", "product", "month", "quantile", "price_multiple"]
    );
    assert_eq!(
        fan.len() - 1,
        entries * scenario.horizon_months as usize * 5
    );

    let concentration = read("concentration.csv");
    assert_eq!(
        concentration[0],
        ["kind", "name", "when", "country", "share"]
    );
    let shares: usize = report
        .concentration
        .iter()
        .map(|r| r.first.shares.len() + r.last.shares.len())
        .sum();
    assert_eq!(concentration.len() - 1, shares);

    let sensitivity = read("sensitivity.csv");
    assert_eq!(sensitivity[0], ["parameter", "spearman", "within_noise"]);
    assert_eq!(sensitivity.len() - 1, report.sensitivity.len());

    let split = read("split_market.csv");
    assert_eq!(split[0], ["exporter", "product", "quantile", "peak_gap"]);
    assert_eq!(split.len() - 1, 3 * report.split_market.len());

    // Atomic writes leave no temporary files behind.
    assert_eq!(
        file_names(&dir),
        [
            "concentration.csv",
            "price_fan.csv",
            "sensitivity.csv",
            "shortfall.csv",
            "split_market.csv"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Checks that tags nest properly and attributes are quoted: enough to catch
/// unescaped text or a missing close tag.
fn assert_well_formed(svg: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        assert!(!text.contains('>'), "stray '>' in text {text:?}");
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in {tag:?}"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("tag name");
            open.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    assert!(!rest.contains('>'));
    // Every '&' starts an entity.
    for (i, _) in svg.match_indices('&') {
        let entity = &svg[i..svg.len().min(i + 6)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "bare & at {entity:?}"
        );
    }
}

#[test]
fn svg_charts_are_written_atomically_and_well_formed() {
    let scenario = export_ban();
    let report = report_for(&scenario, 80);
    let dir = temp_dir("svg");
    let paths = report.write_svg(&dir).expect("SVG written");
    assert_eq!(paths.len(), report.results.len() + 1);
    for result in &report.results {
        let path = dir.join(format!("fan_{}_{}.svg", result.country, result.product));
        assert!(paths.contains(&path), "{} not returned", path.display());
        let svg = std::fs::read_to_string(&path).expect("readable");
        assert!(svg.starts_with("<svg"), "{}", path.display());
        // Two bands (p5-p95 and p25-p75), one median line, the dashed line at 1.
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains(&result.product) && svg.contains(&result.country));
        assert_well_formed(&svg);
    }
    let tornado = std::fs::read_to_string(dir.join("tornado.svg")).expect("tornado written");
    assert!(tornado.starts_with("<svg"));
    assert_well_formed(&tornado);
    for s in report.sensitivity.iter().take(20) {
        assert!(
            tornado.contains(&s.parameter),
            "{} not labelled",
            s.parameter
        );
    }
    // Atomic writes leave no temporary files behind.
    assert_eq!(file_names(&dir).len(), paths.len());
    assert!(file_names(&dir)
        .iter()
        .all(|n| n.ends_with(".svg") && !n.starts_with('.')));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `1234567.0` as `1,234,567`.
fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.round());
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[test]
fn table_reads_at_a_glance() {
    let scenario = export_ban();
    let report = report_for(&scenario, 150);
    let table = report.to_table();
    assert!(table.starts_with(&scenario.name));
    assert!(table.contains("150 trials"));
    assert!(table.contains("seed 2025"));
    for r in &report.results {
        assert!(table.contains(&format!("{} {}", r.country, r.product)));
        // Tonnes in the thousands carry separators.
        assert!(r.shortfall.p50_tonnes >= 1000.0);
        assert!(table.contains(&format!("{} t", grouped(r.shortfall.p50_tonnes))));
    }
    assert!(table.contains("Sensitivity of USA ndfeb_magnet shortfall"));
    assert!(table.contains("What this run cannot tell you"));
    for limit in &report.limits {
        assert!(table.contains(limit.as_str()));
    }
    // At most 8 tornado rows.
    let bars = table.lines().filter(|l| l.contains('|')).count();
    assert!(
        bars <= 8 && bars == report.sensitivity.len().min(8),
        "{bars}"
    );
}
