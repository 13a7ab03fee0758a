//! An exactly rounded running sum, so that sums do not depend on how trials
//! were split into batches.
//!
//! Floating-point addition is not associative: summing a batch on its own and
//! adding the result to the running total rounds differently from adding each
//! trial in turn. [`ExactSum`] keeps the sum exactly, as a short list of
//! non-overlapping partial sums (Shewchuk's algorithm, as in Python's
//! `math.fsum`), and rounds only when read. The exact sum of a set of numbers
//! does not depend on their order or grouping, and neither does its correctly
//! rounded value, so merging batch sums gives the same bits as adding every
//! trial sequentially, whatever the batch size or thread count.

use std::io::BufRead;

use super::codec::{DecodeError, Decoder, Encoder};

/// A sum of `f64` kept exactly and rounded once, when read.
///
/// The partials list stays short (a few entries for sums of like-signed
/// tonnages; at most about 40 in the worst case, one per 53 bits of exponent
/// range), so the memory is fixed whatever the number of terms.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExactSum {
    /// Non-overlapping partial sums, increasing in magnitude.
    partials: Vec<f64>,
    /// The sum of the non-finite terms (infinities and NaN), kept apart as
    /// `fsum` does: they would destroy the partials.
    special: f64,
}

impl ExactSum {
    /// Adds one term.
    pub(crate) fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.special += x;
            return;
        }
        let mut x = x;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            // Two-sum: `hi + lo == x + y` exactly (|x| >= |y|).
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds every term of another sum (exactly: partials are exact values).
    pub(crate) fn merge(&mut self, other: &ExactSum) {
        self.special += other.special;
        for &p in &other.partials {
            self.add(p);
        }
    }

    /// Writes the sum as one line: `sum SPECIAL COUNT PARTIALS...`.
    pub(crate) fn encode(&self, enc: &mut Encoder<'_>) {
        enc.tag("sum").f64(self.special).f64s(&self.partials);
    }

    /// Reads a sum written by [`ExactSum::encode`]. The partials are added
    /// afresh, which keeps the exact value (they are exact numbers) and
    /// restores the list's invariants whatever the file held.
    pub(crate) fn decode<R: BufRead>(dec: &mut Decoder<R>) -> Result<ExactSum, DecodeError> {
        let mut f = dec.expect("sum")?;
        let special = f.f64()?;
        let partials = f.f64s()?;
        if special.is_finite() && special != 0.0 || partials.iter().any(|p| !p.is_finite()) {
            return Err(f.error("a sum with impossible terms"));
        }
        f.end()?;
        let mut sum = ExactSum {
            partials: Vec::new(),
            special,
        };
        for p in partials {
            sum.add(p);
        }
        Ok(sum)
    }

    /// The sum, correctly rounded to the nearest `f64` (ties to even).
    ///
    /// Infinite or NaN when a term was; a sum whose exact value overflows
    /// `f64` is not detected (tonnages are nowhere near).
    pub(crate) fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        let p = &self.partials;
        let Some(mut n) = p.len().checked_sub(1) else {
            return 0.0;
        };
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even across the remaining partials: when `lo` is
        // exactly half an ulp and the next partial pushes the same way, the
        // true sum lies beyond the halfway point, so round away.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::ExactSum;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        for &x in xs {
            s.add(x);
        }
        s.value()
    }

    #[test]
    fn cancellation_is_exact() {
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[]), 0.0);
    }

    #[test]
    fn grouping_does_not_change_the_bits() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| (i as f64 * 0.7311).sin() * 1e3 + 1e-3)
            .collect();
        let whole = sum(&xs);
        for batch in [1, 3, 7, 64, 999] {
            let mut total = ExactSum::default();
            for chunk in xs.chunks(batch) {
                let mut part = ExactSum::default();
                for &x in chunk {
                    part.add(x);
                }
                total.merge(&part);
            }
            assert_eq!(total.value().to_bits(), whole.to_bits(), "batch {batch}");
        }
    }

    #[test]
    fn non_finite_terms_propagate() {
        assert_eq!(sum(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
    }
}
