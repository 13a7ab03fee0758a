//! When shocks are in force and how strongly, month by month (MODEL.md section 4).
//!
//! A [`Schedule`] turns one trial's draws into windows (rounded start, end and
//! ramp), then answers, for each month, the ramp share `s` of each shock and
//! the state of random outages. Everything here is per trial and allocation-free
//! after construction.

use crate::distributions::{StreamId, TrialRng};
use crate::math;
use crate::scenario::{Outage, Scenario, ShockKind, TrialDraw};

/// A shock's window in one trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    /// Whether the shock happens at all in this trial.
    pub occurs: bool,
    /// First month in force.
    pub start: f64,
    /// First month no longer in force (`f64::INFINITY`: to the end).
    pub end: f64,
    /// Months of linear phase-in (0: at once).
    pub ramp: f64,
}

impl Window {
    /// The share `s` in force in month `t`: 0 outside the window, else
    /// `min(1, (t - start + 1) / ramp)`.
    pub fn share(&self, t: u32) -> f64 {
        let t = f64::from(t);
        if !self.occurs || t < self.start || t >= self.end {
            0.0
        } else if self.ramp > 0.0 {
            ((t - self.start + 1.0) / self.ramp).min(1.0)
        } else {
            1.0
        }
    }

    /// Whether month `t` is the window's first.
    pub fn starts_at(&self, t: u32) -> bool {
        self.occurs && f64::from(t) == self.start
    }

    /// Months since the window opened (0 in its first month).
    pub fn months_in(&self, t: u32) -> f64 {
        f64::from(t) - self.start
    }
}

/// Random outages of one shock: whether one runs and how many have started.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct RandomOutage {
    remaining: u32,
    events: u32,
}

/// Streams for random outages, fixed per scenario.
#[derive(Clone, Debug)]
pub(crate) struct OutageStreams {
    /// Per shock: the stream of monthly start draws (`shock.ID.starts`).
    starts: Vec<StreamId>,
}

impl OutageStreams {
    pub fn new(scenario: &Scenario) -> OutageStreams {
        OutageStreams {
            starts: scenario
                .shocks
                .iter()
                .map(|s| StreamId::named(&format!("shock.{}.starts", s.id)))
                .collect(),
        }
    }
}

/// One trial's shock windows and outage states.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    pub windows: Vec<Window>,
    outages: Vec<RandomOutage>,
    /// Per shock, in the current month: the share of capacity lost by a random
    /// outage (0 when none runs).
    pub random_loss: Vec<f64>,
}

impl Schedule {
    /// Resets the schedule for a trial.
    pub fn reset(&mut self, scenario: &Scenario, draw: &TrialDraw) {
        self.windows.clear();
        self.windows
            .extend(scenario.shocks.iter().enumerate().map(|(i, shock)| {
                let start = draw.values[shock.start_month.0];
                let end = shock
                    .duration_months
                    .map_or(f64::INFINITY, |d| start + draw.values[d.0]);
                let ramp = shock.ramp_months.map_or(0.0, |r| draw.values[r.0]);
                Window {
                    occurs: draw.occurs[i],
                    start,
                    end,
                    ramp,
                }
            }));
        self.outages.clear();
        self.outages
            .resize(scenario.shocks.len(), RandomOutage::default());
        self.random_loss.clear();
        self.random_loss.resize(scenario.shocks.len(), 0.0);
    }

    /// Advances random outages to month `t`: an outage may start in any month
    /// of the window when none runs, with probability `1 - exp(-rate / 12)`;
    /// its length is drawn per event.
    pub fn advance(
        &mut self,
        scenario: &Scenario,
        draw: &TrialDraw,
        rng: &TrialRng,
        streams: &OutageStreams,
        t: u32,
    ) {
        for (i, shock) in scenario.shocks.iter().enumerate() {
            let ShockKind::Outage {
                outage:
                    Outage::Random {
                        rate_per_year,
                        outage_months,
                        stream,
                        loss,
                    },
                ..
            } = &shock.kind
            else {
                continue;
            };
            let state = &mut self.outages[i];
            self.random_loss[i] = 0.0;
            if self.windows[i].share(t) <= 0.0 {
                state.remaining = 0;
                continue;
            }
            if state.remaining == 0 {
                let rate = draw.values[rate_per_year.0];
                let p_start = 1.0 - math::exp(-rate / 12.0);
                if rng.uniform(streams.starts[i], t) < p_start {
                    let u = rng.uniform(*stream, state.events);
                    state.events += 1;
                    let months = outage_months.sample(u).round().max(0.0);
                    // Saturate: a drawn length beyond u32 is "for the rest of time".
                    state.remaining = if months >= f64::from(u32::MAX) {
                        u32::MAX
                    } else {
                        months as u32
                    };
                }
            }
            if state.remaining > 0 {
                self.random_loss[i] = draw.values[loss.0];
                state.remaining -= 1;
            }
        }
    }
}
