//! Tidy CSV: one row per observation, one file per kind of observation.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use super::files::write_atomic;
use super::{EntryResult, Report};

impl Report {
    /// Writes the report as tidy CSV files in `dir` (created if needed), each
    /// atomically, and returns their paths:
    ///
    /// - `shortfall.csv`: `country,product,statistic,value`, every scalar of
    ///   each result (the JSON `shortfall` fields by name, then the price
    ///   scalars prefixed `price_`);
    /// - `price_fan.csv`: `country,product,month,quantile,price_multiple`,
    ///   quantile `p5`, `p25`, `p50`, `p75` or `p95`;
    /// - `concentration.csv`: `kind,name,when,country,share`, `when` being
    ///   `first` or `last`, positive median shares only;
    /// - `sensitivity.csv`: `parameter,spearman,within_noise`, in tornado order;
    /// - `split_market.csv`: `exporter,product,quantile,peak_gap`.
    ///
    /// Fields are quoted only when they must be (RFC 4180).
    pub fn write_csv(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut shortfall = Csv::new(&["country", "product", "statistic", "value"]);
        let mut fan = Csv::new(&["country", "product", "month", "quantile", "price_multiple"]);
        for result in &self.results {
            let (c, p) = (result.country.as_str(), result.product.as_str());
            for (statistic, value) in entry_statistics(result) {
                // An undefined statistic is an empty cell.
                shortfall.row(&[c, p, statistic, &value.map_or(String::new(), number)]);
            }
            for m in &result.price.fan {
                let month = m.month.to_string();
                for (q, value) in [
                    ("p5", m.p5),
                    ("p25", m.p25),
                    ("p50", m.p50),
                    ("p75", m.p75),
                    ("p95", m.p95),
                ] {
                    fan.row(&[c, p, &month, q, &number(value)]);
                }
            }
        }

        let mut concentration = Csv::new(&["kind", "name", "when", "country", "share"]);
        for row in &self.concentration {
            for (when, snapshot) in [("first", &row.first), ("last", &row.last)] {
                for share in &snapshot.shares {
                    concentration.row(&[
                        row.kind.name(),
                        &row.name,
                        when,
                        &share.country,
                        &number(share.share),
                    ]);
                }
            }
        }

        let mut sensitivity = Csv::new(&["parameter", "spearman", "within_noise"]);
        for s in &self.sensitivity {
            let noise = if s.within_noise { "true" } else { "false" };
            sensitivity.row(&[&s.parameter, &number(s.spearman), noise]);
        }

        let mut split = Csv::new(&["exporter", "product", "quantile", "peak_gap"]);
        for s in &self.split_market {
            let gap = s.peak_gap.as_ref().map(|g| [g.p5, g.p50, g.p95]);
            for (k, q) in ["p5", "p50", "p95"].into_iter().enumerate() {
                // Empty where the JSON has `null`: no customers in month 0.
                let value = gap.map(|g| number(g[k])).unwrap_or_default();
                split.row(&[&s.exporter, &s.product, q, &value]);
            }
        }

        [
            ("shortfall.csv", shortfall),
            ("price_fan.csv", fan),
            ("concentration.csv", concentration),
            ("sensitivity.csv", sensitivity),
            ("split_market.csv", split),
        ]
        .into_iter()
        .map(|(name, csv)| write_atomic(dir, name, &csv.text))
        .collect()
    }
}

/// Every scalar of a result, named as in the JSON (price scalars prefixed);
/// `None` where the JSON has `null`.
fn entry_statistics(r: &EntryResult) -> Vec<(&'static str, Option<f64>)> {
    let s = &r.shortfall;
    let p = &r.price;
    let count = |n: u32| Some(f64::from(n));
    vec![
        ("probability", Some(s.probability)),
        ("mean_tonnes", Some(s.mean_tonnes)),
        ("p5_tonnes", Some(s.p5_tonnes)),
        ("p50_tonnes", Some(s.p50_tonnes)),
        ("p95_tonnes", Some(s.p95_tonnes)),
        ("cvar95_tonnes", Some(s.cvar95_tonnes)),
        ("mean_share_of_demand", Some(s.mean_share_of_demand)),
        ("stderr_tonnes", Some(s.stderr_tonnes)),
        ("mean_loss_tonnes", Some(s.mean_loss_tonnes)),
        ("mean_loss_share", Some(s.mean_loss_share)),
        ("months_short_mean", Some(s.months_short_mean)),
        ("worst_month_mean_tonnes", Some(s.worst_month_mean_tonnes)),
        ("recovery_median_months", s.recovery_median_months),
        ("recovery_censored_share", Some(s.recovery_censored_share)),
        ("idle_input_mean_tonnes", Some(s.idle_input_mean_tonnes)),
        ("short_trials", count(s.short_trials)),
        ("recovered_trials", count(s.recovered_trials)),
        ("censored_trials", count(s.censored_trials)),
        (
            "mean_normal_demand_tonnes",
            Some(s.mean_normal_demand_tonnes),
        ),
        ("mean_served_tonnes", Some(s.mean_served_tonnes)),
        ("price_reference_usd_per_kg", Some(p.reference_usd_per_kg)),
        ("price_choke_multiple", Some(p.choke_multiple)),
        ("price_peak_multiple_p5", Some(p.peak_multiple.p5)),
        ("price_peak_multiple_p50", Some(p.peak_multiple.p50)),
        ("price_peak_multiple_p95", Some(p.peak_multiple.p95)),
        ("price_choke_share", Some(p.choke_share)),
    ]
}

/// CSV text being built.
struct Csv {
    text: String,
}

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            text: String::new(),
        };
        csv.row(header);
        csv
    }

    /// Appends a record, CRLF-terminated as RFC 4180 has it.
    fn row(&mut self, fields: &[&str]) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(&quote(f));
        }
        self.text.push_str("\r\n");
    }
}

/// A field, in double quotes (inner quotes doubled) only if it holds a comma,
/// a quote or a line break.
fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// A number as the shortest text that reads back to the same `f64`; very
/// large or small magnitudes in exponent form (`1e-9`) rather than a long
/// run of zeros.
fn number(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 || (1e-6..1e15).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::{number, quote};

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("USA"), "USA");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn numbers_read_back() {
        for x in [0.0, 1.0, 0.1, 1234.5678, 1e-9, 3e20, -2.5] {
            assert_eq!(number(x).parse::<f64>().ok(), Some(x), "{x}");
        }
    }
}
