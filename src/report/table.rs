//! The plain-text report: what a reader should see at a glance.

use std::fmt;

use super::{EntryResult, Report};

/// Rows of the text tornado.
const TORNADO_ROWS: usize = 8;
/// Characters of a full tornado bar (|rho| = 1) on either side of the axis.
const TORNADO_HALF_WIDTH: usize = 20;
/// Width of the label column of an entry block.
const LABEL_WIDTH: usize = 26;
/// Width of the value column of an entry block (values are right-aligned).
const VALUE_WIDTH: usize = 22;

impl Report {
    /// The report as aligned plain text: a header, one block per report
    /// entry (shortfall, loss, recovery, price), the split-market gaps, the
    /// top rows of the sensitivity tornado, and the limits. Tonnes carry
    /// thousands separators; shares of demand are of mean normal demand.
    pub fn to_table(&self) -> String {
        Table(self).to_string()
    }
}

struct Table<'a>(&'a Report);

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let s = &r.scenario;
        writeln!(f, "{}", s.name)?;
        writeln!(
            f,
            "{} trials, seed {}, horizon {} months, {} threads (scenario {}, world {}, shortfall {})",
            grouped(f64::from(r.manifest.trials_run)),
            s.seed,
            s.horizon_months,
            r.manifest.threads,
            s.hash,
            r.manifest.world_hash,
            r.manifest.crate_version
        )?;
        if let Some(stop) = &r.manifest.stopped {
            // The relative standard error is that of the focus outcome's mean.
            match stop.relative_error {
                None => writeln!(
                    f,
                    "precision {} reached after {} trials (relative standard error of the mean {} {} {})",
                    stop.target,
                    grouped(f64::from(stop.trials)),
                    r.manifest.focus.country,
                    r.manifest.focus.product,
                    r.manifest.focus.outcome
                )?,
                Some(e) => writeln!(
                    f,
                    "precision {} not reached within {} trials (relative standard error of the mean {} {} {}: {e:.4})",
                    stop.target,
                    grouped(f64::from(stop.trials)),
                    r.manifest.focus.country,
                    r.manifest.focus.product,
                    r.manifest.focus.outcome
                )?,
            }
        }
        for result in &r.results {
            writeln!(f)?;
            entry_block(f, result)?;
        }
        if !r.split_market.is_empty() {
            writeln!(f)?;
            split_market(f, r)?;
        }
        writeln!(f)?;
        tornado(f, r)?;
        writeln!(f)?;
        writeln!(f, "What this run cannot tell you")?;
        for limit in &r.limits {
            writeln!(f, "  - {limit}")?;
        }
        Ok(())
    }
}

/// One aligned line of an entry block; `note` may be empty.
fn line(f: &mut fmt::Formatter<'_>, label: &str, value: &str, note: &str) -> fmt::Result {
    let mut text = format!("  {label:<LABEL_WIDTH$}{value:>VALUE_WIDTH$}");
    if !note.is_empty() {
        text.push_str("  ");
        text.push_str(note);
    }
    writeln!(f, "{text}")
}

fn entry_block(f: &mut fmt::Formatter<'_>, r: &EntryResult) -> fmt::Result {
    let s = &r.shortfall;
    let p = &r.price;
    // Quantiles are shown against mean normal demand: a per-trial share of
    // each quantile is not kept.
    let of_demand = |t: f64| {
        if s.mean_normal_demand_tonnes > 0.0 {
            percent(t / s.mean_normal_demand_tonnes)
        } else {
            "-".to_string()
        }
    };
    writeln!(
        f,
        "{} {}  (normal demand {} over the horizon)",
        r.country,
        r.product,
        tonnes(s.mean_normal_demand_tonnes)
    )?;
    line(
        f,
        "shortfall probability",
        &percent(s.probability),
        "of trials with a short month",
    )?;
    line(
        f,
        "shortfall, mean",
        &tonnes(s.mean_tonnes),
        // Of mean normal demand, like the quantiles below (the JSON's
        // `mean_share_of_demand` is the mean of each trial's share of its
        // final demand).
        &format!(
            "{} (s.e. {})",
            of_demand(s.mean_tonnes),
            tonnes(s.stderr_tonnes)
        ),
    )?;
    line(
        f,
        "shortfall, p50 / p95",
        &format!("{} / {}", tonnes(s.p50_tonnes), tonnes(s.p95_tonnes)),
        &format!("{} / {}", of_demand(s.p50_tonnes), of_demand(s.p95_tonnes)),
    )?;
    line(
        f,
        "shortfall, worst 5% mean",
        &tonnes(s.cvar95_tonnes),
        &of_demand(s.cvar95_tonnes),
    )?;
    line(
        f,
        "loss, mean",
        &tonnes(s.mean_loss_tonnes),
        &format!("{} (rationed and priced out)", percent(s.mean_loss_share)),
    )?;
    line(
        f,
        "months short, mean",
        &format!("{:.1}", s.months_short_mean),
        "",
    )?;
    line(
        f,
        "worst month, mean",
        &tonnes(s.worst_month_mean_tonnes),
        "",
    )?;
    let (recovery, note) = if s.short_trials == 0 {
        ("-".to_string(), "never short".to_string())
    } else if let Some(median) = s.recovery_median_months {
        (
            // Display drops a trailing `.0`: `7 months`, `7.5 months`.
            format!("{median} months"),
            format!(
                "median; {} of short trials never recover",
                percent(s.recovery_censored_share)
            ),
        )
    } else {
        (
            "beyond the horizon".to_string(),
            format!(
                "median; {} of {} short trials never recover",
                percent(s.recovery_censored_share),
                grouped(f64::from(s.short_trials))
            ),
        )
    };
    line(f, "recovery", &recovery, &note)?;
    line(f, "idle input, mean", &tonnes(s.idle_input_mean_tonnes), "")?;
    line(
        f,
        "price reference",
        &format!("{:.2} USD/kg", p.reference_usd_per_kg),
        &format!("choke at {}", multiple(p.choke_multiple)),
    )?;
    line(
        f,
        "peak price, p50",
        &multiple(p.peak_multiple.p50),
        &format!(
            "p5-p95 {} - {}",
            multiple(p.peak_multiple.p5),
            multiple(p.peak_multiple.p95)
        ),
    )?;
    line(f, "reached choke", &percent(p.choke_share), "of trials")
}

fn split_market(f: &mut fmt::Formatter<'_>, r: &Report) -> fmt::Result {
    writeln!(
        f,
        "Split market: peak ratio of customers' price to the exporter's own"
    )?;
    let exporter_width = r
        .split_market
        .iter()
        .map(|s| s.exporter.len())
        .max()
        .unwrap_or(0)
        .max("exporter".len());
    let product_width = r
        .split_market
        .iter()
        .map(|s| s.product.len())
        .max()
        .unwrap_or(0)
        .max("product".len());
    writeln!(
        f,
        "  {:<exporter_width$}  {:<product_width$}  {:>9}  {:>9}  {:>9}",
        "exporter", "product", "p5", "p50", "p95"
    )?;
    for s in &r.split_market {
        let Some(g) = &s.peak_gap else {
            writeln!(
                f,
                "  {:<exporter_width$}  {:<product_width$}  no customers: nothing to offer in month 0",
                s.exporter, s.product
            )?;
            continue;
        };
        writeln!(
            f,
            "  {:<exporter_width$}  {:<product_width$}  {:>9}  {:>9}  {:>9}",
            s.exporter,
            s.product,
            multiple(g.p5),
            multiple(g.p50),
            multiple(g.p95)
        )?;
    }
    Ok(())
}

fn tornado(f: &mut fmt::Formatter<'_>, r: &Report) -> fmt::Result {
    let focus = &r.manifest.focus;
    let shown = r.sensitivity.len().min(TORNADO_ROWS);
    writeln!(
        f,
        "Sensitivity of {} {} {} (Spearman rank correlation; top {} of {})",
        focus.country,
        focus.product,
        focus.outcome,
        shown,
        r.sensitivity.len()
    )?;
    if shown == 0 {
        return writeln!(f, "  no uncertain parameters");
    }
    let width = r.sensitivity[..shown]
        .iter()
        .map(|s| s.parameter.len())
        .max()
        .unwrap_or(0);
    let mut noise_said = false;
    for s in &r.sensitivity[..shown] {
        // The rows are sorted by magnitude, so those within noise come last,
        // under one line that says so.
        if s.within_noise && !noise_said {
            noise_said = true;
            writeln!(
                f,
                "  (below: smaller than ±{:.3}, within Monte Carlo noise at the 95% level over {} trials)",
                focus.shown_noise_band(),
                grouped(focus.trials_ranked as f64)
            )?;
        }
        // Rounded and capped, so a coefficient a hair above 1 cannot overrun.
        let hashes = ((s.spearman.abs() * TORNADO_HALF_WIDTH as f64).round() as usize)
            .min(TORNADO_HALF_WIDTH);
        let bar = "#".repeat(hashes);
        let (left, right) = if s.spearman < 0.0 {
            (bar, String::new())
        } else {
            (String::new(), bar)
        };
        let text = format!(
            "  {:<width$}  {:+.2}  {left:>TORNADO_HALF_WIDTH$}|{right}",
            s.parameter, s.spearman
        );
        writeln!(f, "{}", text.trim_end())?;
    }
    Ok(())
}

/// A whole number with thousands separators (`1,234,567`).
fn grouped(x: f64) -> String {
    let x = if x.is_finite() { x.round() } else { 0.0 };
    let digits = format!("{:.0}", x.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if x < 0.0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Tonnes: whole tonnes with separators, or two decimals below 10 t, where
/// rounding to a whole number would hide the amount.
fn tonnes(t: f64) -> String {
    if t != 0.0 && t.abs() < 10.0 {
        format!("{t:.2} t")
    } else {
        format!("{} t", grouped(t))
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

fn multiple(m: f64) -> String {
    if m >= 100.0 {
        format!("{}x", grouped(m))
    } else {
        format!("{m:.2}x")
    }
}

#[cfg(test)]
mod tests {
    use super::{grouped, tonnes};

    #[test]
    fn thousands_separators() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(grouped(1234567.0), "1,234,567");
        assert_eq!(grouped(-12345.0), "-12,345");
        assert_eq!(tonnes(3.456), "3.46 t");
        assert_eq!(tonnes(12345.6), "12,346 t");
    }
}
