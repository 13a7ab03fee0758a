//! Correlated parameters: rank correlations applied with a Gaussian copula
//! (MODEL.md section 5).
//!
//! Each correlated parameter still takes its own uniform from its own stream;
//! the uniforms go through the standard normal quantile, the normals are mixed
//! by the Cholesky factor of the correlation matrix, and the results go back
//! through the normal CDF to the parameters' own quantile functions. A trial
//! therefore still depends on `(seed, trial)` alone, each parameter keeps its
//! marginal distribution, and the first parameter of each correlated set keeps
//! exactly the draw it has without correlations.
//!
//! The matrix holds Pearson correlations of the normals, `2 sin(pi rho / 6)`
//! for a target Spearman rank correlation `rho`: the relation that holds for
//! Gaussian copulas, so the parameters' rank correlation is `rho` whatever
//! their marginals.

use crate::distributions::rng::{standard_normal_cdf, standard_normal_quantile};
use crate::input::Location;
use crate::math;

/// A rank correlation between two sampled parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Correlation {
    /// Index of the first parameter in `Scenario::parameters`.
    pub a: usize,
    /// Index of the second.
    pub b: usize,
    /// Target Spearman rank correlation, -1..1.
    pub rho: f64,
    /// Where the entry is written.
    pub location: Location,
}

/// The correlated parameters and the Cholesky factor that mixes their normals.
#[derive(Clone, Debug, PartialEq)]
pub struct Copula {
    /// Parameter indices, in the order of the matrix.
    pub parameters: Vec<usize>,
    /// Lower-triangular Cholesky factor, row-major `n x n`.
    lower: Vec<f64>,
}

/// Why a set of correlations cannot be applied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NotPositiveDefinite {
    /// The entries (indices into the correlation list) that conflict.
    pub entries: Vec<usize>,
}

impl Copula {
    /// Builds the copula for `correlations`; fails when their matrix is not
    /// positive definite, naming the entries among the parameters up to the
    /// one where the factorisation broke down.
    pub(crate) fn new(correlations: &[Correlation]) -> Result<Option<Copula>, NotPositiveDefinite> {
        if correlations.is_empty() {
            return Ok(None);
        }
        let mut parameters: Vec<usize> = Vec::new();
        for c in correlations {
            for p in [c.a, c.b] {
                if !parameters.contains(&p) {
                    parameters.push(p);
                }
            }
        }
        let n = parameters.len();
        let position = |p: usize| parameters.iter().position(|&q| q == p).unwrap_or(0);
        let mut matrix = vec![0.0; n * n];
        for i in 0..n {
            matrix[i * n + i] = 1.0;
        }
        for c in correlations {
            let (i, j) = (position(c.a), position(c.b));
            let r = 2.0 * math::sin(std::f64::consts::PI * c.rho / 6.0);
            matrix[i * n + j] = r;
            matrix[j * n + i] = r;
        }
        let mut lower = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let dot: f64 = (0..j).map(|k| lower[i * n + k] * lower[j * n + k]).sum();
                if i == j {
                    let d = matrix[i * n + i] - dot;
                    // A pivot at (or numerically near) zero: the matrix is not
                    // positive definite; perfect correlations of +-1 land here too.
                    if d <= 1e-12 {
                        let involved = &parameters[..=i];
                        let entries = correlations
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| involved.contains(&c.a) && involved.contains(&c.b))
                            .map(|(k, _)| k)
                            .collect();
                        return Err(NotPositiveDefinite { entries });
                    }
                    lower[i * n + i] = d.sqrt();
                } else {
                    lower[i * n + j] = (matrix[i * n + j] - dot) / lower[j * n + j];
                }
            }
        }
        Ok(Some(Copula { parameters, lower }))
    }

    /// Replaces the independent uniforms of the correlated parameters (in
    /// `uniforms`, indexed like `Scenario::parameters`) by correlated ones.
    pub(crate) fn correlate(&self, uniforms: &mut [f64], normals: &mut Vec<f64>) {
        let n = self.parameters.len();
        normals.clear();
        normals.extend(
            self.parameters
                .iter()
                .map(|&p| standard_normal_quantile(uniforms[p])),
        );
        for i in (0..n).rev() {
            // Row i of L times z uses z[0..=i]; going from the last row up
            // leaves the entries still needed untouched.
            let mixed: f64 = (0..=i).map(|k| self.lower[i * n + k] * normals[k]).sum();
            normals[i] = mixed;
        }
        for (i, &p) in self.parameters.iter().enumerate() {
            // A row of the factor that is the identity leaves the normal as it
            // was: keep the uniform itself, bit for bit, rather than its round
            // trip through the quantile and the CDF (exact only to ~1e-10).
            if (0..i).all(|k| self.lower[i * n + k] == 0.0) {
                continue;
            }
            // The CDF can round to exactly 0 or 1 far in the tails; keep the
            // uniform strictly inside (0, 1) like the generator's.
            uniforms[p] =
                standard_normal_cdf(normals[i]).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn entry(a: usize, b: usize, rho: f64) -> Correlation {
        Correlation {
            a,
            b,
            rho,
            location: Location {
                file: PathBuf::from("x"),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn the_first_parameter_keeps_its_draw() {
        let copula = Copula::new(&[entry(3, 5, 0.7)]).unwrap().unwrap();
        let mut u = vec![0.5; 6];
        u[3] = 0.2;
        u[5] = 0.9;
        copula.correlate(&mut u, &mut Vec::new());
        assert!((u[3] - 0.2).abs() < 1e-9);
        assert!(u[5] != 0.9 && u[5] > 0.0 && u[5] < 1.0);
    }

    #[test]
    fn inconsistent_correlations_are_named() {
        let err =
            Copula::new(&[entry(0, 1, 0.9), entry(1, 2, 0.9), entry(0, 2, -0.9)]).unwrap_err();
        assert_eq!(err.entries, vec![0, 1, 2]);
        assert!(
            Copula::new(&[entry(0, 1, 1.0)]).is_err(),
            "a perfect correlation is singular"
        );
    }
}
