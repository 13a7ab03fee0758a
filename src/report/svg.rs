//! Hand-written SVG charts: a price fan per report entry and the sensitivity
//! tornado. Plain SVG 1.1 with inline styles, so the files open in any
//! browser and paste into documents without a plotting library.

use crate::math;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use super::files::{file_safe, write_atomic};
use super::{EntryResult, Report};

const FONT: &str = "font-family=\"Helvetica, Arial, sans-serif\"";

/// Fan chart geometry, px.
const FAN_WIDTH: f64 = 720.0;
const FAN_HEIGHT: f64 = 420.0;
const FAN_LEFT: f64 = 70.0;
const FAN_RIGHT: f64 = 24.0;
const FAN_TOP: f64 = 48.0;
const FAN_BOTTOM: f64 = 56.0;

/// Tornado geometry, px.
const TORNADO_ROWS: usize = 20;
const TORNADO_LABELS: f64 = 340.0;
const TORNADO_PLOT: f64 = 360.0;
const TORNADO_RIGHT: f64 = 64.0;
const TORNADO_TOP: f64 = 60.0;
const TORNADO_ROW: f64 = 22.0;
const TORNADO_BOTTOM: f64 = 44.0;

impl Report {
    /// Writes the charts into `dir` (created if needed), each atomically, and
    /// returns their paths: `fan_<country>_<product>.svg` for every result
    /// (price multiple on a log axis by month: p5-p95 and p25-p75 bands, the
    /// median line, a dashed line at the reference price and a dotted one at
    /// the choke multiple when the axis reaches it), then
    /// `tornado.svg` (the Spearman coefficients of the top 20 parameters,
    /// negative to the left).
    pub fn write_svg(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::with_capacity(self.results.len() + 1);
        for result in &self.results {
            let name = format!(
                "fan_{}_{}.svg",
                file_safe(&result.country),
                file_safe(&result.product)
            );
            paths.push(write_atomic(dir, &name, &fan_chart(result))?);
        }
        paths.push(write_atomic(dir, "tornado.svg", &tornado_chart(self))?);
        Ok(paths)
    }
}

/// Text safe inside an XML element or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and line breaks are not
            // allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn open_svg(out: &mut String, width: f64, height: f64) {
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" {FONT} font-size=\"12\">"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"
    );
}

/// A tick of a log axis.
struct Tick {
    value: f64,
    label: String,
    /// A power of ten (kept when the axis has room for few ticks).
    decade: bool,
}

/// Ticks of the 1-2-5 series (…, 0.5, 1, 2, 5, 10, …) covering `lo..=hi`
/// with a decade to spare on each side.
fn log_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    // Exponents are bounded so that absurd inputs cannot make a huge list.
    let first = (math::log10(lo).floor() as i32 - 1).clamp(-300, 300);
    let last = (math::log10(hi).ceil() as i32 + 1).clamp(-300, 300);
    let mut ticks = Vec::new();
    for e in first..=last {
        for k in [1.0, 2.0, 5.0] {
            let value = k * math::powf(10.0, f64::from(e));
            // As many decimals as the exponent needs, so 0.05 prints as
            // `0.05`, not as its binary neighbour.
            let decimals = usize::try_from(-e).unwrap_or(0);
            ticks.push(Tick {
                value,
                label: format!("{value:.decimals$}"),
                decade: k == 1.0,
            });
        }
    }
    ticks
}

fn fan_chart(result: &EntryResult) -> String {
    let fan = &result.price.fan;
    let plot_w = FAN_WIDTH - FAN_LEFT - FAN_RIGHT;
    let plot_h = FAN_HEIGHT - FAN_TOP - FAN_BOTTOM;

    // The y range covers the bands and the reference line at 1, widened to
    // the next ticks of the 1-2-5 series.
    let positive = |v: f64| if v.is_finite() && v > 0.0 { v } else { 1.0 };
    let lo = fan.iter().map(|m| positive(m.p5)).fold(1.0, f64::min);
    let hi = fan.iter().map(|m| positive(m.p95)).fold(1.0, f64::max);
    let all_ticks = log_ticks(lo, hi);
    // `f64::max` and `min` skip NaN, so NaN stands for "no tick found".
    let y_lo = all_ticks
        .iter()
        .map(|t| t.value)
        .filter(|&t| t <= lo / 1.02)
        .fold(f64::NAN, f64::max);
    let y_lo = if y_lo.is_nan() { lo / 1.02 } else { y_lo };
    let y_hi = all_ticks
        .iter()
        .map(|t| t.value)
        .filter(|&t| t >= hi * 1.02)
        .fold(f64::NAN, f64::min);
    let y_hi = if y_hi.is_nan() { hi * 1.02 } else { y_hi };
    let mut ticks: Vec<&Tick> = all_ticks
        .iter()
        .filter(|t| t.value >= y_lo * (1.0 - 1e-9) && t.value <= y_hi * (1.0 + 1e-9))
        .collect();
    if ticks.len() > 12 {
        // Too many to read: keep the powers of ten.
        ticks.retain(|t| t.decade);
    }
    let (ln_lo, ln_hi) = (math::ln(y_lo), math::ln(y_hi));
    let y = |v: f64| FAN_TOP + (ln_hi - math::ln(positive(v))) / (ln_hi - ln_lo) * plot_h;
    let last_month = fan.last().map_or(0, |m| m.month).max(1);
    let x = |month: u32| FAN_LEFT + f64::from(month) / f64::from(last_month) * plot_w;

    let mut out = String::new();
    open_svg(&mut out, FAN_WIDTH, FAN_HEIGHT);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\
         Price of {} in {}</text>",
        FAN_WIDTH / 2.0,
        escape(&result.product),
        escape(&result.country)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">\
         multiple of the reference price {:.2} USD/kg: median, 25-75% and 5-95% of trials</text>",
        FAN_WIDTH / 2.0,
        result.price.reference_usd_per_kg
    );

    // Grid and y ticks.
    for tick in &ticks {
        let yy = y(tick.value);
        let _ = writeln!(
            out,
            "<line x1=\"{FAN_LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e5e5\"/>",
            FAN_LEFT + plot_w
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            FAN_LEFT - 6.0,
            yy + 4.0,
            escape(&tick.label)
        );
    }
    // x ticks: a readable step of months.
    let step = [1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200]
        .into_iter()
        .find(|s| last_month / s <= 12)
        .unwrap_or(last_month);
    let mut month = 0;
    while month <= last_month {
        let xx = x(month);
        let base = FAN_TOP + plot_h;
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
            base + 5.0
        );
        let _ = writeln!(
            out,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{month}</text>",
            base + 18.0
        );
        month = month.saturating_add(step.max(1));
    }

    // Bands: the upper edge left to right, then the lower edge back.
    for (lower, upper, fill) in [
        (
            fan.iter().map(|m| m.p5).collect::<Vec<_>>(),
            fan.iter().map(|m| m.p95).collect::<Vec<_>>(),
            "#c6dbef",
        ),
        (
            fan.iter().map(|m| m.p25).collect(),
            fan.iter().map(|m| m.p75).collect(),
            "#6baed6",
        ),
    ] {
        let mut points = String::new();
        for (m, v) in fan.iter().zip(&upper) {
            let _ = write!(points, "{:.1},{:.1} ", x(m.month), y(*v));
        }
        for (m, v) in fan.iter().zip(&lower).rev() {
            let _ = write!(points, "{:.1},{:.1} ", x(m.month), y(*v));
        }
        let _ = writeln!(
            out,
            "<polygon points=\"{}\" fill=\"{fill}\" stroke=\"none\"/>",
            points.trim_end()
        );
    }
    let mut median = String::new();
    for m in fan {
        let _ = write!(median, "{:.1},{:.1} ", x(m.month), y(m.p50));
    }
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#08306b\" stroke-width=\"2\"/>",
        median.trim_end()
    );
    let one = y(1.0);
    let _ = writeln!(
        out,
        "<line x1=\"{FAN_LEFT}\" x2=\"{:.1}\" y1=\"{one:.1}\" y2=\"{one:.1}\" stroke=\"#333\" \
         stroke-dasharray=\"6 4\"/>",
        FAN_LEFT + plot_w
    );

    // The choke multiple, where the price stops, when the axis reaches it:
    // a fan pressed flat against it is the ceiling, not a plotting artefact.
    let choke = result.price.choke_multiple;
    if choke > 0.0 && choke >= y_lo && choke <= y_hi {
        let yc = y(choke);
        let _ = writeln!(
            out,
            "<line x1=\"{FAN_LEFT}\" x2=\"{:.1}\" y1=\"{yc:.1}\" y2=\"{yc:.1}\" stroke=\"#b03a2e\" \
             stroke-dasharray=\"2 3\"/>",
            FAN_LEFT + plot_w
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#b03a2e\">choke {}x</text>",
            FAN_LEFT + plot_w - 4.0,
            yc - 4.0,
            choke
        );
    }

    // Axes and their labels.
    let _ = writeln!(
        out,
        "<rect x=\"{FAN_LEFT}\" y=\"{FAN_TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#333\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">month</text>",
        FAN_LEFT + plot_w / 2.0,
        FAN_HEIGHT - 14.0
    );
    let _ = writeln!(
        out,
        "<text transform=\"translate(18 {:.1}) rotate(-90)\" text-anchor=\"middle\">\
         price multiple (log scale)</text>",
        FAN_TOP + plot_h / 2.0
    );
    out.push_str("</svg>\n");
    out
}

fn tornado_chart(report: &Report) -> String {
    let rows = &report.sensitivity[..report.sensitivity.len().min(TORNADO_ROWS)];
    let width = TORNADO_LABELS + TORNADO_PLOT + TORNADO_RIGHT;
    let height = TORNADO_TOP + TORNADO_ROW * rows.len().max(1) as f64 + TORNADO_BOTTOM;
    let half = TORNADO_PLOT / 2.0;
    let centre = TORNADO_LABELS + half;
    let bottom = height - TORNADO_BOTTOM;
    let focus = &report.manifest.focus;

    let mut out = String::new();
    open_svg(&mut out, width, height);
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\
         What drives {} {} {}</text>",
        width / 2.0,
        escape(&focus.country),
        escape(&focus.product),
        escape(&focus.outcome)
    );
    // Monte Carlo noise: a grey band where a parameter without influence
    // would land in 95% of runs.
    let band = focus.shown_noise_band();
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"42\" text-anchor=\"middle\" fill=\"#555\">\
         Spearman rank correlation with each uncertain parameter (top {} of {}); \
         grey: within noise, |rho| &lt; {band:.3}</text>",
        width / 2.0,
        rows.len(),
        report.sensitivity.len()
    );
    let _ = writeln!(
        out,
        "<rect x=\"{:.1}\" y=\"{TORNADO_TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ececec\"/>",
        centre - band * half,
        2.0 * band * half,
        bottom - TORNADO_TOP
    );
    for (tick, label) in [
        (-1.0, "-1"),
        (-0.5, "-0.5"),
        (0.0, "0"),
        (0.5, "+0.5"),
        (1.0, "+1"),
    ] {
        let xx = centre + tick * half;
        let stroke = if tick == 0.0 { "#333" } else { "#e5e5e5" };
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TORNADO_TOP}\" y2=\"{bottom:.1}\" stroke=\"{stroke}\"/>"
        );
        let _ = writeln!(
            out,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            bottom + 16.0
        );
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">\
             no uncertain parameters</text>",
            TORNADO_TOP + TORNADO_ROW * 0.7
        );
    }
    for (i, s) in rows.iter().enumerate() {
        let top = TORNADO_TOP + TORNADO_ROW * i as f64;
        let rho = if s.spearman.is_finite() {
            s.spearman.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        // Bars within noise in paler colours: they rank nothing.
        let (x0, fill) = match (rho < 0.0, s.within_noise) {
            (true, false) => (centre + rho * half, "#2e86c1"),
            (true, true) => (centre + rho * half, "#a9cce3"),
            (false, false) => (centre, "#c0392b"),
            (false, true) => (centre, "#e6b0aa"),
        };
        let _ = writeln!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>",
            top + 3.0,
            rho.abs() * half,
            TORNADO_ROW - 6.0
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            TORNADO_LABELS - 8.0,
            top + TORNADO_ROW / 2.0 + 4.0,
            escape(&s.parameter)
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{rho:+.2}</text>",
            TORNADO_LABELS + TORNADO_PLOT + 8.0,
            top + TORNADO_ROW / 2.0 + 4.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">\
         Spearman rho (negative: the outcome falls as the parameter rises)</text>",
        height - 10.0
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, log_ticks};

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn ticks_follow_the_1_2_5_series() {
        let labels: Vec<String> = log_ticks(0.5, 20.0).into_iter().map(|t| t.label).collect();
        for expected in ["0.5", "1", "2", "5", "10", "20", "50"] {
            assert!(
                labels.iter().any(|l| l == expected),
                "{expected} in {labels:?}"
            );
        }
    }
}
