//! The corpus of bad scenario files: each must fail with the message its
//! `# expect:` lines give, at a position in the file, and never panic.

use std::fs;
use std::path::{Path, PathBuf};

use shortfall::Scenario;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/bad_scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn expectations(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .expect("readable corpus file")
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(
        corpus().len() >= 25,
        "only {} bad scenarios",
        corpus().len()
    );
}

#[test]
fn every_bad_scenario_fails_with_its_message_and_position() {
    let mut failures = Vec::new();
    for path in corpus() {
        let expected = expectations(&path);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            path.display()
        );
        match Scenario::from_path(&path) {
            Ok(_) => failures.push(format!("{}: accepted", path.display())),
            Err(e) => {
                let message = e.to_string();
                // Every message starts with the file and a line:column in it.
                let prefix = format!("{}:", path.display());
                let position_ok = message.starts_with(&prefix)
                    && message[prefix.len()..]
                        .split(':')
                        .take(2)
                        .all(|n| n.parse::<usize>().is_ok_and(|n| n >= 1));
                if !position_ok {
                    failures.push(format!(
                        "{}: no file:line:column in `{message}`",
                        path.display()
                    ));
                }
                for want in &expected {
                    if !message.contains(want.as_str()) {
                        failures.push(format!(
                            "{}: `{message}` does not contain `{want}`",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
