//! Resource limits: checked before anything large is allocated, each with a
//! clear message.

use shortfall::input::Limits;
use shortfall::{Scenario, ScenarioError, World, WorldError};

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shortfall-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SCENARIO: &str = "[scenario]\nhorizon_months = 24\ntrials = 1000\nseed = 1\nreport = [{ country = \"USA\", product = \"y_oxide\" }, { country = \"JPN\", product = \"y_oxide\" }]\n\
[[shock]]\nkind = \"demand\"\ncountry = \"all\"\nproduct = \"y_oxide\"\nmultiplier = 1.1\n\
[[shock]]\nkind = \"demand\"\ncountry = \"all\"\nproduct = \"y_oxide\"\nmultiplier = 1.2\n";

fn limited(limits: Limits) -> String {
    let path = temp("s.toml", SCENARIO);
    match Scenario::from_path_with_limits(&path, &limits) {
        Err(e @ ScenarioError::Limit(_)) => e.to_string(),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn the_default_limits_admit_the_shipped_scenarios() {
    assert!(Scenario::from_path_with_limits(temp("ok.toml", SCENARIO), &Limits::default()).is_ok());
}

#[test]
fn each_limit_refuses_with_what_it_counted() {
    let file = limited(Limits {
        max_file_bytes: 100,
        ..Limits::default()
    });
    assert!(
        file.contains("size") && file.contains("exceeds the limit of 100 bytes"),
        "{file}"
    );
    let shocks = limited(Limits {
        max_shocks: 1,
        ..Limits::default()
    });
    assert!(
        shocks.contains("number of shocks: 2 exceeds the limit of 1"),
        "{shocks}"
    );
    let report = limited(Limits {
        max_report_entries: 1,
        ..Limits::default()
    });
    assert!(report.contains("number of report entries: 2"), "{report}");
    let trials = limited(Limits {
        max_trials: 999,
        ..Limits::default()
    });
    assert!(
        trials.contains("trials: 1000 exceeds the limit of 999")
            && trials.contains("--allow-large"),
        "{trials}"
    );
    let horizon = limited(Limits {
        max_horizon_months: 12,
        ..Limits::default()
    });
    assert!(horizon.contains("horizon: 24 months exceeds"), "{horizon}");
    let work = limited(Limits {
        max_work: 1e6,
        ..Limits::default()
    });
    assert!(work.contains("trials x months x countries"), "{work}");
    let fan = limited(Limits {
        max_fan_cells: 10,
        ..Limits::default()
    });
    assert!(fan.contains("report entries x months: 48"), "{fan}");
}

#[test]
fn a_world_larger_than_the_limits_is_refused_before_it_is_read() {
    let path = temp("w.toml", shortfall::world::DEFAULT_WORLD_TOML);
    let limits = Limits {
        max_countries: 5,
        ..Limits::default()
    };
    match World::from_path_with_limits(&path, &limits) {
        Err(WorldError::Limit(e)) => assert!(
            e.to_string()
                .contains("number of countries: 20 exceeds the limit of 5"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let small = Limits {
        max_products: 2,
        ..Limits::default()
    };
    assert!(matches!(
        World::from_path_with_limits(&path, &small),
        Err(WorldError::Limit(_))
    ));
}

#[test]
fn changed_run_sizes_are_checked_again() {
    let mut s = Scenario::from_path(temp("c.toml", SCENARIO)).unwrap();
    s.trials = 60_000_000;
    assert!(s.check_limits(&Limits::default()).is_err());
    s.trials = 1000;
    assert!(s.check_limits(&Limits::default()).is_ok());
}

#[test]
fn the_command_line_checks_its_overrides_and_can_lift_the_run_size_limits() {
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shortfall"))
            .args([
                "run",
                "scenarios/baseline.toml",
                "--trials",
                "1",
                "--horizon",
                "1300",
                "--quiet",
            ])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("horizon: 1300 months exceeds the limit of 1200 months")
            && err.contains("--allow-large"),
        "{err}"
    );
    let allowed = run(&["--allow-large"]);
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
}
