//! Quantiles of a trial's peak price multiple without keeping one value per
//! trial: two log histograms, one up to the product's central choke multiple
//! and one above it.
//!
//! Peaks pile up at the choke multiple `m_max` in restriction scenarios (the
//! median peak is often exactly the choke), so the choke must be reported
//! exactly rather than smeared over a bin; and peaks above it are real
//! (tariffs raise what buyers pay, and a trial may draw a higher choke than
//! the central one), so they must not be clamped to it either. Hence:
//!
//! - `within` counts `ln m` over `[ln m_min, ln m_max]`, where a peak at (or
//!   below) a bound is a point mass exactly at it;
//! - `beyond` counts `ln m` for peaks above `m_max`, over
//!   `(ln m_max, ln(BEYOND_FACTOR m_max)]` (peaks further out count at that
//!   bound).
//!
//! Every peak in `within` is below every peak in `beyond`, so the two stack
//! into one ranked sample. Bins are [`super::PRICE_BIN_WIDTH`] (1%) wide, so
//! a quantile is within 1% of the exact sample quantile (about 0.5% where
//! trials are dense), and it is exact when it falls on a bound or when every
//! peak is the same.

use crate::math;
use std::io::BufRead;

use super::codec::{DecodeError, Decoder, Encoder};
use super::{Histogram, PRICE_BIN_WIDTH};

/// How far above the central choke multiple the `beyond` histogram reaches:
/// a factor of 100 (a tariff of 9,900%, or a choke drawn at 100 times its
/// central value) before peaks count at the bound.
pub const BEYOND_FACTOR: f64 = 100.0;

/// Relative distance within which a quantile is snapped to a bound, so that
/// `exp(ln m_max)` reads as `m_max`.
const SNAP: f64 = 1e-12;

/// The multiple `e^l` of a log price `l`, read as the bound itself when it
/// is within [`SNAP`] of `m_min` or `m_max`: a quantile at a bound is the
/// bound, not `exp(ln m_max)` a rounding away from it.
pub(crate) fn multiple(l: f64, m_min: f64, m_max: f64) -> f64 {
    let m = math::exp(l);
    [m_min, m_max]
        .into_iter()
        .find(|bound| (m - bound).abs() <= SNAP * bound.abs())
        .unwrap_or(m)
}

/// The peak prices of a run's trials (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct PeakHistogram {
    within: Histogram,
    beyond: Histogram,
    m_min: f64,
    m_max: f64,
    /// The smallest and largest peak seen, as multiples.
    min: f64,
    max: f64,
}

impl PeakHistogram {
    /// Empty, for a product with central price bounds `m_min..m_max`.
    pub(crate) fn new(m_min: f64, m_max: f64) -> PeakHistogram {
        let (lo, hi) = (math::ln(m_min), math::ln(m_max));
        PeakHistogram {
            within: Histogram::new(lo, hi, PRICE_BIN_WIDTH),
            beyond: Histogram::new(hi, hi + math::ln(BEYOND_FACTOR), PRICE_BIN_WIDTH),
            m_min,
            m_max,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Counts one trial's peak (NaN is ignored).
    pub(crate) fn add(&mut self, peak: f64) {
        if peak.is_nan() {
            return;
        }
        self.min = self.min.min(peak);
        self.max = self.max.max(peak);
        let l = math::ln(peak);
        if l > self.within.hi() {
            self.beyond.add(l);
        } else {
            self.within.add(l);
        }
    }

    /// Adds the counts of `other` (shaped by the same product).
    pub(crate) fn merge(&mut self, other: &PeakHistogram) {
        self.within.merge(&other.within);
        self.beyond.merge(&other.beyond);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The central price bounds `(m_min, m_max)` the histogram was made for.
    pub(crate) fn bounds(&self) -> (f64, f64) {
        (self.m_min, self.m_max)
    }

    /// Peaks counted.
    pub(crate) fn count(&self) -> u64 {
        self.within.count() + self.beyond.count()
    }

    /// The estimated `rank`-th smallest `ln` peak.
    fn ranked(&self, rank: u64) -> f64 {
        let below = self.within.count();
        if rank < below {
            self.within.ranked_clamped(rank)
        } else {
            self.beyond.ranked_clamped(rank - below)
        }
    }

    /// The `q` quantile (type 7 over the ranked sample), as a multiple;
    /// `None` when nothing was counted.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let l = super::type7_quantile(self.count(), q, |rank| self.ranked(rank))?;
        let m = multiple(l, self.m_min, self.m_max);
        Some(m.max(self.min).min(self.max))
    }

    /// Whether `other` has the same bounds and bins.
    pub(crate) fn same_shape(&self, other: &PeakHistogram) -> bool {
        self.within.same_shape(&other.within)
            && self.beyond.same_shape(&other.beyond)
            && self.m_min.to_bits() == other.m_min.to_bits()
            && self.m_max.to_bits() == other.m_max.to_bits()
    }

    /// Writes `peak M_MIN M_MAX MIN MAX` and the two histograms.
    pub(crate) fn encode(&self, enc: &mut Encoder<'_>) {
        enc.tag("peak")
            .f64(self.m_min)
            .f64(self.m_max)
            .f64(self.min)
            .f64(self.max);
        self.within.encode(enc);
        self.beyond.encode(enc);
    }

    /// Reads what [`PeakHistogram::encode`] wrote.
    pub(crate) fn decode<R: BufRead>(dec: &mut Decoder<R>) -> Result<PeakHistogram, DecodeError> {
        let mut f = dec.expect("peak")?;
        let m_min = f.f64()?;
        let m_max = f.f64()?;
        let min = f.f64()?;
        let max = f.f64()?;
        f.end()?;
        Ok(PeakHistogram {
            m_min,
            m_max,
            min,
            max,
            within: Histogram::decode(dec)?,
            beyond: Histogram::decode(dec)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choke_is_exact_and_peaks_beyond_it_are_kept() {
        let mut h = PeakHistogram::new(0.05, 6.0);
        for _ in 0..60 {
            // exp(ln 6) need not be 6: the engine's choke price is such a value.
            h.add(math::exp(math::ln(6f64)));
        }
        for i in 0..40 {
            h.add(1.0 + f64::from(i) / 40.0);
        }
        let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-12);
        assert!(near(h.quantile(0.5), 6.0));
        assert!(near(h.quantile(0.9), 6.0));
        for i in 0..100 {
            h.add(9.0 + f64::from(i) / 100.0);
        }
        let p95 = h.quantile(0.95).unwrap();
        assert!((9.85..=10.0).contains(&p95), "{p95}");
        assert!(near(h.quantile(1.0), 9.99));
        assert_eq!(h.quantile(0.0), Some(1.0));
        assert_eq!(PeakHistogram::new(0.05, 6.0).quantile(0.5), None);
    }

    #[test]
    fn a_peak_exactly_at_any_choke_reads_as_the_choke() {
        // Chokes of the default world and others: for 10 and 60, `lo + width *
        // bins` rounds above `ln 60`, which once put such peaks in the last
        // bin (the median read 59.56).
        for m_max in [6.0, 10.0, 15.0, 20.0, 30.0, 60.0, 1000.0, 7.3] {
            let mut h = PeakHistogram::new(0.05, m_max);
            for i in 0..10 {
                h.add(1.0 + f64::from(i) / 10.0);
            }
            for _ in 0..30 {
                h.add(m_max);
            }
            assert_eq!(h.quantile(0.5), Some(m_max), "choke {m_max}");
            assert_eq!(h.quantile(0.95), Some(m_max), "choke {m_max}");
        }
    }
}
