//! What one trial hands to the statistics: a few numbers per reported entry,
//! its price path, and what the sensitivity analysis needs. The engine fills a
//! [`TrialRecord`] per trial (reusing its buffers); the accumulators fold it in.

/// The outcomes of one trial for one reported country/product pair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntryRecord {
    /// Cumulative unserved final demand over the horizon, t (`D - served`).
    pub unserved_t: f64,
    /// Cumulative final demand claimed (after the price response), t.
    pub demand_t: f64,
    /// Cumulative normal demand: the same path without any price response, t.
    pub normal_demand_t: f64,
    /// Cumulative final demand served, t.
    pub served_t: f64,
    /// Months in which unserved demand exceeded 1% of that month's demand.
    pub months_short: u32,
    /// The largest unserved amount in one month, t.
    pub worst_month_t: f64,
    /// The month (from 0) of `worst_month_t` (0 when never short).
    pub worst_month: u32,
    /// Months from the first short month until the start of three months in a
    /// row at or above 95% served; `None` when never short or never recovered
    /// (see `recovered`).
    pub recovery_months: Option<u32>,
    /// Whether the entry was short in some month and then recovered.
    pub recovered: bool,
    /// Cumulative input demand of the country's processes for this product that
    /// could not be met (idle capacity for want of this input), t.
    pub idle_input_t: f64,
    /// The price multiple the country's buyers paid, one per month
    /// (`m(t+1)` for month `t`, tariffs included).
    pub price_path: Vec<f64>,
    /// The highest value of `price_path`.
    pub peak_price: f64,
    /// Whether the price reached the product's choke multiple `m_max` (within
    /// 1e-9 relative).
    pub reached_choke: bool,
}

impl EntryRecord {
    /// Whether some month was short (unserved above 1% of that month's demand).
    pub fn was_short(&self) -> bool {
        self.months_short > 0
    }
}

/// Output shares of one stage, process or product in one month, indexed by
/// country.
pub type ShareRow = Vec<f64>;

/// Everything one trial contributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrialRecord {
    /// The trial index.
    pub trial: u32,
    /// One record per [`crate::scenario::Scenario::report`] entry, in order.
    pub entries: Vec<EntryRecord>,
    /// The focus outcome (see [`crate::scenario::Focus`]).
    pub focus: f64,
    /// The values of the scenario's uncertain parameters in this trial, in the
    /// order of [`crate::scenario::Scenario::uncertain_parameters`].
    pub uncertain_values: Vec<f64>,
    /// For each export-restricted (exporter, product) pair of the scenario, in
    /// order of first appearance among the shocks, the peak over months of the
    /// ratio between its customers' import-weighted price (weights: their
    /// month-0 receipts from it) and its own price: the split-market gap.
    pub split_gaps: Vec<f64>,
    /// Output shares in month 0: stages, then processes, then products made by
    /// some process (the order of [`crate::world::World::concentration`]), each a
    /// row indexed by country.
    pub shares_first: Vec<ShareRow>,
    /// The same in the last month.
    pub shares_last: Vec<ShareRow>,
}
