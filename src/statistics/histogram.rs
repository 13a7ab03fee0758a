//! A fixed-range, mergeable histogram with quantiles read off by interpolation.
//!
//! Used wherever a run needs quantiles of a quantity observed in every trial
//! and month (price fans, peak prices, output shares, split-market gaps)
//! without keeping every value: memory depends on the range and bin width,
//! never on the number of trials, and two histograms of the same shape merge
//! by adding counts, which is exact and order-free.

use std::io::BufRead;

use super::codec::{DecodeError, Decoder, Encoder};

/// Most bins one histogram will allocate; wider ranges get wider bins.
///
/// A price histogram with the default bounds `[0.05, 1000]` needs 991 bins of
/// 0.01; this cap (a price range of `e^163`) only guards against absurd bounds
/// turning into absurd memory.
pub const MAX_BINS: usize = 1 << 14;

/// Counts of values in equal bins over `lo..hi`, with point masses at both
/// ends and the exact extremes.
///
/// Values at or below `lo` count as exactly `lo`, values at or above `hi` as
/// exactly `hi` (they are clamped, so a quantile never leaves `lo..=hi`);
/// this keeps a bound that many trials hit (a price at its choke multiple, a
/// share of exactly 0 or 1) exact instead of smearing it over a bin. NaN
/// values are ignored.
///
/// # Resolution
///
/// A quantile is found in the bin that holds the sample's ranked values it
/// needs, and the values in a bin are taken as spread evenly across it (the
/// `i`-th of `k` values sits at the centre of the `i`-th of `k` equal slices).
/// So a quantile is always within one bin width of the sample quantile (type
/// 7, see [`super::quantile`]), and within half a bin when the values are
/// dense, as they are in the body of a distribution of a few thousand trials.
/// It is further clamped to the smallest and largest value seen, so a
/// quantity that never moves is reported exactly.
///
/// ```
/// use shortfall::statistics::Histogram;
///
/// let mut h = Histogram::new(0.0, 1.0, 0.001);
/// for i in 0..=100 {
///     h.add(f64::from(i) / 100.0);
/// }
/// let median = h.quantile(0.5).unwrap_or(f64::NAN);
/// assert!((median - 0.5).abs() <= 0.001);
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    lo: f64,
    /// The upper end exactly as given, so that a value at it (a price at its
    /// choke, `ln m_max`) is a point mass at the bound, not in the last bin
    /// because `lo + width * bins` rounded a hair above it.
    hi: f64,
    width: f64,
    bins: usize,
    /// Counts per bin; empty until the first value inside `lo..hi` arrives,
    /// so histograms of quantities that sit at a bound cost nothing.
    counts: Vec<u32>,
    below: u32,
    above: u32,
    inside: u32,
    min: f64,
    max: f64,
}

impl Histogram {
    /// A histogram over `lo..hi` with bins no wider than `max_width` (the
    /// range is split into `ceil((hi - lo) / max_width)` equal bins, at most
    /// [`MAX_BINS`]).
    ///
    /// A range that is empty or not finite gets a single bin of `max_width`
    /// from `lo` (or from 0 when `lo` is not finite), so any input yields a
    /// usable histogram.
    pub fn new(lo: f64, hi: f64, max_width: f64) -> Histogram {
        let max_width = if max_width.is_finite() && max_width > 0.0 {
            max_width
        } else {
            1.0
        };
        let lo_ok = if lo.is_finite() { lo } else { 0.0 };
        let range = hi - lo_ok;
        let (bins, width, hi) = if range.is_finite() && range > 0.0 {
            let wanted = (range / max_width).ceil();
            // `wanted` is finite and >= 1 here; the cast saturates anyway.
            let bins = (wanted as usize).clamp(1, MAX_BINS);
            (bins, range / bins as f64, hi)
        } else {
            (1, max_width, lo_ok + max_width)
        };
        Histogram {
            lo: lo_ok,
            hi,
            width,
            bins,
            counts: Vec::new(),
            below: 0,
            above: 0,
            inside: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// The lower end of the range.
    pub fn lo(&self) -> f64 {
        self.lo
    }

    /// The upper end of the range.
    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// The width of one bin.
    pub fn bin_width(&self) -> f64 {
        self.width
    }

    /// Values counted (NaN excluded).
    pub fn count(&self) -> u64 {
        u64::from(self.below) + u64::from(self.above) + u64::from(self.inside)
    }

    /// Counts one value.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        let hi = self.hi();
        if x <= self.lo {
            self.below = self.below.saturating_add(1);
        } else if x >= hi {
            self.above = self.above.saturating_add(1);
        } else {
            if self.counts.is_empty() {
                self.counts = vec![0; self.bins];
            }
            // `x` is inside, so the index is finite and >= 0; rounding at the
            // top edge is caught by the `min`.
            let k = (((x - self.lo) / self.width) as usize).min(self.bins - 1);
            if let Some(c) = self.counts.get_mut(k) {
                *c = c.saturating_add(1);
            }
            self.inside = self.inside.saturating_add(1);
        }
    }

    /// Adds the counts of `other`, which must have the same range and bins
    /// (histograms made by the same [`Histogram::new`] call do); counts of a
    /// histogram of another shape are added bin by bin as far as both go.
    pub fn merge(&mut self, other: &Histogram) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.below = self.below.saturating_add(other.below);
        self.above = self.above.saturating_add(other.above);
        self.inside = self.inside.saturating_add(other.inside);
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; self.bins];
        }
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c = c.saturating_add(*o);
        }
    }

    /// The `q` quantile (type 7, like [`super::quantile`] on the values
    /// counted), or `None` when nothing was counted. `q` is clamped to 0..1.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let value = super::type7_quantile(self.count(), q, |rank| self.ranked(rank))?;
        // Not `f64::clamp`, which panics unless `min <= max`; with a value
        // counted they are ordered, but this costs nothing.
        Some(value.max(self.min).min(self.max))
    }

    /// The estimated `rank`-th smallest value (from 0), clamped to the
    /// smallest and largest value seen.
    pub(crate) fn ranked_clamped(&self, rank: u64) -> f64 {
        self.ranked(rank).max(self.min).min(self.max)
    }

    /// Whether `other` has the same range and bins, so that the two merge
    /// bin for bin.
    pub(crate) fn same_shape(&self, other: &Histogram) -> bool {
        self.lo.to_bits() == other.lo.to_bits()
            && self.hi.to_bits() == other.hi.to_bits()
            && self.width.to_bits() == other.width.to_bits()
            && self.bins == other.bins
    }

    /// Writes the histogram as one line: `hist LO HI WIDTH BINS BELOW ABOVE
    /// INSIDE MIN MAX` and then `K:COUNT` for every bin `K` with a count.
    pub(crate) fn encode(&self, enc: &mut Encoder<'_>) {
        enc.tag("hist")
            .f64(self.lo)
            .f64(self.hi)
            .f64(self.width)
            .u64(self.bins as u64)
            .u64(u64::from(self.below))
            .u64(u64::from(self.above))
            .u64(u64::from(self.inside))
            .f64(self.min)
            .f64(self.max);
        for (k, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                enc.pair(k as u64, u64::from(c));
            }
        }
    }

    /// Reads a histogram written by [`Histogram::encode`], checking that its
    /// bins and counts are consistent.
    pub(crate) fn decode<R: BufRead>(dec: &mut Decoder<R>) -> Result<Histogram, DecodeError> {
        let mut f = dec.expect("hist")?;
        let lo = f.f64()?;
        let hi = f.f64()?;
        let width = f.f64()?;
        let bins = f.usize()?;
        let below = f.u32()?;
        let above = f.u32()?;
        let inside = f.u32()?;
        let min = f.f64()?;
        let max = f.f64()?;
        // `hi` is `lo + width * bins` up to rounding.
        let shape_ok = lo.is_finite()
            && width.is_finite()
            && width > 0.0
            && (1..=MAX_BINS).contains(&bins)
            && (hi - (lo + width * bins as f64)).abs() <= 1e-9 * (1.0 + hi.abs());
        if !shape_ok {
            return Err(f.error("a histogram with an impossible range"));
        }
        let mut counts = Vec::new();
        let mut total: u64 = 0;
        while let Some((k, c)) = f.pair()? {
            let (Ok(k), Ok(c)) = (usize::try_from(k), u32::try_from(c)) else {
                return Err(f.error("a histogram bin out of range"));
            };
            if counts.is_empty() {
                counts = vec![0; bins];
            }
            match counts.get_mut(k) {
                Some(slot) if *slot == 0 && c > 0 => *slot = c,
                _ => return Err(f.error("a histogram bin out of range or repeated")),
            }
            total += u64::from(c);
        }
        if total != u64::from(inside) {
            return Err(f.error("a histogram whose bins do not add up"));
        }
        f.end()?;
        Ok(Histogram {
            lo,
            hi,
            width,
            bins,
            counts,
            below,
            above,
            inside,
            min,
            max,
        })
    }

    /// The estimated `rank`-th smallest value (from 0).
    fn ranked(&self, rank: u64) -> f64 {
        let below = u64::from(self.below);
        if rank < below {
            return self.lo;
        }
        let mut before = below;
        for (k, &c) in self.counts.iter().enumerate() {
            let c = u64::from(c);
            if rank < before + c {
                let slot = (rank - before) as f64 + 0.5;
                return self.lo + (k as f64 + slot / c as f64) * self.width;
            }
            before += c;
        }
        self.hi()
    }
}
