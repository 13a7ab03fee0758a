//! One trial's draws: every parameter sampled once, every shock decided once.
//!
//! Each uncertain parameter takes counter 0 of its own stream (named by its
//! path), and each shock's occurrence a uniform from `shock.ID.occurs`, or from
//! `group.NAME.occurs` for grouped shocks, which therefore happen together. So a
//! trial depends on `(seed, trial)` alone, and two scenarios that share a
//! parameter draw the same value for it (common random numbers) unless a
//! correlation in one of them mixes it with another (see [`super::Copula`]).

use super::Scenario;
use crate::distributions::TrialRng;

/// The sampled numbers of one trial.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrialDraw {
    /// One value per [`Scenario::parameters`] entry, rounded where it counts months.
    pub values: Vec<f64>,
    /// Whether each shock happens in this trial.
    pub occurs: Vec<bool>,
    /// Scratch: each parameter's uniform, before and after the copula.
    uniforms: Vec<f64>,
    /// Scratch: the copula's normals.
    normals: Vec<f64>,
}

impl Scenario {
    /// Samples trial `trial`.
    ///
    /// ```
    /// # use shortfall::scenario::Scenario;
    /// let scenario = Scenario::from_path("scenarios/export_ban.toml").unwrap();
    /// assert_eq!(scenario.draw(3), scenario.draw(3));
    /// ```
    pub fn draw(&self, trial: u32) -> TrialDraw {
        let mut draw = TrialDraw::default();
        self.draw_into(trial, &mut draw);
        draw
    }

    /// Samples trial `trial` into `draw`, reusing its buffers.
    pub fn draw_into(&self, trial: u32, draw: &mut TrialDraw) {
        let rng = TrialRng::new(self.seed, trial);
        draw.uniforms.clear();
        draw.uniforms.extend(self.parameters.iter().map(|p| {
            if p.quantity.is_uncertain() {
                rng.uniform(p.stream, 0)
            } else {
                0.5
            }
        }));
        if let Some(copula) = &self.copula {
            copula.correlate(&mut draw.uniforms, &mut draw.normals);
        }
        draw.values.clear();
        draw.values
            .extend(self.parameters.iter().zip(&draw.uniforms).map(|(p, &u)| {
                if p.quantity.is_uncertain() {
                    p.value(u)
                } else {
                    p.central()
                }
            }));
        draw.occurs.clear();
        draw.occurs.extend(self.shocks.iter().map(|shock| {
            let p = draw.values[shock.probability.0];
            // u lies strictly inside (0, 1): probability 1 always happens, 0 never.
            p >= 1.0 || rng.uniform(shock.occurs_stream, 0) < p
        }));
    }
}
