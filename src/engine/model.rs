//! What the engine precomputes once per scenario: index lists, streams and
//! scales, so the month loop never looks anything up by name.

use super::schedule::OutageStreams;
use crate::distributions::StreamId;
use crate::scenario::Scenario;
use crate::world::{CountryIdx, ProductIdx};

/// Immutable, shared by every thread of a run.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub nc: usize,
    pub np: usize,
    pub nj: usize,
    /// Process indices per level.
    pub levels: Vec<Vec<usize>>,
    /// Products traded right after each level.
    pub traded_after: Vec<Vec<ProductIdx>>,
    /// Processes using each product as an input.
    pub users: Vec<Vec<usize>>,
    /// Input products of each process.
    pub inputs: Vec<Vec<ProductIdx>>,
    /// Output products of each process.
    pub outputs: Vec<Vec<ProductIdx>>,
    /// Whether each process is a mining process.
    pub mining: Vec<bool>,
    /// Demand-noise stream of each product (`demand_noise.ID`).
    pub noise_streams: Vec<StreamId>,
    /// World output of each product in a normal month 0, t: amounts below
    /// 1e-12 of it count as zero.
    pub scale: Vec<f64>,
    pub outage_streams: OutageStreams,
    /// Country/product pairs followed month by month: the report entries, then
    /// the focus if it is not among them.
    pub tracked: Vec<(CountryIdx, ProductIdx)>,
    /// Index of the focus pair in `tracked`.
    pub focus_tracked: usize,
    /// Indices of the uncertain parameters.
    pub uncertain: Vec<usize>,
    /// Stage index of each process, in `World::stages` order.
    pub stage_of: Vec<usize>,
    pub stages: usize,
    /// Products with a maker, in order: the product rows of the shares.
    pub made_products: Vec<ProductIdx>,
    /// Export-restricted (exporter, product) pairs.
    pub restricted_pairs: Vec<(CountryIdx, ProductIdx)>,
}

impl Model {
    pub fn new(scenario: &Scenario) -> Model {
        let world = &scenario.world;
        let (nc, np, nj) = (
            world.countries.len(),
            world.products.len(),
            world.processes.len(),
        );
        let depth = world.levels.len().max(1);
        let mut traded_after = vec![Vec::new(); depth];
        for (p, product) in world.products.iter().enumerate() {
            traded_after[product.trade_level.min(depth - 1)].push(p);
        }
        let mut users = vec![Vec::new(); np];
        for (j, process) in world.processes.iter().enumerate() {
            for c in &process.inputs {
                users[c.product].push(j);
            }
        }
        let values = world.central_values();
        let throughput = crate::world::analysis_throughput(world, &values);
        let scale = (0..np)
            .map(|p| {
                let made: f64 = (0..nc)
                    .flat_map(|c| (0..nj).map(move |j| (c, j)))
                    .map(|(c, j)| throughput[c][j] * values.output_coefficient(j, p))
                    .sum();
                let demand: f64 = (0..nc)
                    .map(|c| {
                        values.market_field(c, p, crate::world::CountryProductField::DRef) / 12.0
                    })
                    .sum();
                made.max(demand).max(1.0)
            })
            .collect();
        let mut tracked: Vec<(CountryIdx, ProductIdx)> = scenario
            .report
            .iter()
            .map(|r| (r.country, r.product))
            .collect();
        let focus = (scenario.focus.country, scenario.focus.product);
        let focus_tracked = tracked.iter().position(|&t| t == focus).unwrap_or_else(|| {
            tracked.push(focus);
            tracked.len() - 1
        });
        let stage_names = world.stages();
        Model {
            nc,
            np,
            nj,
            levels: world.levels.clone(),
            traded_after,
            users,
            inputs: world
                .processes
                .iter()
                .map(|p| p.inputs.iter().map(|c| c.product).collect())
                .collect(),
            outputs: world
                .processes
                .iter()
                .map(|p| p.outputs.iter().map(|c| c.product).collect())
                .collect(),
            mining: world.processes.iter().map(|p| p.is_mining()).collect(),
            noise_streams: world
                .products
                .iter()
                .map(|p| StreamId::named(&format!("demand_noise.{}", p.id)))
                .collect(),
            scale,
            outage_streams: OutageStreams::new(scenario),
            tracked,
            focus_tracked,
            uncertain: scenario
                .parameters
                .iter()
                .enumerate()
                .filter(|(_, p)| p.quantity.is_uncertain())
                .map(|(i, _)| i)
                .collect(),
            stage_of: world
                .processes
                .iter()
                .map(|p| stage_names.iter().position(|s| *s == p.stage).unwrap_or(0))
                .collect(),
            stages: stage_names.len(),
            made_products: (0..np)
                .filter(|&p| !world.products[p].made_by.is_empty())
                .collect(),
            restricted_pairs: scenario.restricted_pairs(),
        }
    }

    /// Rows of the share tables: stages, processes, then products with a maker.
    pub fn share_rows(&self) -> usize {
        self.stages + self.nj + self.made_products.len()
    }
}
