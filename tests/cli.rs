//! The `shortfall` command as a user meets it: exit codes, where output goes,
//! and the interface names the issues fix (commands, flags, JSON keys).

use std::path::{Path, PathBuf};
mod common;

use common::{shortfall, stderr, stdout};

fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
    files.sort();
    files
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shortfall-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_accepts_every_shipped_scenario() {
    let files = scenarios();
    assert!(files.len() >= 9, "{files:?}");
    for file in files {
        let out = shortfall(&["check", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
        assert!(stdout(&out).contains(": ok"), "{}", stdout(&out));
        assert!(stdout(&out).contains("uncertain parameters"));
    }
}

#[test]
fn bad_input_exits_1_with_a_located_message_on_stderr_only() {
    let out = shortfall(&["check", "tests/bad_scenarios/unknown_country_id.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("error: tests/bad_scenarios/unknown_country_id.toml:"),
        "{err}"
    );
    assert!(err.contains("did you mean `CHN`?"), "{err}");
    assert!(!err.contains("panicked"));

    let missing = shortfall(&["run", "no/such/file.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read scenario no/such/file.toml"));
}

#[test]
fn world_prints_shares_and_json_with_the_fixed_keys() {
    let table = shortfall(&["world"]);
    assert!(table.status.success());
    assert!(stdout(&table).contains("separation"));
    assert!(stdout(&table).contains("The world is balanced."));

    let out = shortfall(&["world", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (list, key) in [
        ("stages", "stage"),
        ("processes", "process"),
        ("products", "product"),
    ] {
        let rows = json[list].as_array().unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            assert!(row[key].is_string() && row["hhi"].is_number(), "{row}");
            let share = &row["shares"][0];
            assert!(share["country"].is_string() && share["share"].is_number());
        }
    }
    let reserves = json["reserves"].as_array().unwrap();
    assert_eq!(reserves[0]["country"], "CHN");
    assert_eq!(reserves[0]["tonnes"], 44_000_000.0);
    assert!(reserves[0]["source"].as_str().unwrap().contains("USGS"));

    let other = shortfall(&["world", "--world", "tests/bad_scenarios/worlds/cycle.toml"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(stderr(&other).contains("cycle"));
}

#[test]
fn run_json_is_byte_identical_whatever_the_thread_count() {
    let run = |threads: &str| {
        let out = shortfall(&[
            "run",
            "scenarios/export_ban.toml",
            "--trials",
            "96",
            "--threads",
            threads,
            "--json",
            "-",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("7"));
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(json["schema"], "shortfall.report/3");
    for key in ["name", "hash", "seed", "trials", "horizon_months"] {
        assert!(!json["scenario"][key].is_null(), "scenario.{key}");
    }
    let result = &json["results"][0];
    for key in [
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
    ] {
        assert!(result["shortfall"][key].is_number(), "shortfall.{key}");
    }
    assert!(result["price"]["reference_usd_per_kg"].is_number());
    for key in ["p5", "p50", "p95"] {
        assert!(result["price"]["peak_multiple"][key].is_number());
    }
    let fan = result["price"]["fan"].as_array().unwrap();
    assert_eq!(fan.len(), 36);
    for key in ["month", "p5", "p25", "p50", "p75", "p95"] {
        assert!(fan[0][key].is_number(), "fan.{key}");
    }
    for key in ["concentration", "sensitivity", "manifest"] {
        assert!(!json[key].is_null(), "{key}");
    }
    assert_eq!(json["scenario"]["trials"], 96);
}

#[test]
fn run_overrides_and_writes_every_format() {
    let dir = temp_dir("formats");
    let json = dir.join("report.json");
    let out = shortfall(&[
        "run",
        "scenarios/china_licensing_2025.toml",
        "--trials",
        "40",
        "--seed",
        "9",
        "--horizon",
        "12",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        dir.join("csv").to_str().unwrap(),
        "--svg",
        dir.join("svg").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("China licensing"),
        "the table goes to stdout"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["scenario"]["seed"], 9);
    assert_eq!(report["scenario"]["horizon_months"], 12);
    assert!(dir.join("csv/shortfall.csv").exists());
    assert!(dir.join("svg/tornado.svg").exists());
    assert!(dir.join("svg/fan_USA_y_oxide.svg").exists());
    let quiet = shortfall(&["run", "scenarios/baseline.toml", "--trials", "8", "--quiet"]);
    assert!(quiet.status.success() && quiet.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_shipped_scenario_runs() {
    for file in scenarios() {
        let out = shortfall(&[
            "run",
            file.to_str().unwrap(),
            "--trials",
            "16",
            "--json",
            "-",
        ]);
        assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["manifest"]["trials"], 16);
    }
}

#[test]
fn replay_prints_the_trial_month_by_month() {
    let out = shortfall(&["replay", "scenarios/export_ban.toml", "--trial", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("trial 3 of seed 2025"));
    assert!(text.contains("shock.ban.duration_months"));
    // One row per month for each of the 15 reported pairs.
    let rows = text
        .lines()
        .filter(|l| l.trim_start().starts_with("35 "))
        .count();
    assert_eq!(rows, 15, "{text}");
}

#[test]
fn replay_writes_every_month_row_at_full_precision_as_csv() {
    let dir = temp_dir("replay_csv");
    let path = dir.join("trial3.csv");
    let args = ["replay", "scenarios/export_ban.toml", "--trial", "3"];
    let with_file = shortfall(&[&args[..], &["--csv", path.to_str().unwrap()]].concat());
    assert!(with_file.status.success(), "{}", stderr(&with_file));
    // The table still goes to stdout; the CSV to the file, and to stdout with `-`.
    assert!(stdout(&with_file).contains("trial 3 of seed 2025"));
    let csv = std::fs::read_to_string(&path).unwrap();
    let piped = shortfall(&[&args[..], &["--csv", "-"]].concat());
    assert_eq!(stdout(&piped), csv);

    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..4], ["trial", "month", "country", "product"]);
    let column = |name: &str| header.iter().position(|&h| h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 36 months of the 15 reported pairs.
    assert_eq!(rows.len(), 36 * 15);
    let mut fractional = 0;
    for row in &rows {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[0], "3");
        let x = |name: &str| row[column(name)].parse::<f64>().unwrap();
        let (demand, served, unserved) = (x("demand_t"), x("served_t"), x("unserved_t"));
        assert!(
            (served + unserved - demand).abs() <= 1e-9 * demand.max(1.0),
            "{row:?}"
        );
        assert!(x("price_multiple") > 0.0);
        // Full precision: digits well beyond the table's whole tonnes.
        fractional += usize::from(
            row[column("received_t")]
                .split('.')
                .nth(1)
                .is_some_and(|d| d.len() > 6),
        );
    }
    assert!(
        fractional > rows.len() / 2,
        "{fractional} of {} rows",
        rows.len()
    );
    // The same figures as the table: USA's magnets in the last month.
    let last = rows
        .iter()
        .find(|r| r[1] == "35" && r[2] == "USA" && r[3] == "ndfeb_magnet")
        .unwrap();
    let price: f64 = last[column("price_multiple")].parse().unwrap();
    let table = stdout(&with_file);
    let usa = table.split("\nUSA ndfeb_magnet").nth(1).unwrap();
    let month35 = usa
        .lines()
        .find(|l| l.trim_start().starts_with("35 "))
        .unwrap();
    assert!(
        month35.ends_with(&format!("{price:.3}")),
        "{month35} against {price}"
    );
}
