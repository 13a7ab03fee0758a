//! Validation against what was observed in 2024-2025 (docs/VALIDATION.md).
//!
//! One test per row of docs/VALIDATION.md. Each runs the row's scenario in
//! `scenarios/validation/` with its fixed seed, computes the model's figure
//! per trial, and fails when the median leaves the band that the row's sources
//! give (the bands come from the sources, never from the model).
//!
//! Monte Carlo error: each test prints the median, the 90% interval (p5-p95)
//! and a 95% confidence interval for the median from order statistics (ranks
//! `n/2 -+ 1.96 sqrt(n)/2`), so a reader can see how far the median may move
//! with another seed. The trial counts (200-400) keep that interval inside
//! every band that passes (row 4a's median sits on its floor by a clip of the
//! model, not by chance: every trial above the median is at exactly 2x); see
//! docs/VALIDATION.md for the figures. The file runs in about 4 s in the debug
//! profile.
//!
//! Trials run on two threads; each trial depends on `(seed, trial)` alone, so
//! the figures are the same whatever the threads.
//!
//! ```text
//! cargo test --test validation -- --nocapture --include-ignored
//! ```

use shortfall::engine::{self, Replay};
use shortfall::statistics::TrialRecord;
use shortfall::Scenario;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/validation");

fn text(name: &str) -> String {
    let path = format!("{DIR}/{name}.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scenario(name: &str) -> Scenario {
    Scenario::from_toml(format!("{name}.toml"), text(name), DIR)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The same scenario without its shocks: the counterfactual whose trials draw
/// the same world and demand noise (common random numbers).
fn without_shocks(name: &str) -> Scenario {
    let text = text(name);
    let head = text.split("[[shock]]").next().unwrap_or_default();
    Scenario::from_toml(format!("{name}-without-shocks.toml"), head, DIR)
        .unwrap_or_else(|e| panic!("{name} without shocks: {e}"))
}

/// Runs `f` over trials `0..n` on two threads, in trial order.
fn per_trial<T: Send>(n: u32, f: impl Fn(std::ops::Range<u32>) -> Vec<T> + Sync) -> Vec<T> {
    let half = n / 2;
    std::thread::scope(|s| {
        let first = s.spawn(|| f(0..half));
        let second = f(half..n);
        let mut all = first.join().expect("worker thread");
        all.extend(second);
        all
    })
}

fn records(s: &Scenario) -> Vec<TrialRecord> {
    per_trial(s.trials, |r| engine::trial_records(s, r))
}

fn replays(s: &Scenario) -> Vec<Replay> {
    per_trial(s.trials, |r| r.map(|t| engine::replay(s, t)).collect())
}

fn entry(s: &Scenario, country: &str, product: &str) -> usize {
    let c = s.world.country_index(country).expect("country");
    let p = s.world.product_index(product).expect("product");
    s.report
        .iter()
        .position(|e| e.country == c && e.product == p)
        .unwrap_or_else(|| panic!("{country} {product} is not reported"))
}

/// Median, 90% interval and a 95% confidence interval for the median.
#[derive(Debug)]
struct Summary {
    median: f64,
    p5: f64,
    p95: f64,
    median_ci: (f64, f64),
    trials: usize,
}

fn summary(mut values: Vec<f64>) -> Summary {
    assert!(values.iter().all(|v| !v.is_nan()), "NaN among the results");
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let at = |q: f64| {
        let x = q * (n - 1) as f64;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        values[lo] + (values[hi] - values[lo]) * (x - lo as f64)
    };
    let half_width = 1.96 * (n as f64).sqrt() / 2.0;
    let lo = ((n as f64 / 2.0 - half_width).floor().max(0.0)) as usize;
    let hi = ((n as f64 / 2.0 + half_width).ceil() as usize).min(n - 1);
    Summary {
        median: at(0.5),
        p5: at(0.05),
        p95: at(0.95),
        median_ci: (values[lo], values[hi]),
        trials: n,
    }
}

/// Prints the row's figures and fails when the median leaves `[lo, hi]`.
fn check(row: &str, what: &str, s: &Summary, lo: f64, hi: f64) {
    println!(
        "{row}: {what}: median {:.3} (90% interval {:.3}-{:.3}; median's 95% CI {:.3}-{:.3}; {} trials); band {lo}-{hi}",
        s.median, s.p5, s.p95, s.median_ci.0, s.median_ci.1, s.trials
    );
    assert!(
        s.median >= lo - 1e-9 && s.median <= hi + 1e-9,
        "{row}: {what}: median {} outside the band {lo}-{hi}",
        s.median
    );
}

/// The highest price a report entry paid in months `from..=to`, per trial.
fn peak(records: &[TrialRecord], k: usize, from: usize, to: usize) -> Vec<f64> {
    records
        .iter()
        .map(|r| {
            r.entries[k].price_path[from..=to]
                .iter()
                .fold(0.0, |a: f64, &b| a.max(b))
        })
        .collect()
}

/// China's exports of the scenario's product over the horizon, per trial:
/// what every other reported country received beyond what it offered itself.
/// The scenarios report every country that uses or makes the product, so
/// this is China's shipments abroad less the (small) output of the others
/// left unsold or sold to China.
fn china_exports(s: &Scenario, replays: &[Replay]) -> Vec<f64> {
    let china = s.world.country_index("CHN").expect("CHN");
    replays
        .iter()
        .map(|r| {
            r.rows
                .iter()
                .map(|month| {
                    s.report
                        .iter()
                        .zip(month)
                        .filter(|(e, _)| e.country != china)
                        .map(|(_, row)| row.received_t - row.offered_t)
                        .sum::<f64>()
                })
                .sum()
        })
        .collect()
}

/// The world's trend growth of every flow (Adamas: 8% a year): a year of the
/// model without shocks, divided by this, is the year before.
const TREND: f64 = 1.08;

/// Row 1: yttrium oxide rose about 1,500% in 2025 (<8 to 126 USD/kg, Asian
/// Metal) and to about 270 USD/kg in Europe (+4,400%): the US peak over
/// April-November 2025 lies between 15x and 45x.
#[test]
fn row1_yttrium_rises_15_to_45_fold_by_november_2025() {
    let s = scenario("yttrium_2025");
    let records = records(&s);
    let usa = entry(&s, "USA", "y_oxide");
    let peaks = summary(peak(&records, usa, 0, 7));
    check(
        "row 1",
        "US yttrium oxide peak price, Apr-Nov 2025 (x 2024)",
        &peaks,
        15.0,
        45.0,
    );
    // Context, no band: how often the choke multiple is reached.
    let choke = records
        .iter()
        .filter(|r| r.entries[usa].reached_choke)
        .count();
    println!(
        "row 1: trials at the yttrium choke multiple: {:.1}%",
        100.0 * choke as f64 / records.len() as f64
    );
}

/// Row 2: more than 90% of US yttrium came from one source (China): the US
/// loses more than 90% of its yttrium receipts in a month China ships none.
#[test]
fn row2_us_yttrium_depends_on_china_for_over_90_percent() {
    let s = scenario("yttrium_one_source");
    let base = without_shocks("yttrium_one_source");
    let usa = entry(&s, "USA", "y_oxide");
    let stopped = replays(&s);
    let normal = replays(&base);
    let lost: Vec<f64> = stopped
        .iter()
        .zip(&normal)
        .map(|(a, b)| 1.0 - a.rows[0][usa].received_t / b.rows[0][usa].received_t)
        .collect();
    check(
        "row 2",
        "share of US yttrium receipts lost when China ships none",
        &summary(lost),
        0.9,
        1.0,
    );
}

/// Row 3: US defence suppliers paid up to 5x pre-restriction prices by
/// August 2025; Europe's Dy/Tb rose 2-4x: the US Dy/Tb peak over April-July
/// lies between 2x and 5x.
#[test]
fn row3_us_dytb_peaks_between_2_and_5_fold_by_august_2025() {
    let s = scenario("us_defence_2025");
    let records = records(&s);
    let dytb = entry(&s, "USA", "dytb_oxide");
    check(
        "row 3",
        "US Dy/Tb oxide peak price, Apr-Jul 2025 (x 2024)",
        &summary(peak(&records, dytb, 0, 3)),
        2.0,
        5.0,
    );
    let magnets = entry(&s, "USA", "ndfeb_magnet");
    let m = summary(peak(&records, magnets, 0, 3));
    println!(
        "row 3: context, no band: US magnet peak price median {:.3} (90% {:.3}-{:.3})",
        m.median, m.p5, m.p95
    );
}

/// Row 4a: European Dy oxide about 3x and Tb oxide 2-4x within a month of
/// the April 2025 controls (Argus, 6 May): the EU27 Dy/Tb price for April
/// (set by April's trade) lies between 2.0x and 4.3x.
#[test]
fn row4a_european_dytb_doubles_to_quadruples_within_a_month() {
    let s = scenario("europe_dytb_april_2025");
    let records = records(&s);
    let eu = entry(&s, "EU27", "dytb_oxide");
    let april: Vec<f64> = records
        .iter()
        .map(|r| r.entries[eu].price_path[0])
        .collect();
    check(
        "row 4a",
        "EU27 Dy/Tb oxide price at the end of April 2025 (x 2024)",
        &summary(april),
        2.0,
        4.3,
    );
}

/// Row 4b: ...while China's domestic Dy/Tb prices barely moved (SMM, 4 Sep
/// 2025: "stable"; USGS: Dy -7%, Tb +24% on the 2025 annual average): China's
/// own Dy/Tb price in early September lies within 20% of its 2024 level.
#[test]
#[ignore = "engine: one price speed (kappa / e_short, MODEL.md section 2 step 7) governs both sides of a binding licence, and withheld exports count as available at home, so any speed that lifts Europe 2x within a month takes China's home price down ~30% by September"]
fn row4b_chinese_domestic_dytb_barely_moves() {
    let s = scenario("europe_dytb_april_2025");
    let records = records(&s);
    let china = entry(&s, "CHN", "dytb_oxide");
    let september: Vec<f64> = records
        .iter()
        .map(|r| r.entries[china].price_path[4])
        .collect();
    check(
        "row 4b",
        "China's Dy/Tb oxide price in early September 2025 (x 2024)",
        &summary(september),
        0.8,
        1.2,
    );
}

/// Row 5: licences for 35-40% (MOFCOM, June 2025), read as the share of asks
/// approved; with them China's Dy/Tb exports in 2025 should fall as reported
/// (Dy -35%, Tb -38%, rawmaterials.net): between -45% and -28%.
#[test]
fn row5_licences_for_35_to_40_percent_cut_dytb_exports_as_in_2025() {
    let s = scenario("licences_2025");
    let base = without_shocks("licences_2025");
    let licensed = china_exports(&s, &replays(&s));
    let normal = china_exports(&base, &replays(&base));
    let change: Vec<f64> = licensed
        .iter()
        .zip(&normal)
        .map(|(a, b)| TREND * a / b - 1.0)
        .collect();
    check(
        "row 5",
        "China's Dy/Tb exports, 2025 on 2024",
        &summary(change),
        -0.45,
        -0.28,
    );
}

/// Row 6: China's 2024 magnet exports fell 9.3% while its domestic high-end
/// use grew 22% (MOFCOM via the seed reporting): with China's demand 22% up,
/// its magnet exports fall by 4.7-18.6% (half to twice the reported fall).
#[test]
#[ignore = "engine: a supplier short of goods rations every buyer pro rata and one pooled price cuts every buyer's demand alike (MODEL.md section 2 steps 4 and 7), so a demand surge in China cuts its exports by only ~2% on the year (the model has no home priority)"]
fn row6_chinese_magnet_exports_fall_while_home_use_grows() {
    let s = scenario("china_magnets_2024");
    let base = without_shocks("china_magnets_2024");
    let (surge, normal) = (replays(&s), replays(&base));
    let exports: Vec<f64> = china_exports(&s, &surge)
        .iter()
        .zip(china_exports(&base, &normal))
        .map(|(a, b)| TREND * a / b - 1.0)
        .collect();
    let china = entry(&s, "CHN", "ndfeb_magnet");
    let served = |r: &Replay| r.rows.iter().map(|m| m[china].served_t).sum::<f64>();
    let home: Vec<f64> = surge
        .iter()
        .zip(&normal)
        .map(|(a, b)| TREND * served(a) / served(b) - 1.0)
        .collect();
    let home = summary(home);
    println!(
        "row 6: context: China's magnet use served, 2024 on 2023: median {:.3} (90% {:.3}-{:.3})",
        home.median, home.p5, home.p95
    );
    check(
        "row 6",
        "China's magnet exports, 2024 on 2023",
        &summary(exports),
        -0.186,
        -0.047,
    );
}

/// Row 7: a new non-Chinese chain takes up to ten years (seed reporting,
/// Oct 2025), 10-20 years for new mines elsewhere; IEA ~8 years for new
/// facilities, S&P 6-32 years for mines: the US chain first runs (magnet output
/// at 8,000 t/yr or more for three months) after 6 to 20 years.
#[test]
fn row7_a_us_chain_without_china_takes_6_to_20_years() {
    let s = scenario("new_chain_2025");
    let usa = entry(&s, "USA", "ndfeb_magnet");
    let horizon = f64::from(s.horizon_months);
    let years: Vec<f64> = replays(&s)
        .iter()
        .map(|r| {
            let mut run = 0;
            for (t, month) in r.rows.iter().enumerate() {
                if month[usa].output_t * 12.0 >= 8000.0 {
                    run += 1;
                    if run == 3 {
                        return (t + 1 - 3) as f64 / 12.0;
                    }
                } else {
                    run = 0;
                }
            }
            // Never within the horizon: counted as the horizon (censored).
            horizon / 12.0
        })
        .collect();
    check(
        "row 7",
        "years until the US chain runs (magnets >= 8,000 t/yr)",
        &summary(years),
        6.0,
        20.0,
    );
}

/// Row 8: European magnet users ran short one to three months after the
/// April 2025 controls (licences took a month and more; suppliers expected to
/// idle by mid-July).
#[test]
fn row8_european_magnet_users_run_short_within_one_to_three_months() {
    let s = scenario("europe_idling_2025");
    let eu = entry(&s, "EU27", "ndfeb_magnet");
    let never = f64::from(s.horizon_months);
    let first: Vec<f64> = replays(&s)
        .iter()
        .map(|r| {
            r.rows
                .iter()
                .position(|m| m[eu].demand_t > 0.0 && m[eu].unserved_t > 0.01 * m[eu].demand_t)
                .map_or(never, |t| t as f64)
        })
        .collect();
    check(
        "row 8",
        "first short month of EU27 magnets (0 = April 2025)",
        &summary(first),
        1.0,
        3.0,
    );
}
