//! Runs split into shards: shards run as separate processes and merged give
//! the single run's report byte for byte; `shortfall merge` refuses partials
//! that do not make one run; precision stopping from the command line.

use std::path::{Path, PathBuf};
mod common;

use common::{shortfall, stderr};
use std::sync::OnceLock;

use shortfall::engine::{self, RunOptions, Shard, BATCH_SIZE};
use shortfall::report::partial::{self, Partial, PartialError, Sources};
use shortfall::report::{Manifest, Report};
use shortfall::Scenario;

/// Trials of the runs here: 200 is 4 batches, so 3 shards hold 64, 64 and
/// 72 trials.
const TRIALS: &str = "200";

fn text(path: &Path) -> String {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .to_string()
}

/// A fresh directory for this test process.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shortfall-shards-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Runs shard `k` of `m` of export_ban with `extra` arguments into `path`.
fn run_shard(k: u32, m: u32, path: &Path, extra: &[&str]) {
    let shard = format!("{k}/{m}");
    let path = text(path);
    let mut args = vec![
        "run",
        "scenarios/export_ban.toml",
        "--trials",
        TRIALS,
        "--shard",
        &shard,
        "--partial",
        &path,
    ];
    args.extend_from_slice(extra);
    let out = shortfall(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "a shard writes no report");
}

/// The single run's JSON and three good partials, made once per test binary.
struct Fixture {
    dir: PathBuf,
    single_json: Vec<u8>,
    parts: Vec<PathBuf>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = temp_dir("fixture");
        let out = shortfall(&[
            "run",
            "scenarios/export_ban.toml",
            "--trials",
            TRIALS,
            "--json",
            "-",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        // Three separate processes, in an order unlike the shards'.
        let parts: Vec<PathBuf> = (1..=3).map(|k| dir.join(format!("part{k}"))).collect();
        for k in [3, 1, 2] {
            run_shard(k, 3, &parts[k as usize - 1], &[]);
        }
        Fixture {
            dir,
            single_json: out.stdout,
            parts,
        }
    })
}

/// Runs `shortfall merge` on `partials` with JSON and CSV outputs in a fresh
/// directory, and checks that it refuses: exit code 1, an error on stderr
/// naming each of `named`, nothing on stdout and nothing written.
fn assert_refused(test: &str, partials: &[&Path], named: &[&Path], says: &str) {
    let out_dir = temp_dir(test);
    let json = out_dir.join("merged.json");
    let csv = out_dir.join("csv");
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(partials.iter().map(|p| text(p)));
    args.extend(["--json".into(), text(&json), "--csv".into(), text(&csv)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = shortfall(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{test}: {err}");
    assert!(out.stdout.is_empty(), "{test}");
    assert!(err.starts_with("error: "), "{test}: {err}");
    assert_eq!(err.lines().count(), 1, "{test}: one line: {err}");
    assert!(err.contains(says), "{test}: `{says}` not in {err}");
    for path in named {
        assert!(
            err.contains(&text(path)),
            "{test}: {} not in {err}",
            path.display()
        );
    }
    assert!(
        !json.exists() && !csv.exists(),
        "{test}: nothing is written"
    );
}

/// FNV-1a 64, as the partial format's checksum.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A copy of `from` at `to` with `edit` applied to its text and the
/// checksum recomputed: a well-formed partial that says something else.
fn rewrite(from: &Path, to: &Path, edit: impl FnOnce(String) -> String) {
    let original = std::fs::read_to_string(from).expect("partial is text");
    let body_end = original
        .rfind("checksum ")
        .expect("a partial ends with its checksum");
    let body = edit(original[..body_end].to_string());
    let sum = fnv1a64(body.as_bytes());
    std::fs::write(to, format!("{body}checksum {sum:016x}\n")).expect("writable");
}

#[test]
fn three_shards_in_separate_processes_merge_to_the_single_run_byte_for_byte() {
    let f = fixture();
    let out_dir = temp_dir("merged");
    let csv_merged = out_dir.join("csv-merged");
    let csv_single = out_dir.join("csv-single");
    // Given in any order; merged in shard order.
    let out = shortfall(&[
        "merge",
        &text(&f.parts[1]),
        &text(&f.parts[2]),
        &text(&f.parts[0]),
        "--json",
        "-",
        "--csv",
        &text(&csv_merged),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stdout == f.single_json,
        "the merged JSON differs from the single run's"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["manifest"]["trials_run"], 200);
    assert!(json["manifest"]["stopped"].is_null());

    // The CSV files too.
    let single = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--trials",
        TRIALS,
        "--csv",
        &text(&csv_single),
        "--quiet",
    ]);
    assert!(single.status.success(), "{}", stderr(&single));
    let mut names: Vec<_> = std::fs::read_dir(&csv_single)
        .expect("CSV written")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        let a = std::fs::read(csv_single.join(&name)).expect("single CSV");
        let b = std::fs::read(csv_merged.join(&name)).expect("merged CSV");
        assert!(a == b, "{name:?} differs");
    }

    // The table says how many trials it merged.
    let table = shortfall(&[
        "merge",
        &text(&f.parts[0]),
        &text(&f.parts[1]),
        &text(&f.parts[2]),
    ]);
    assert!(table.status.success());
    assert!(String::from_utf8_lossy(&table.stdout).contains("200 trials, seed 2025"));
    assert!(stderr(&table).contains("merged 3 shards"));
}

#[test]
fn merging_partials_read_back_from_disk_equals_the_whole_run() {
    let dir = temp_dir("library");
    let mut scenario =
        Scenario::from_path("scenarios/export_ban.toml").expect("the shipped scenario is valid");
    scenario.trials = 200;
    let whole = engine::run(&scenario, &RunOptions::default());
    // Four shards of 200 trials: batch boundaries give 0, 64, 64 and 72.
    let paths: Vec<PathBuf> = (0..4).map(|k| dir.join(format!("shard{k}"))).collect();
    for (index, path) in (0..4).zip(&paths) {
        let shard = Shard { index, count: 4 };
        let result = engine::run(
            &scenario,
            &RunOptions {
                shard: Some(shard),
                threads: Some(1),
                ..RunOptions::default()
            },
        );
        let sources = Sources::of(&scenario).expect("the scenario file is readable");
        let partial = Partial::new(&scenario, sources, shard, result).expect("a whole shard");
        partial.write(path).expect("writable");
    }
    let merged = partial::merge_files(&paths).expect("the shards make one run");
    assert_eq!(merged.shards, 4);
    let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(merged.statistics.focus_outcomes()),
        bits(whole.statistics.focus_outcomes())
    );
    let report = |scenario: &Scenario, stats| {
        let r = Report::new(scenario, stats, Manifest::new(1, BATCH_SIZE));
        serde_json::to_string_pretty(&r).expect("serialisable")
    };
    assert!(report(&merged.scenario, &merged.statistics) == report(&scenario, &whole.statistics));

    // A run that is not the whole shard is not a partial.
    let short = engine::run(
        &scenario,
        &RunOptions {
            trials: Some(100),
            shard: Some(Shard { index: 0, count: 1 }),
            ..RunOptions::default()
        },
    );
    let sources = Sources::of(&scenario).expect("readable");
    assert!(matches!(
        Partial::new(&scenario, sources, Shard { index: 0, count: 1 }, short),
        Err(PartialError::Incomplete { .. })
    ));
    assert!(matches!(
        partial::merge(Vec::new()),
        Err(PartialError::Empty)
    ));
}

#[test]
fn merge_refuses_partials_of_different_scenarios() {
    let f = fixture();
    let other = f.dir.join("baseline2");
    let out = shortfall(&[
        "run",
        "scenarios/baseline.toml",
        "--trials",
        TRIALS,
        "--shard",
        "2/3",
        "--partial",
        &text(&other),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(
        "scenarios",
        &[&f.parts[0], &other, &f.parts[2]],
        &[&f.parts[0], &other],
        "different scenarios",
    );
}

#[test]
fn merge_refuses_partials_of_different_worlds() {
    let f = fixture();
    // The same scenario text against two world files that differ by a
    // comment: the scenarios agree, the worlds do not.
    let scenario_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/export_ban.toml"),
    )
    .expect("readable")
    .replace("world = \"default\"", "world = \"world.toml\"");
    let mut parts = Vec::new();
    for (k, comment) in [(1, "# one"), (2, "# two")] {
        let dir = temp_dir(&format!("world{k}"));
        std::fs::write(
            dir.join("world.toml"),
            format!("{}\n{comment}\n", shortfall::world::DEFAULT_WORLD_TOML),
        )
        .expect("writable");
        let scenario = dir.join("scenario.toml");
        std::fs::write(&scenario, &scenario_text).expect("writable");
        let part = f.dir.join(format!("world-part{k}"));
        let out = shortfall(&[
            "run",
            &text(&scenario),
            "--trials",
            "64",
            "--shard",
            &format!("{k}/2"),
            "--partial",
            &text(&part),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        parts.push(part);
    }
    assert_refused(
        "worlds",
        &[&parts[0], &parts[1]],
        &[&parts[0], &parts[1]],
        "different worlds",
    );
}

#[test]
fn merge_refuses_partials_of_different_seeds() {
    let f = fixture();
    let other = f.dir.join("seed7");
    run_shard(2, 3, &other, &["--seed", "7"]);
    assert_refused(
        "seeds",
        &[&f.parts[0], &other, &f.parts[2]],
        &[&f.parts[0], &other],
        "different seeds: seed 7 against seed 2025",
    );
}

#[test]
fn merge_refuses_partials_of_different_trial_counts() {
    let f = fixture();
    let other = f.dir.join("trials256");
    let out = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--trials",
        "256",
        "--shard",
        "2/3",
        "--partial",
        &text(&other),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(
        "trials",
        &[&f.parts[0], &other, &f.parts[2]],
        &[&f.parts[0], &other],
        "different trial counts: 256 trials against 200 trials",
    );
}

#[test]
fn merge_refuses_partials_of_different_versions() {
    let f = fixture();
    let older = f.dir.join("older-crate");
    rewrite(&f.parts[1], &older, |body| {
        body.replace(
            &format!("crate_version {}\n", env!("CARGO_PKG_VERSION")),
            "crate_version 0.0.9\n",
        )
    });
    assert_refused(
        "crate-version",
        &[&f.parts[0], &older, &f.parts[2]],
        &[&f.parts[0], &older],
        "different crate versions: shortfall 0.0.9 against shortfall",
    );

    let newer = f.dir.join("newer-format");
    rewrite(&f.parts[1], &newer, |body| {
        body.replacen("shortfall-partial 2\n", "shortfall-partial 3\n", 1)
    });
    assert_refused(
        "format-version",
        &[&f.parts[0], &newer, &f.parts[2]],
        &[&newer],
        "format version 3",
    );
}

#[test]
fn merge_refuses_a_shard_given_twice() {
    let f = fixture();
    let copy = f.dir.join("part2-copy");
    std::fs::copy(&f.parts[1], &copy).expect("copyable");
    assert_refused(
        "twice",
        &[&f.parts[0], &f.parts[1], &copy, &f.parts[2]],
        &[&f.parts[1], &copy],
        "shard 2/3 is given twice",
    );
}

#[test]
fn merge_refuses_a_missing_shard() {
    let f = fixture();
    assert_refused(
        "missing",
        &[&f.parts[2], &f.parts[0]],
        &[&f.parts[0], &f.parts[2]],
        "missing shard 2/3",
    );
}

#[test]
fn merge_refuses_a_corrupted_file() {
    let f = fixture();
    let original = std::fs::read(&f.parts[1]).expect("readable");

    // One changed digit deep in the statistics still parses: the checksum
    // catches it.
    let flipped = f.dir.join("flipped");
    let mut bytes = original.clone();
    let at = find(&bytes, b"\nunserved ") + 20;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&flipped, &bytes).expect("writable");
    assert_refused(
        "flipped",
        &[&f.parts[0], &flipped, &f.parts[2]],
        &[&flipped],
        "is corrupted: its checksum says",
    );

    // Cut short, as by a copy that failed half way.
    let truncated = f.dir.join("truncated");
    std::fs::write(&truncated, &original[..original.len() / 2]).expect("writable");
    assert_refused(
        "truncated",
        &[&f.parts[0], &truncated, &f.parts[2]],
        &[&truncated],
        "is corrupted: line",
    );

    // Something that parses badly: a count that is not a number,
    // under a valid checksum.
    let garbled = f.dir.join("garbled");
    rewrite(&f.parts[1], &garbled, |body| {
        body.replacen("\nfocus ", "\nfocus x", 1)
    });
    assert_refused(
        "garbled",
        &[&f.parts[0], &garbled, &f.parts[2]],
        &[&garbled],
        "is corrupted: line",
    );

    // Not a partial at all.
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    assert_refused(
        "not-a-partial",
        &[&f.parts[0], &readme, &f.parts[2]],
        &[&readme],
        "is not a shortfall partial result",
    );
}

/// `1234` as the table writes it: `1,234`.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn precision_stops_reports_the_trials_and_equals_a_fixed_run() {
    let dir = temp_dir("precision");
    let json = dir.join("precision.json");
    let out = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--precision",
        "0.01",
        "--trials",
        "5000",
        "--json",
        &text(&json),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let trials: u32 = err
        .trim()
        .strip_prefix("precision 0.01 reached after ")
        .and_then(|rest| rest.strip_suffix(" trials"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no trial count on stderr: {err}"));
    assert!(trials < 5000 && trials % BATCH_SIZE == 0, "{trials}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!(
            "precision 0.01 reached after {} trials",
            grouped(trials)
        )),
        "{table}"
    );
    let precise = std::fs::read_to_string(&json).expect("written");
    let value: serde_json::Value = serde_json::from_str(&precise).expect("JSON");
    assert_eq!(
        value["manifest"]["stopped"],
        serde_json::json!({"reason": "precision", "target": 0.01, "trials": trials})
    );

    // The same bytes as a run of that many trials, once the stop is taken out.
    let fixed = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--trials",
        &trials.to_string(),
        "--json",
        "-",
    ]);
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    let cut = precise
        .find(",\n    \"stopped\": {")
        .expect("the stop is in the manifest");
    let end = cut + 1 + precise[cut + 1..].find("\n    }").expect("closed") + "\n    }".len();
    let without = format!("{}{}", &precise[..cut], &precise[end..]);
    assert!(
        without.as_bytes() == fixed.stdout,
        "precision run and fixed run differ beyond the stop"
    );

    // A target out of reach stops at the cap and says so.
    let capped = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--precision",
        "0.0001",
        "--trials",
        "128",
        "--json",
        "-",
    ]);
    assert!(capped.status.success(), "{}", stderr(&capped));
    assert!(stderr(&capped).contains("precision 0.0001 not reached within 128 trials"));
    let value: serde_json::Value = serde_json::from_slice(&capped.stdout).expect("JSON");
    assert_eq!(value["manifest"]["stopped"]["reason"], "cap");
    assert_eq!(value["manifest"]["stopped"]["trials"], 128);
    assert!(value["manifest"]["stopped"]["relative_error"].as_f64() > Some(0.0001));

    // Precision cannot be judged across shards, and needs a positive target.
    let bad = shortfall(&["run", "scenarios/export_ban.toml", "--precision", "0"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--precision must be a positive number"));
    let both = shortfall(&[
        "run",
        "scenarios/export_ban.toml",
        "--precision",
        "0.01",
        "--shard",
        "1/2",
        "--partial",
        &text(&dir.join("p")),
    ]);
    assert!(!both.status.success());
}
