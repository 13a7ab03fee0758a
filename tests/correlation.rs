//! `[[correlation]]`: rank correlations through a Gaussian copula (MODEL.md
//! section 5).

use shortfall::statistics::spearman;
use shortfall::Scenario;

const BASE: &str = r#"
[scenario]
horizon_months = 12
trials = 100
seed = 11
report = [{ country = "USA", product = "ndfeb_magnet" }]

[[shock]]
id = "ban"
kind = "export_restriction"
from = "CHN"
products = ["ndfeb_magnet"]
mode = "license"
approval = { dist = "uniform", min = 0.2, max = 0.8 }
duration_months = { dist = "pert", min = 6, mode = 12, max = 24 }

[[shock]]
id = "surge"
kind = "demand"
country = "all"
product = "ndfeb_magnet"
multiplier = { dist = "lognormal", median = 1.1, sd_log = 0.1 }
"#;

fn scenario(correlations: &str) -> Scenario {
    Scenario::from_toml("c.toml", format!("{BASE}{correlations}"), ".")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn values(s: &Scenario, path: &str, trials: u32) -> Vec<f64> {
    let i = s.parameters.iter().position(|p| p.path == path).unwrap();
    (0..trials).map(|t| s.draw(t).values[i]).collect()
}

#[test]
fn achieved_rank_correlations_match_their_targets() {
    let s = scenario(
        r#"
[[correlation]]
between = ["shock.ban.duration_months", "shock.ban.approval"]
rho = -0.6

[[correlation]]
between = ["shock.surge.multiplier", "shock.ban.approval"]
rho = 0.4
"#,
    );
    let n = 20_000;
    let duration = values(&s, "shock.ban.duration_months", n);
    let approval = values(&s, "shock.ban.approval", n);
    let surge = values(&s, "shock.surge.multiplier", n);
    // The sample Spearman coefficient has a standard error below 1/sqrt(n - 1)
    // (0.007 here); 4 of them, plus the small rank ties of a rounded month count.
    let tolerance = 4.0 / f64::from(n - 1).sqrt() + 0.01;
    let r1 = spearman(&duration, &approval);
    let r2 = spearman(&surge, &approval);
    assert!((r1 + 0.6).abs() < tolerance, "duration ~ approval: {r1}");
    assert!((r2 - 0.4).abs() < tolerance, "surge ~ approval: {r2}");
    // A pair no entry names is uncorrelated in the normals' scale (the matrix
    // holds 0 there), so its rank correlation stays near zero.
    let r3 = spearman(&duration, &surge);
    assert!(r3.abs() < tolerance, "duration ~ surge: {r3}");
}

#[test]
fn marginals_and_common_random_numbers_are_kept() {
    let plain = scenario("");
    let correlated = scenario(
        r#"
[[correlation]]
between = ["shock.ban.approval", "shock.ban.duration_months"]
rho = 0.8
"#,
    );
    let n = 5000;
    // The first parameter of the copula keeps exactly its own draw.
    assert!(
        values(&plain, "shock.ban.approval", n) == values(&correlated, "shock.ban.approval", n)
    );
    // The second keeps its distribution: same mean within sampling error.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let a = values(&plain, "shock.ban.duration_months", n);
    let b = values(&correlated, "shock.ban.duration_months", n);
    let sd = (a.iter().map(|x| (x - mean(&a)).powi(2)).sum::<f64>() / f64::from(n - 1)).sqrt();
    // Two means of n draws each: difference sd is sd * sqrt(2/n); allow 4 of them.
    assert!((mean(&a) - mean(&b)).abs() < 4.0 * sd * (2.0 / f64::from(n)).sqrt());
    assert!(a != b);
    let (lo, hi) = b
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    assert!(lo >= 6.0 && hi <= 24.0);
}

fn error(correlations: &str) -> String {
    match Scenario::from_toml("c.toml", format!("{BASE}{correlations}"), ".") {
        Ok(_) => panic!("accepted: {correlations}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_matrix_that_is_not_positive_definite_names_the_conflicting_entries() {
    let message = error(
        r#"
[[correlation]]
between = ["shock.ban.duration_months", "shock.ban.approval"]
rho = 0.9

[[correlation]]
between = ["shock.ban.approval", "shock.surge.multiplier"]
rho = 0.9

[[correlation]]
between = ["shock.ban.duration_months", "shock.surge.multiplier"]
rho = -0.9
"#,
    );
    assert!(message.contains("not positive definite"), "{message}");
    for part in [
        "shock.ban.duration_months ~ shock.ban.approval = 0.9",
        "shock.ban.approval ~ shock.surge.multiplier = 0.9",
        "= -0.9",
    ] {
        assert!(message.contains(part), "{message}");
    }
    assert!(message.starts_with("c.toml:"), "{message}");
}

#[test]
fn bad_entries_are_refused_with_a_located_reason() {
    let unknown = error("[[correlation]]\nbetween = [\"shock.ban.aproval\", \"shock.ban.duration_months\"]\nrho = 0.3\n");
    assert!(
        unknown.contains("did you mean `shock.ban.approval`"),
        "{unknown}"
    );
    let fixed = error("[[correlation]]\nbetween = [\"shock.ban.start_month\", \"shock.ban.approval\"]\nrho = 0.3\n");
    assert!(fixed.contains("is a fixed number"), "{fixed}");
    let range = error("[[correlation]]\nbetween = [\"shock.ban.approval\", \"shock.ban.duration_months\"]\nrho = 1.5\n");
    assert!(range.contains("a rank correlation in -1..1"), "{range}");
    let itself = error(
        "[[correlation]]\nbetween = [\"shock.ban.approval\", \"shock.ban.approval\"]\nrho = 0.5\n",
    );
    assert!(itself.contains("with itself"), "{itself}");
    let twice = error("[[correlation]]\nbetween = [\"shock.ban.approval\", \"shock.ban.duration_months\"]\nrho = 0.5\n[[correlation]]\nbetween = [\"shock.ban.duration_months\", \"shock.ban.approval\"]\nrho = 0.2\n");
    assert!(twice.contains("already correlated"), "{twice}");
}
