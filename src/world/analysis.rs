//! What a world says before anything goes wrong: who makes what (shares and
//! HHI), who holds the reserves, and how far the world is from balanced.
//!
//! Everything here is computed from central figures in a normal month (running
//! capacity `cap0 * avail`, no shocks, prices at reference); shares are computed
//! from output, never typed in (MODEL.md section 1).

use super::fields::{CountryProductField as M, PlantField};
use super::{World, WorldValues};
use crate::math;

/// One country's share of something.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Share {
    /// Country id.
    pub country: String,
    /// Share of the world total, 0..1.
    pub share: f64,
}

/// The shares of one stage, process or product, largest first.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Shares {
    /// Stage label, process id or product id.
    pub name: String,
    /// World total, t/yr (throughput for stages and processes, output for products).
    pub total_tpa: f64,
    /// Herfindahl-Hirschman index on the 0..10,000 scale (shares in percent,
    /// squared and summed): 10,000 is a monopoly; above 2,500 counts as highly
    /// concentrated in antitrust practice.
    pub hhi: f64,
    /// Countries with a positive share, largest first (ties by file order).
    pub shares: Vec<Share>,
}

impl Shares {
    fn from_amounts(name: &str, world: &World, amounts: &[f64]) -> Shares {
        let total_tpa: f64 = amounts.iter().sum();
        let mut shares: Vec<Share> = world
            .countries
            .iter()
            .zip(amounts)
            .filter(|(_, &a)| a > 0.0)
            .map(|(c, &a)| Share {
                country: c.id.clone(),
                share: a / total_tpa,
            })
            .collect();
        // A stable sort keeps file order among equal shares.
        shares.sort_by(|a, b| b.share.total_cmp(&a.share));
        let hhi = shares
            .iter()
            .map(|s| (100.0 * s.share) * (100.0 * s.share))
            .sum();
        Shares {
            name: name.to_string(),
            total_tpa,
            hhi,
            shares,
        }
    }

    /// The share of one country (0 if it has none).
    pub fn share_of(&self, country: &str) -> f64 {
        self.shares
            .iter()
            .find(|s| s.country == country)
            .map_or(0.0, |s| s.share)
    }
}

/// A country's reserves, summed over its mined products.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reserve {
    /// Country id.
    pub country: String,
    /// Tonnes (REO for the default world), central figure.
    pub tonnes: f64,
    /// Where the figure comes from.
    pub source: String,
}

/// Shares of every stage, process and product, and the reserves.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Concentration {
    /// One entry per stage label, in order of first appearance.
    pub stages: Vec<Shares>,
    /// One entry per process.
    pub processes: Vec<Shares>,
    /// One entry per product that some process makes.
    pub products: Vec<Shares>,
    /// Countries with reserves, largest first.
    pub reserves: Vec<Reserve>,
}

impl World {
    /// Shares and HHI of each stage, process and product, from normal-month
    /// output at central figures, and the reserves.
    pub fn concentration(&self) -> Concentration {
        let values = self.central_values();
        // Yearly rates, as the shares' totals are reported in t/yr.
        let throughput: Vec<Vec<f64>> = normal_throughput(self, &values, 0.0)
            .into_iter()
            .map(|row| row.into_iter().map(|q| 12.0 * q).collect())
            .collect();
        let nc = self.countries.len();
        let per_process: Vec<Vec<f64>> = (0..self.processes.len())
            .map(|j| (0..nc).map(|c| throughput[c][j]).collect())
            .collect();
        let stages = self
            .stages()
            .into_iter()
            .map(|stage| {
                let amounts: Vec<f64> = (0..nc)
                    .map(|c| {
                        self.processes
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| p.stage == stage)
                            .map(|(j, _)| throughput[c][j])
                            .sum()
                    })
                    .collect();
                Shares::from_amounts(stage, self, &amounts)
            })
            .collect();
        let processes = self
            .processes
            .iter()
            .zip(&per_process)
            .map(|(p, amounts)| Shares::from_amounts(&p.id, self, amounts))
            .collect();
        let products = self
            .products
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.made_by.is_empty())
            .map(|(p, product)| {
                let amounts: Vec<f64> = (0..nc)
                    .map(|c| {
                        product
                            .made_by
                            .iter()
                            .map(|&j| throughput[c][j] * values.output_coefficient(j, p))
                            .sum()
                    })
                    .collect();
                Shares::from_amounts(&product.id, self, &amounts)
            })
            .collect();
        Concentration {
            stages,
            processes,
            products,
            reserves: self.reserves(),
        }
    }

    fn reserves(&self) -> Vec<Reserve> {
        let mut reserves: Vec<Reserve> = self
            .countries
            .iter()
            .filter_map(|country| {
                let figures: Vec<_> = country
                    .markets
                    .iter()
                    .filter_map(|m| m.field(M::Reserves))
                    .collect();
                if figures.is_empty() {
                    return None;
                }
                let mut sources: Vec<String> = Vec::new();
                for f in &figures {
                    let s = f
                        .provenance
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default();
                    if !s.is_empty() && !sources.contains(&s) {
                        sources.push(s);
                    }
                }
                Some(Reserve {
                    country: country.id.clone(),
                    tonnes: figures.iter().map(|f| f.central()).sum(),
                    source: sources.join(" | "),
                })
            })
            .collect();
        reserves.sort_by(|a, b| b.tonnes.total_cmp(&a.tonnes));
        reserves
    }

    /// How far the world is from balanced (MODEL.md section 1) at central
    /// figures: for each product, output against normal use plus the growth of
    /// stock targets, in month 0 and month `horizon_months - 1`.
    pub fn balance(&self, horizon_months: u32) -> Balance {
        let values = self.central_values();
        let last = f64::from(horizon_months.max(1) - 1);
        let rows = self
            .products
            .iter()
            .enumerate()
            .map(|(p, product)| {
                let gap = |t: f64| {
                    let output = world_output(self, &values, p, t);
                    let use_now = world_normal_use(self, &values, p, t);
                    let targets_now = world_stock_target(self, &values, p, t);
                    let targets_next = world_stock_target(self, &values, p, t + 1.0);
                    (output, use_now + targets_next - targets_now)
                };
                let (output_first, need_first) = gap(0.0);
                let (output_last, need_last) = gap(last);
                BalanceRow {
                    product: product.id.clone(),
                    output_tpm: output_first,
                    need_tpm: need_first,
                    gap_share: relative_gap(output_first, need_first),
                    gap_share_last: relative_gap(output_last, need_last),
                }
            })
            .collect();
        Balance {
            horizon_months,
            rows,
        }
    }
}

/// Output minus need, as a share of the larger (0 when both are zero).
fn relative_gap(output: f64, need: f64) -> f64 {
    let scale = output.abs().max(need.abs());
    if scale == 0.0 {
        0.0
    } else {
        (output - need) / scale
    }
}

/// How far a world is from balanced, product by product.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Balance {
    /// The last month checked is `horizon_months - 1`.
    pub horizon_months: u32,
    /// One row per product.
    pub rows: Vec<BalanceRow>,
}

impl Balance {
    /// The largest relative gap over products and the months checked.
    pub fn worst_gap(&self) -> f64 {
        self.rows
            .iter()
            .flat_map(|r| [r.gap_share, r.gap_share_last])
            .fold(
                0.0,
                |worst: f64, g| if g.abs() > worst.abs() { g } else { worst },
            )
    }
}

/// One product's balance.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BalanceRow {
    /// Product id.
    pub product: String,
    /// World output in month 0, t/month.
    pub output_tpm: f64,
    /// Normal use plus growth of stock targets in month 0, t/month.
    pub need_tpm: f64,
    /// `(output - need) / max(output, need)` in month 0.
    pub gap_share: f64,
    /// The same in the last month of the horizon.
    pub gap_share_last: f64,
}

/// Normal throughput `cap(t) * avail / 12` of every plant, t/month,
/// `[country][process]`, `t` in months.
pub(crate) fn normal_throughput(world: &World, values: &WorldValues, t: f64) -> Vec<Vec<f64>> {
    (0..world.countries.len())
        .map(|c| {
            (0..world.processes.len())
                .map(|j| {
                    let cap0 = values.plant_field(c, j, PlantField::Cap0);
                    let growth = values.plant_field(c, j, PlantField::Growth);
                    let avail = values.plant_field(c, j, PlantField::Avail);
                    (cap0 * math::powf(1.0 + growth, t / 12.0)).max(0.0) * avail / 12.0
                })
                .collect()
        })
        .collect()
}

fn world_output(world: &World, values: &WorldValues, p: usize, t: f64) -> f64 {
    let throughput = normal_throughput(world, values, t);
    throughput
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(j, q)| q * values.output_coefficient(j, p))
                .sum::<f64>()
        })
        .sum()
}

/// `N_c(t)` of MODEL.md section 1, t/month.
pub(crate) fn normal_use(
    world: &World,
    values: &WorldValues,
    throughput: &[Vec<f64>],
    c: usize,
    p: usize,
    t: f64,
) -> f64 {
    let d_ref = values.market_field(c, p, M::DRef);
    let g = values.market_field(c, p, M::G);
    let inputs: f64 = (0..world.processes.len())
        .map(|j| throughput[c][j] * values.input_coefficient(j, p))
        .sum();
    d_ref / 12.0 * math::powf(1.0 + g, t / 12.0) + inputs
}

fn world_normal_use(world: &World, values: &WorldValues, p: usize, t: f64) -> f64 {
    let throughput = normal_throughput(world, values, t);
    (0..world.countries.len())
        .map(|c| normal_use(world, values, &throughput, c, p, t))
        .sum()
}

fn world_stock_target(world: &World, values: &WorldValues, p: usize, t: f64) -> f64 {
    let throughput = normal_throughput(world, values, t);
    (0..world.countries.len())
        .map(|c| {
            values.market_field(c, p, M::Cover) * normal_use(world, values, &throughput, c, p, t)
        })
        .sum()
}
