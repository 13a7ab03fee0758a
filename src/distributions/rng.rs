//! The counter-based random number generator behind every draw of a run.
//!
//! # The scheme
//!
//! A run never keeps generator *state*. Every random number is a pure function
//! of four things (MODEL.md, section 3):
//!
//! * the run's `seed` (`u64`),
//! * the `trial` index (`u32`),
//! * the [`StreamId`] naming the quantity being drawn
//!   (`shock.ban_dy.duration_months`, `demand_noise.ndpr_oxide`, `outage.3`),
//! * a `counter` (`u32`) numbering the draws within that stream: the month, the
//!   event, or 0 for a parameter sampled once per trial.
//!
//! These go through the Philox4x32-10 block function of Salmon, Moraes, Dror and
//! Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC 2011; the Random123
//! library), keyed by the seed:
//!
//! ```text
//! key     = [seed low 32 bits, seed high 32 bits]
//! counter = [counter, trial, stream low 32 bits, stream high 32 bits]
//! bits    = philox4x32_10(counter, key)        // four u32 words
//! ```
//!
//! # Why counter-based
//!
//! * **Reproducible whatever the parallelism.** A draw does not depend on which
//!   thread, batch or shard ran the trial, nor on how many draws came before it,
//!   so results are bit-identical for any thread count or shard split.
//! * **Trial `k` depends on `(seed, k)` alone.** Any trial can be replayed on its
//!   own, month by month, and adding trials never changes the first `n`.
//! * **Common random numbers.** Two scenarios that share a stream name draw the
//!   same numbers for it in every trial, so comparing scenarios isolates the
//!   change rather than the sampling noise. Conversely, renaming a stream (or a
//!   shock `id`, which names its streams) changes its draws.
//!
//! # Limits
//!
//! * Trial indices are `u32`: a run has at most 2^32 trials.
//! * A stream has 2^32 counters, each giving 128 bits (two [`uniform`]s via
//!   [`TrialRng::uniform_pair`]).
//! * Stream ids are 64-bit FNV-1a hashes of their names. Two different names could
//!   in principle collide (and would then draw identical numbers); with the few
//!   thousand streams of a run the chance is about n^2 / 2^65, below 1e-12.
//!
//! [`uniform`]: TrialRng::uniform
//!
//! # Example
//!
//! ```
//! use shortfall::distributions::rng::{StreamId, TrialRng};
//!
//! let duration = StreamId::named("shock.ban_dy.duration_months");
//! let rng = TrialRng::new(2025, 7);
//! let u = rng.uniform(duration, 0);
//! assert!(u > 0.0 && u < 1.0);
//! // A pure function: asking again gives the very same number.
//! assert_eq!(u.to_bits(), TrialRng::new(2025, 7).uniform(duration, 0).to_bits());
//! ```

use crate::math;

/// Philox multiplier applied to counter word 0.
const PHILOX_M0: u32 = 0xD251_1F53;
/// Philox multiplier applied to counter word 2.
const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Weyl increment of key word 0 between rounds (golden ratio).
const PHILOX_W0: u32 = 0x9E37_79B9;
/// Weyl increment of key word 1 between rounds (sqrt(3) - 1).
const PHILOX_W1: u32 = 0xBB67_AE85;
/// The "-10" of Philox4x32-10: the round count Random123 recommends, which
/// passes BigCrush with a safety margin.
const PHILOX_ROUNDS: usize = 10;

/// 2^-53, the spacing of the 53-bit grid that [`unit_f64`] maps onto.
const TWO_POW_MINUS_53: f64 = 1.0 / (1u64 << 53) as f64;
/// The largest `f64` below 1, i.e. `1 - 2^-53`.
const LARGEST_BELOW_ONE: f64 = 1.0 - f64::EPSILON / 2.0;

/// The high and low 32-bit halves of the 64-bit product `a * b`.
#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let product = u64::from(a) * u64::from(b);
    ((product >> 32) as u32, product as u32)
}

/// One Philox4x32 round: two 32x32->64 multiplications mixed with the key.
#[inline(always)]
fn philox_round(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(PHILOX_M0, ctr[0]);
    let (hi1, lo1) = mulhilo(PHILOX_M1, ctr[2]);
    [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0]
}

/// The Philox4x32-10 block function (Salmon et al. 2011, Random123), exactly.
///
/// Maps a 128-bit counter and a 64-bit key to 128 pseudo-random bits. It is a
/// bijection of the counter for each key, so distinct counters never give the
/// same block. The result matches Random123's `philox4x32_R(10, ctr, key)` and
/// its known-answer vectors.
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::philox4x32_10;
///
/// // Random123 known-answer vector (kat_vectors: philox4x32 10, all zero).
/// assert_eq!(
///     philox4x32_10([0, 0, 0, 0], [0, 0]),
///     [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
/// );
/// ```
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut ctr = counter;
    let mut key = key;
    for round in 0..PHILOX_ROUNDS {
        // The key is bumped between rounds, not before the first one.
        if round > 0 {
            key = [
                key[0].wrapping_add(PHILOX_W0),
                key[1].wrapping_add(PHILOX_W1),
            ];
        }
        ctr = philox_round(ctr, key);
    }
    ctr
}

/// Maps two random words to a `f64` strictly inside (0, 1).
///
/// Takes the top 53 bits of the 64-bit word `(w1 << 32) | w0`, i.e.
/// `x = ((w1 << 32) | w0) >> 11` in `0..2^53`, and returns the midpoint of its
/// cell, `(x + 1/2) * 2^-53`. So the smallest result is `2^-54` and inverse
/// CDFs never see 0 or 1.
///
/// Below 1/2 the midpoints are exact doubles. Above 1/2 doubles are spaced
/// `2^-53` apart, so `x + 1/2` rounds to an even neighbour (IEEE round half to
/// even, the same on every platform); the single top cell, which would round to
/// 1, returns the largest double below 1 (`1 - 2^-53`) instead.
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::unit_f64;
///
/// assert_eq!(unit_f64(0, 0), 2f64.powi(-54));
/// assert_eq!(unit_f64(0, 0x8000_0000), 0.5);
/// assert_eq!(unit_f64(u32::MAX, u32::MAX), 1.0 - 2f64.powi(-53));
/// ```
#[inline]
pub fn unit_f64(w0: u32, w1: u32) -> f64 {
    let x = ((u64::from(w1) << 32) | u64::from(w0)) >> 11;
    // `x < 2^53`, so the conversion is exact; multiplying by a power of two is
    // exact too, leaving only the rounding of `+ 0.5` described above.
    ((x as f64 + 0.5) * TWO_POW_MINUS_53).min(LARGEST_BELOW_ONE)
}

/// The name of a random stream, hashed to 64 bits.
///
/// A stream is the sequence of draws for one quantity, such as a sampled
/// parameter (`shock.ban_dy.duration_months`), a monthly noise
/// (`demand_noise.ndpr_oxide`) or an event process (`outage.3`). Build it with
/// [`StreamId::named`]; the id, not the name, enters the generator.
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::StreamId;
///
/// let a = StreamId::named("demand_noise.ndpr_oxide");
/// assert_eq!(a, StreamId::named("demand_noise.ndpr_oxide"));
/// assert_ne!(a, StreamId::named("demand_noise.dytb_oxide"));
/// assert_eq!(StreamId::from_raw(a.raw()), a);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(u64);

impl StreamId {
    /// 64-bit FNV-1a offset basis.
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    /// 64-bit FNV-1a prime.
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

    /// A stream id given directly as its 64-bit value.
    #[inline]
    pub const fn from_raw(raw: u64) -> StreamId {
        StreamId(raw)
    }

    /// The stream id of a name: the 64-bit FNV-1a hash of its UTF-8 bytes.
    ///
    /// FNV-1a is fixed by its specification, independent of platform,
    /// endianness, Rust version and this crate's version, so a name always
    /// gives the same stream. The flip side: **renaming a stream changes its
    /// draws**, and with them the results of every seed. Names are
    /// case-sensitive and not normalised.
    ///
    /// It is a `const fn`, so fixed streams can be named at compile time.
    ///
    /// # Example
    ///
    /// ```
    /// use shortfall::distributions::rng::StreamId;
    ///
    /// const DEMAND_NOISE: StreamId = StreamId::named("demand_noise.ndpr_oxide");
    /// // The FNV-1a hash of the empty string is the offset basis.
    /// assert_eq!(StreamId::named("").raw(), 0xcbf2_9ce4_8422_2325);
    /// # let _ = DEMAND_NOISE;
    /// ```
    pub const fn named(name: &str) -> StreamId {
        let bytes = name.as_bytes();
        let mut hash = Self::FNV_OFFSET;
        let mut i = 0;
        // A `while` loop because iterators are not available in `const fn`.
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(Self::FNV_PRIME);
            i += 1;
        }
        StreamId(hash)
    }

    /// The 64-bit value of the id.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// The random numbers of one trial of a run: a view of the generator with the
/// seed and the trial index fixed.
///
/// It holds no state and is `Copy`; every method is a pure function of
/// `(seed, trial, stream, counter)`, so it can be handed to any thread and
/// queried in any order. See the [module documentation](self) for the scheme.
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::{StreamId, TrialRng};
///
/// let rng = TrialRng::new(42, 0);
/// let noise = StreamId::named("demand_noise.ndpr_oxide");
/// // One standard normal per month: the month is the counter.
/// let z: Vec<f64> = (0..12).map(|month| rng.standard_normal(noise, month)).collect();
/// assert!(z.iter().all(|z| z.is_finite()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrialRng {
    seed: u64,
    trial: u32,
}

impl TrialRng {
    /// The generator of trial `trial` of a run seeded with `seed`.
    #[inline]
    pub const fn new(seed: u64, trial: u32) -> TrialRng {
        TrialRng { seed, trial }
    }

    /// The run's seed.
    #[inline]
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// The trial index.
    #[inline]
    pub const fn trial(&self) -> u32 {
        self.trial
    }

    /// The 128 raw bits for `(stream, counter)` in this trial.
    ///
    /// Philox4x32-10 with key `[seed low 32, seed high 32]` and counter words
    /// `[counter, trial, stream low 32, stream high 32]`.
    #[inline]
    pub fn bits(&self, stream: StreamId, counter: u32) -> [u32; 4] {
        let key = [self.seed as u32, (self.seed >> 32) as u32];
        let s = stream.raw();
        philox4x32_10([counter, self.trial, s as u32, (s >> 32) as u32], key)
    }

    /// A uniform number strictly inside (0, 1) for `(stream, counter)`.
    ///
    /// Words 0 and 1 of [`bits`](Self::bits) through [`unit_f64`].
    #[inline]
    pub fn uniform(&self, stream: StreamId, counter: u32) -> f64 {
        let w = self.bits(stream, counter);
        unit_f64(w[0], w[1])
    }

    /// Two independent uniforms strictly inside (0, 1) from one block: words 0
    /// and 1, then words 2 and 3, each through [`unit_f64`].
    ///
    /// The first equals [`uniform`](Self::uniform) for the same arguments.
    #[inline]
    pub fn uniform_pair(&self, stream: StreamId, counter: u32) -> [f64; 2] {
        let w = self.bits(stream, counter);
        [unit_f64(w[0], w[1]), unit_f64(w[2], w[3])]
    }

    /// A standard normal number for `(stream, counter)`, by inversion:
    /// [`standard_normal_quantile`] of [`uniform`](Self::uniform).
    ///
    /// Inversion (rather than Box-Muller or a ziggurat) keeps one uniform per
    /// normal, so the draw is monotone in the uniform, which the Gaussian copula
    /// and rank statistics rely on. The result lies within about ±8.3.
    #[inline]
    pub fn standard_normal(&self, stream: StreamId, counter: u32) -> f64 {
        standard_normal_quantile(self.uniform(stream, counter))
    }
}

/// Evaluates the degree-7 polynomial with coefficients `c` (constant first) at
/// `x` by Horner's rule.
#[inline(always)]
fn horner7(c: &[f64; 8], x: f64) -> f64 {
    ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0]
}

// Coefficients of Wichura's AS241 (PPND16), constant term first, written with
// the digits published in the paper so they can be checked against it; Rust
// rounds each to the nearest f64.
#[allow(clippy::excessive_precision)]
mod as241 {
    /// Central region, numerator (`|p - 1/2| <= 0.425`).
    pub(super) const A: [f64; 8] = [
        3.387_132_872_796_366_608_0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    /// Central region, denominator.
    pub(super) const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ];
    /// Intermediate tail, numerator (`sqrt(-ln min(p, 1-p)) <= 5`).
    pub(super) const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_90,
        5.769_497_221_460_691_405_50,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ];
    /// Intermediate tail, denominator.
    pub(super) const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_40,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    /// Far tail, numerator.
    pub(super) const E: [f64; 8] = [
        6.657_904_643_501_103_777_20,
        5.463_784_911_164_114_369_90,
        1.784_826_539_917_291_335_80,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    /// Far tail, denominator.
    pub(super) const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
}

/// The inverse of the standard normal CDF: the `z` with `P(Z <= z) = p`.
///
/// Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3), 1988), with
/// relative accuracy about 1e-16 over the whole of (0, 1). It is implemented
/// here rather than taken from a library because it runs in the engine's hot
/// loop: no allocation, no branches beyond the three regions.
///
/// Outside the open interval: `p == 0` gives negative infinity, `p == 1`
/// positive infinity, and NaN or any `p` outside `[0, 1]` gives NaN.
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::standard_normal_quantile;
///
/// assert_eq!(standard_normal_quantile(0.5), 0.0);
/// assert!((standard_normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-15);
/// assert_eq!(standard_normal_quantile(0.0), f64::NEG_INFINITY);
/// assert!(standard_normal_quantile(1.5).is_nan());
/// ```
pub fn standard_normal_quantile(p: f64) -> f64 {
    // Written so that NaN fails the test and falls through to NaN.
    if !(p > 0.0 && p < 1.0) {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else if p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * horner7(&as241::A, r) / horner7(&as241::B, r);
    }
    // Tails: work with the smaller of p and 1 - p, then restore the sign.
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-math::ln(tail)).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        horner7(&as241::C, r) / horner7(&as241::D, r)
    } else {
        let r = r - 5.0;
        horner7(&as241::E, r) / horner7(&as241::F, r)
    };
    if q < 0.0 {
        -z
    } else {
        z
    }
}

/// The standard normal CDF, `P(Z <= x) = erfc(-x / sqrt 2) / 2`.
///
/// Through `erfc` so the lower tail keeps its relative accuracy (no `1 - ...`
/// cancellation). Used by the Gaussian copula to turn correlated normals back
/// into uniforms. `-inf` gives 0, `+inf` gives 1, NaN gives NaN.
///
/// `erfc` is musl's (through [`crate::math`]), good to about an ulp, so
/// `cdf(quantile(p))` returns `p` to about 1e-15. (statrs 0.18's `erfc`,
/// used before, is good to 1e-10 only: its interval constants were
/// transcribed with 10 digits.)
///
/// # Example
///
/// ```
/// use shortfall::distributions::rng::standard_normal_cdf;
///
/// assert_eq!(standard_normal_cdf(0.0), 0.5);
/// assert!((standard_normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-15);
/// ```
pub fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * math::erfc(-x / std::f64::consts::SQRT_2)
}
