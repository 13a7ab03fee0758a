//! Pressure-routed trade of one product in one month (MODEL.md section 2, step 4).
//!
//! Every country is a supplier with `E` and a buyer with `U`. Buyers route
//! their asks away from oversubscribed suppliers (and quotas) by a pressure
//! that works like a local price, then suppliers ship, scaling pro rata: all
//! at once, never in an order that favours anyone. Restrictions act on links:
//! a ban makes room 0, a licence caps the link at an allowance, a quota caps a
//! supplier's shipments to a set of destinations.
//!
//! Restrictions and shipments are dense `nc x nc` arrays indexed `e * nc + i`
//! (supplier `e`, buyer `i`). The routing, which runs up to 16 iterations in
//! each of up to 4 passes and is most of a month's work, packs the links
//! between the pass's suppliers and buyers (a handful of the `nc x nc`) into
//! small contiguous arrays first; see [`Trader`].

use crate::scenario::MAX_QUOTAS;

/// The most passes of route-and-ship in a month.
const PASSES: usize = 4;
/// The most routing iterations in a pass.
const ROUTE_ITERATIONS: usize = 16;
/// Asks that move, or a pass that ships, less than this many `eps` (1e-12 of
/// the product's world output) in total count as settled: 1e-9 of world
/// output.
const SETTLED: f64 = 1e3;
/// Asks within this factor of what can be given count as fitting.
const FIT: f64 = 1.0 + 1e-6;
/// Pressures grow by at most this factor per iteration, so they stay finite.
const PRESSURE_STEP_MAX: f64 = 4.0;

/// How a restriction limits one link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Link {
    /// Not restricted (tariffs do not limit room).
    Free,
    /// Nothing passes.
    Ban,
    /// At most `allowance` more may pass this month (a licence).
    Licence,
    /// Shipments count against every quota of the set (each caps what its
    /// supplier ships to the destinations it covers; several may cover one
    /// link, and all of them apply).
    Quota(QuotaSet),
}

/// The quotas covering a link: a set of quota indices, below
/// [`MAX_QUOTAS`] (the scenario parser refuses more quota restrictions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QuotaSet(u64);

// One bit per quota.
const _: () = assert!(MAX_QUOTAS <= u64::BITS as usize);

impl QuotaSet {
    /// No quota.
    pub const NONE: QuotaSet = QuotaSet(0);

    /// Quota `q` alone.
    pub fn one(q: usize) -> QuotaSet {
        debug_assert!(q < MAX_QUOTAS);
        QuotaSet(1 << q)
    }

    /// The set and quota `q`.
    pub fn with(self, q: usize) -> QuotaSet {
        QuotaSet(self.0 | QuotaSet::one(q).0)
    }

    /// Whether quota `q` is in the set.
    #[inline]
    pub fn contains(self, q: usize) -> bool {
        self.0 >> q & 1 == 1
    }

    /// The quotas, in increasing order (the order of their shocks).
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let q = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                q
            })
        })
    }
}

/// The restrictions of one product in one month, and what is left of them.
///
/// Dense per link for constant-time lookups, with the list of restricted
/// links kept beside, so that clearing them month after month costs only as
/// much as there are restrictions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Links {
    pub nc: usize,
    /// Per link.
    kind: Vec<Link>,
    /// Per link: what a licence still lets through this month.
    pub allowance: Vec<f64>,
    /// Per quota: tonnes still allowed this month.
    pub quota_room: Vec<f64>,
    /// The links that are not free, in the order they were restricted.
    restricted: Vec<usize>,
}

impl Links {
    /// Clears every restriction for `nc` countries.
    pub fn reset(&mut self, nc: usize) {
        if self.nc == nc && self.kind.len() == nc * nc {
            for &l in &self.restricted {
                self.kind[l] = Link::Free;
                self.allowance[l] = f64::INFINITY;
            }
        } else {
            self.nc = nc;
            self.kind.clear();
            self.kind.resize(nc * nc, Link::Free);
            self.allowance.clear();
            self.allowance.resize(nc * nc, f64::INFINITY);
        }
        self.restricted.clear();
        self.quota_room.clear();
    }

    /// Copies `other` into `self`, reusing `self`'s buffers.
    pub fn copy_from(&mut self, other: &Links) {
        self.reset(other.nc);
        for &l in &other.restricted {
            self.set(l, other.kind[l]);
            self.allowance[l] = other.allowance[l];
        }
        self.quota_room.clone_from(&other.quota_room);
    }

    /// How link `l` is restricted.
    #[inline]
    pub fn kind(&self, l: usize) -> Link {
        self.kind[l]
    }

    /// Restricts link `l`.
    pub fn set(&mut self, l: usize, kind: Link) {
        if self.kind[l] == Link::Free && kind != Link::Free {
            self.restricted.push(l);
        }
        self.kind[l] = kind;
    }

    /// Whether any link is restricted.
    #[inline]
    pub fn any(&self) -> bool {
        !self.restricted.is_empty()
    }

    /// The restricted links.
    pub fn restricted(&self) -> &[usize] {
        &self.restricted
    }

    /// What the restriction on link `l` still allows (infinite when free).
    #[inline]
    fn limit(&self, l: usize) -> f64 {
        match self.kind[l] {
            Link::Free => f64::INFINITY,
            Link::Ban => 0.0,
            Link::Licence => self.allowance[l],
            Link::Quota(set) => set
                .iter()
                .map(|q| self.quota_room[q])
                .fold(f64::INFINITY, f64::min),
        }
    }

    /// Whether the restriction's own allowance on link `l` is used up (within
    /// `eps`); a free link never is.
    pub fn exhausted(&self, l: usize, eps: f64) -> bool {
        match self.kind[l] {
            Link::Free => false,
            _ => self.limit(l) <= eps,
        }
    }
}

/// Buyers per row are padded to a multiple of this, so that the routing
/// loops run over whole SIMD vectors. Padding links have no room, weight or
/// ask, and adding their zeros changes no sum.
const LANES: usize = 2;

/// `LANES` consecutive buyers of one row: the unit the routing loops work in.
type Lanes = [f64; LANES];

/// The sum of `LANES` partial sums, in a fixed order, so that a result never
/// depends on how the compiler packs registers.
#[inline(always)]
fn lane_sum(acc: Lanes) -> f64 {
    acc[0] + acc[1]
}

/// The sum of a row of asks, added up as [`Trader::route`] adds them: in
/// `LANES` interleaved partial sums, then those by [`lane_sum`].
fn row_sum(row: &[Lanes]) -> f64 {
    let mut acc = [0.0f64; LANES];
    for chunk in row {
        for k in 0..LANES {
            acc[k] += chunk[k];
        }
    }
    lane_sum(acc)
}

/// Per buyer, the sum of its weights over the sellers: rows of `rows` (one
/// per seller, as many lanes as `total`) times the seller's `scale` (its
/// `1 / P_e`, or 1 where the rows are weights already), added seller by
/// seller.
///
/// The link loops of the routing are free functions, so that the compiler
/// knows their slices do not overlap and packs them into SIMD registers.
#[inline(never)]
fn weigh(total: &mut [Lanes], rows: &[Lanes], scale: impl Fn(usize) -> f64) {
    let chunks = total.len();
    // Seller by seller, each buyer's sum in the same order as a loop over
    // sellers per buyer would take it, but over contiguous rows.
    total.fill([0.0; LANES]);
    for (s, row) in rows.chunks_exact(chunks).enumerate() {
        let x = scale(s);
        for (t_c, r_c) in total.iter_mut().zip(row) {
            for k in 0..LANES {
                t_c[k] += r_c[k] * x;
            }
        }
    }
}

/// Asks `min(room, w f)`, row by row (one row per seller), with the weight
/// `w` a row of `rows` times the seller's `scale` (as in [`weigh`]) and `f`
/// the buyer's `U / sum w`. Writes each row's sum into `asked_of` and returns
/// how far the asks moved from `previous`: the sum of `|ask - previous|`.
#[inline(never)]
fn compute_asks(
    ask: &mut [Lanes],
    previous: &[Lanes],
    rows: &[Lanes],
    room: &[Lanes],
    factor: &[Lanes],
    scale: impl Fn(usize) -> f64,
    asked_of: &mut [f64],
) -> f64 {
    let mut moved = [0.0f64; LANES];
    let chunks = factor.len();
    for (s, asked) in asked_of.iter_mut().enumerate() {
        let x = scale(s);
        let row = s * chunks..(s + 1) * chunks;
        let (a_row, p_row, w_row, r_row) = (
            &mut ask[row.clone()],
            &previous[row.clone()],
            &rows[row.clone()],
            &room[row],
        );
        let mut acc = [0.0f64; LANES];
        for ((((a_c, p_c), w_c), r_c), f_c) in a_row
            .iter_mut()
            .zip(p_row)
            .zip(w_row)
            .zip(r_row)
            .zip(factor)
        {
            for k in 0..LANES {
                // Neither is NaN.
                let a = w_c[k] * x * f_c[k];
                let a = if a < r_c[k] { a } else { r_c[k] };
                a_c[k] = a;
                acc[k] += a;
                moved[k] += (a - p_c[k]).abs();
            }
        }
        *asked = lane_sum(acc);
    }
    lane_sum(moved)
}

/// One buyer's asks with every room at `E` and every pressure at 1:
/// `U_i w_ei / sum_e' w_e'i`, `w_ei = h_ei E_e`.
struct UnrestrictedBuyer<'a> {
    supply: &'a [f64],
    need: f64,
    home_weight: f64,
    buyer: usize,
    total_weight: f64,
}

impl<'a> UnrestrictedBuyer<'a> {
    fn new(supply: &'a [f64], need: &[f64], home_weight: f64, buyer: usize) -> Self {
        let mut this = UnrestrictedBuyer {
            supply,
            need: need[buyer],
            home_weight,
            buyer,
            total_weight: 0.0,
        };
        this.total_weight = (0..supply.len()).map(|e| this.weight(e)).sum();
        this
    }

    fn weight(&self, e: usize) -> f64 {
        let h = if e == self.buyer {
            self.home_weight
        } else {
            1.0
        };
        h * self.supply[e]
    }

    fn ask_of(&self, e: usize) -> f64 {
        if self.total_weight > 0.0 && self.need > 0.0 {
            self.need * self.weight(e) / self.total_weight
        } else {
            0.0
        }
    }
}

/// Scratch space for [`Trader::trade`], reused month after month.
///
/// A pass works on the links between the suppliers with something left to
/// ship and the buyers with something left to buy (a handful of the
/// `nc x nc`), packed into small dense arrays of [`Lanes`]: flattened, link
/// `s * stride + b` (seller `s` and buyer `b` of the pass, `stride` the
/// buyer count padded to whole lanes), so that the routing iterations run
/// over contiguous memory, vectorised across buyers, without looking
/// anything up. Every sum is taken in a fixed
/// order, so a trade's result depends on its inputs alone (never on threads
/// or batches); the order is not MODEL.md's link-by-link one, which changes
/// results only in their last bits.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trader {
    /// What each link shipped this month, `e * nc + i`.
    pub shipped: Vec<f64>,
    /// Countries of the shipping matrix (0 before the first trade).
    nc: usize,
    /// The first pass's suppliers and buyers: later passes use subsets of
    /// them, so every shipment of a month lies in their block, the only part
    /// of `shipped` to clear before the next trade.
    block_sellers: Vec<usize>,
    block_buyers: Vec<usize>,
    supplier_pressure: Vec<f64>,
    quota_pressure: Vec<f64>,
    quota_asked: Vec<f64>,
    // One pass.
    sellers: Vec<usize>,
    buyers: Vec<usize>,
    /// Padded buyer count: the row length of the link arrays.
    stride: usize,
    /// Per seller of the pass: its `E`, its pressure and `1 / pressure`.
    sup: Vec<f64>,
    pressure: Vec<f64>,
    inverse: Vec<f64>,
    /// `1 / E` per seller of the pass.
    inverse_sup: Vec<f64>,
    /// Per seller of the pass: the sum of its asks.
    asked_of: Vec<f64>,
    /// Per buyer of the pass (padded, in lanes): its `U` and the sum of its
    /// weights.
    need_b: Vec<Lanes>,
    total: Vec<Lanes>,
    /// `U / sum w`.
    factor: Vec<Lanes>,
    // Per link of the pass, in lanes: link `s * stride + b` of the flattened
    // arrays.
    room: Vec<Lanes>,
    /// `h * room`.
    hroom: Vec<Lanes>,
    /// `h room / (P_e P_q)`, kept only where quotas make it differ by link.
    weight: Vec<Lanes>,
    ask: Vec<Lanes>,
    previous_ask: Vec<Lanes>,
    /// The quotas covering the link (none for most).
    quota_of: Vec<QuotaSet>,
}

impl Trader {
    /// The unrestricted ask of each buyer of each supplier at the start of the
    /// month's trade, `U_i w_ei / sum_e' w_e'i` with every room at `E` and
    /// every pressure at 1, written into `out[e * nc + i]`: the base a
    /// licence's approval multiplies. As MODEL.md writes it, not capped at
    /// `E_e` (the link's room is, by `E_e` itself).
    pub fn unrestricted_asks(supply: &[f64], need: &[f64], home_weight: f64, out: &mut [f64]) {
        let nc = supply.len();
        for i in 0..nc {
            let buyer = UnrestrictedBuyer::new(supply, need, home_weight, i);
            for e in 0..nc {
                out[e * nc + i] = buyer.ask_of(e);
            }
        }
    }

    /// What each other country would ask of supplier `e` with no
    /// restriction in force (as [`Trader::unrestricted_asks`]), written into
    /// `out[i]`, with `out[e] = 0`: the weights of `e`'s customers in the
    /// split-market gap.
    pub fn unrestricted_asks_of(
        e: usize,
        supply: &[f64],
        need: &[f64],
        home_weight: f64,
        out: &mut [f64],
    ) {
        for (i, ask) in out.iter_mut().enumerate() {
            *ask = if i == e {
                0.0
            } else {
                UnrestrictedBuyer::new(supply, need, home_weight, i).ask_of(e)
            };
        }
    }

    /// What each buyer received this month (the column sums of `shipped`),
    /// into `out`.
    pub fn received(&self, out: &mut [f64]) {
        let nc = self.nc;
        out.iter_mut().for_each(|x| *x = 0.0);
        for &i in &self.block_buyers {
            let mut sum = 0.0;
            for &e in &self.block_sellers {
                sum += self.shipped[e * nc + i];
            }
            out[i] = sum;
        }
    }

    /// Trades one product: ships from `supply` (E, reduced in place) to `need`
    /// (U, reduced in place) through `links` (allowances used up in place).
    /// `eps` is the amount that counts as zero; shipments land in
    /// [`Trader::shipped`].
    pub fn trade(
        &mut self,
        supply: &mut [f64],
        need: &mut [f64],
        links: &mut Links,
        home_weight: f64,
        eps: f64,
    ) {
        let nc = supply.len();
        let quotas = links.quota_room.len();
        if self.nc == nc && self.shipped.len() == nc * nc {
            for &e in &self.block_sellers {
                for &i in &self.block_buyers {
                    self.shipped[e * nc + i] = 0.0;
                }
            }
        } else {
            self.nc = nc;
            self.shipped.clear();
            self.shipped.resize(nc * nc, 0.0);
        }
        self.block_sellers.clear();
        self.block_buyers.clear();
        self.supplier_pressure.clear();
        self.supplier_pressure.resize(nc, 1.0);
        self.quota_pressure.clear();
        self.quota_pressure.resize(quotas, 1.0);
        self.quota_asked.clear();
        self.quota_asked.resize(quotas, 0.0);

        for pass in 0..PASSES {
            self.sellers.clear();
            self.sellers.extend((0..nc).filter(|&e| supply[e] > eps));
            self.buyers.clear();
            self.buyers.extend((0..nc).filter(|&i| need[i] > eps));
            if self.sellers.is_empty() || self.buyers.is_empty() {
                break;
            }
            if pass == 0 {
                self.block_sellers.clone_from(&self.sellers);
                self.block_buyers.clone_from(&self.buyers);
            }
            self.pack(supply, need, links, home_weight);
            self.route(links, eps);
            for (s, &e) in self.sellers.iter().enumerate() {
                self.supplier_pressure[e] = self.pressure[s];
            }
            let shipped = self.ship(supply, need, links);
            // MODEL.md: passes stop once one ships less than 1e-9 of the
            // product's world output (`eps` is 1e-12 of it).
            if shipped < eps * SETTLED {
                break;
            }
        }
    }

    /// Lays out the pass's links: rooms, home-weighted rooms and quotas.
    fn pack(&mut self, supply: &[f64], need: &[f64], links: &Links, home_weight: f64) {
        let (ns, nb) = (self.sellers.len(), self.buyers.len());
        let chunks = nb.div_ceil(LANES);
        let stride = chunks * LANES;
        self.stride = stride;
        let n = ns * chunks;
        // Every link's room is written below, padding included; weights and
        // asks are written by the routing before they are read.
        for v in [
            &mut self.room,
            &mut self.hroom,
            &mut self.weight,
            &mut self.ask,
            &mut self.previous_ask,
        ] {
            v.resize(n, [0.0; LANES]);
        }
        if !self.quota_pressure.is_empty() {
            self.quota_of.clear();
            self.quota_of.resize(n * LANES, QuotaSet::NONE);
        }
        // Per seller and per buyer; the routing writes `asked_of`,
        // `inverse`, `inverse_sup`, `total` and `factor` before reading them.
        for v in [
            &mut self.sup,
            &mut self.pressure,
            &mut self.asked_of,
            &mut self.inverse,
            &mut self.inverse_sup,
        ] {
            v.resize(ns, 0.0);
        }
        for (s, &e) in self.sellers.iter().enumerate() {
            self.sup[s] = supply[e];
            self.pressure[s] = self.supplier_pressure[e];
        }
        for v in [&mut self.need_b, &mut self.total, &mut self.factor] {
            v.resize(chunks, [0.0; LANES]);
        }
        for (b, slot) in self.need_b.as_flattened_mut()[..stride]
            .iter_mut()
            .enumerate()
        {
            *slot = self.buyers.get(b).map_or(0.0, |&i| need[i]);
        }
        let nc = supply.len();
        let restricted = links.any();
        let (room, hroom) = (self.room.as_flattened_mut(), self.hroom.as_flattened_mut());
        for (s, &e) in self.sellers.iter().enumerate() {
            let row = s * stride..(s + 1) * stride;
            let (room_row, hroom_row) = (&mut room[row.clone()], &mut hroom[row.clone()]);
            let supply_e = supply[e].max(0.0);
            for (b, &i) in self.buyers.iter().enumerate() {
                let l = e * nc + i;
                let room = if restricted {
                    if let Link::Quota(set) = links.kind(l) {
                        self.quota_of[row.start + b] = set;
                    }
                    supply[e].min(links.limit(l)).max(0.0)
                } else {
                    supply_e
                };
                room_row[b] = room;
                hroom_row[b] = room;
            }
            // Padding: no room.
            room_row[nb..].fill(0.0);
            hroom_row[nb..].fill(0.0);
            // The home link's weight.
            if let Ok(b) = self.buyers.binary_search(&e) {
                hroom_row[b] *= home_weight;
            }
        }
    }

    /// Sets `ask` by iterating pressures until nothing is oversubscribed, the
    /// asks stop changing, or the iterations run out.
    fn route(&mut self, links: &Links, eps: f64) {
        if self.quota_pressure.is_empty() {
            self.route_with::<false>(links, eps);
        } else {
            self.route_with::<true>(links, eps);
        }
    }

    /// [`Trader::route`], with or without quotas to weigh.
    ///
    /// Per iteration and buyer, `ask = min(room, U w / sum w)` is computed as
    /// `min(room, (h room / P_e) (U / sum w))`: one division per seller and
    /// one per buyer rather than two per link, the same numbers up to
    /// rounding. The link loops work on whole [`Lanes`] of buyers, with
    /// one running sum per lane, so that they compile to straight SIMD code
    /// without bounds checks; every sum still has one fixed order.
    #[inline(always)]
    fn route_with<const QUOTAS: bool>(&mut self, links: &Links, eps: f64) {
        let ns = self.sellers.len();
        let chunks = self.stride / LANES;
        let n = ns * chunks;
        let room = &self.room[..n];
        let hroom = &self.hroom[..n];
        let weight = &mut self.weight[..n];
        let quota_of: &[QuotaSet] = if QUOTAS {
            &self.quota_of[..n * LANES]
        } else {
            &[]
        };
        let sup = &self.sup[..ns];
        let inverse_sup = &mut self.inverse_sup[..ns];
        for s in 0..ns {
            inverse_sup[s] = 1.0 / sup[s];
        }
        let pressure = &mut self.pressure[..ns];
        let inverse = &mut self.inverse[..ns];
        let asked_of = &mut self.asked_of[..ns];
        let need = &self.need_b[..chunks];
        let total = &mut self.total[..chunks];
        let factor = &mut self.factor[..chunks];
        let mut ask = &mut self.ask[..n];
        let mut previous = &mut self.previous_ask[..n];
        for s in 0..ns {
            inverse[s] = 1.0 / pressure[s];
        }
        let mut flipped = false;
        for iteration in 0..ROUTE_ITERATIONS {
            std::mem::swap(&mut ask, &mut previous);
            flipped = !flipped;
            // Weights `h room / (P_e P_q)`, summed per buyer.
            if QUOTAS {
                for s in 0..ns {
                    let row = s * chunks..(s + 1) * chunks;
                    let x = inverse[s];
                    let q_row = &quota_of[row.start * LANES..row.end * LANES];
                    for ((w_c, h_c), q_c) in weight[row.clone()]
                        .iter_mut()
                        .zip(&hroom[row])
                        .zip(q_row.chunks_exact(LANES))
                    {
                        for k in 0..LANES {
                            // `1 / P_q`, or `1 / (P_q P_q' ...)` where
                            // several quotas cover the link.
                            let mut quotas = q_c[k].iter();
                            let quota = match quotas.next() {
                                None => 1.0,
                                Some(q) => {
                                    let pressure = quotas.fold(self.quota_pressure[q], |p, q| {
                                        p * self.quota_pressure[q]
                                    });
                                    1.0 / pressure
                                }
                            };
                            w_c[k] = h_c[k] * x * quota;
                        }
                    }
                }
                // The weights hold the pressures already.
                weigh(total, weight, |_| 1.0);
            } else {
                weigh(total, hroom, |s| inverse[s]);
            }
            // A buyer with no weight (padding among them) asks nothing;
            // branch-free, so that it vectorises.
            for ((f_c, n_c), t_c) in factor.iter_mut().zip(need).zip(total.iter()) {
                for k in 0..LANES {
                    let f = n_c[k] / t_c[k];
                    f_c[k] = if t_c[k] > 0.0 { f } else { 0.0 };
                }
            }
            // Asks `min(room, w f)`, summed per seller.
            let moved = if QUOTAS {
                compute_asks(ask, previous, weight, room, factor, |_| 1.0, asked_of)
            } else {
                compute_asks(ask, previous, hroom, room, factor, |s| inverse[s], asked_of)
            };
            // Oversubscription of suppliers and quotas.
            let mut oversubscribed = false;
            for s in 0..ns {
                oversubscribed |= asked_of[s] > FIT * sup[s] + eps;
            }
            if QUOTAS {
                self.quota_asked.iter_mut().for_each(|a| *a = 0.0);
                for (&set, &a) in quota_of.iter().zip(ask.as_flattened()) {
                    for q in set.iter() {
                        self.quota_asked[q] += a;
                    }
                }
                for (q, &asked) in self.quota_asked.iter().enumerate() {
                    oversubscribed |= asked > FIT * links.quota_room[q] + eps;
                }
            }
            if !oversubscribed {
                break;
            }
            if iteration > 0 && moved < eps * SETTLED {
                break;
            }
            for s in 0..ns {
                let ratio = (asked_of[s] * inverse_sup[s]).max(1.0);
                if ratio > 1.0 {
                    pressure[s] *= (ratio * ratio).min(PRESSURE_STEP_MAX);
                    inverse[s] = 1.0 / pressure[s];
                }
            }
            if QUOTAS {
                for (q, &asked) in self.quota_asked.iter().enumerate() {
                    let room = links.quota_room[q];
                    let ratio = if room > 0.0 {
                        (asked / room).max(1.0)
                    } else {
                        1.0
                    };
                    self.quota_pressure[q] *= (ratio * ratio).min(PRESSURE_STEP_MAX);
                }
            }
        }
        // The final asks live in whichever buffer was written last.
        if flipped {
            std::mem::swap(&mut self.ask, &mut self.previous_ask);
        }
    }

    /// Ships the asks: quota-covered asks scaled to the quota's room, then each
    /// supplier's asks by one factor to fit `E`. Returns the tonnes shipped.
    fn ship(&mut self, supply: &mut [f64], need: &mut [f64], links: &mut Links) -> f64 {
        let nc = supply.len();
        let chunks = self.stride / LANES;
        let n = self.sellers.len() * chunks;
        let quotas = !self.quota_asked.is_empty();
        let ask = &mut self.ask[..n];
        if quotas {
            // Quota by quota, in the order of their shocks: each scales the
            // asks it covers to fit its room (one link may be under several).
            let flat = ask.as_flattened_mut();
            for (q, &room) in links.quota_room.iter().enumerate() {
                let covered = || self.quota_of.iter().map(move |set| set.contains(q));
                let asked: f64 = covered()
                    .zip(flat.iter())
                    .filter(|&(c, _)| c)
                    .map(|(_, &a)| a)
                    .fold(0.0, |sum, a| sum + a);
                if asked > room && asked > 0.0 {
                    for (c, a) in covered().zip(flat.iter_mut()) {
                        if c {
                            *a *= room / asked;
                        }
                    }
                }
            }
        }
        let mut total = 0.0;
        for (s, &e) in self.sellers.iter().enumerate() {
            let row = &ask[s * chunks..(s + 1) * chunks];
            let asked = if quotas {
                row_sum(row)
            } else {
                // The route's last sums, of the same asks in the same order.
                self.asked_of[s]
            };
            let scale = if asked > supply[e] && asked > 0.0 {
                supply[e] / asked
            } else {
                1.0
            };
            let mut sent = 0.0;
            for (&a, &i) in row.as_flattened().iter().zip(&self.buyers) {
                let amount = (a * scale).min(need[i]).max(0.0);
                if amount <= 0.0 {
                    continue;
                }
                let l = e * nc + i;
                self.shipped[l] += amount;
                need[i] -= amount;
                sent += amount;
                match links.kind[l] {
                    Link::Licence => links.allowance[l] = (links.allowance[l] - amount).max(0.0),
                    Link::Quota(set) => {
                        for q in set.iter() {
                            links.quota_room[q] = (links.quota_room[q] - amount).max(0.0);
                        }
                    }
                    _ => {}
                }
            }
            supply[e] = (supply[e] - sent).max(0.0);
            total += sent;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(nc: usize) -> Links {
        let mut links = Links::default();
        links.reset(nc);
        links
    }

    #[test]
    fn enough_supply_meets_every_need_and_prefers_home() {
        let mut trader = Trader::default();
        let mut supply = vec![10.0, 10.0];
        let mut need = vec![5.0, 5.0];
        trader.trade(&mut supply, &mut need, &mut free(2), 10.0, 1e-12);
        assert!(need.iter().all(|&u| u.abs() < 1e-12));
        // Each buys mostly from itself: weight 10 at home against 1 abroad.
        assert!((trader.shipped[0] - 5.0 * 10.0 / 11.0).abs() < 1e-9);
        assert!((trader.shipped[1] - 5.0 / 11.0).abs() < 1e-9);
    }

    #[test]
    fn a_buyer_with_other_suppliers_leaves_the_scarce_one_to_the_captive_buyer() {
        // Supplier 0 can reach buyers 1 and 2; supplier 2 is banned from buyer 1,
        // so buyer 1 can only buy from 0. Buyer 2 should turn to itself.
        let nc = 3;
        let mut links = free(nc);
        links.set(2 * nc + 1, Link::Ban);
        let mut supply = vec![4.0, 0.0, 10.0];
        let mut need = vec![0.0, 4.0, 4.0];
        let mut trader = Trader::default();
        trader.trade(&mut supply, &mut need, &mut links, 1.0, 1e-12);
        assert_eq!(trader.shipped[2 * nc + 1], 0.0, "the ban holds");
        // Without routing, supplier 0 would split its 4 t pro rata between the
        // asks of 4 and 1.14 t, leaving the captive buyer 0.89 t short; the
        // pressure sends buyer 2 home, so most of that gap closes.
        assert!(need[1] < 0.25, "captive buyer left {} short", need[1]);
        assert!(need[2] < 1e-9);
        let shipped: f64 = trader.shipped.iter().sum();
        assert!(
            (shipped + supply.iter().sum::<f64>() - 14.0).abs() < 1e-9,
            "mass kept"
        );
    }

    #[test]
    fn the_licence_base_is_the_unrestricted_ask_uncapped() {
        // Buyer 1 wants 50 t and supplier 0 has 10: the unrestricted ask
        // `U w / sum w` is all 50 t (MODEL.md does not cap it at `E`), so
        // a licence at approval 0.5 allows 25 t and only the supplier's 10 t
        // limit the link (capped, the base would have allowed 5).
        let (supply, need) = ([10.0, 0.0], [0.0, 50.0]);
        let mut out = [0.0; 4];
        Trader::unrestricted_asks(&supply, &need, 10.0, &mut out);
        assert_eq!(out[1], 50.0);
        // Buyer 0 wants nothing, so asks nothing.
        assert_eq!(out[0], 0.0);
        // Home weight: buyer 0 weighs itself 10 to 1 against supplier 1.
        let mut out = [0.0; 4];
        Trader::unrestricted_asks(&[10.0, 10.0], &[11.0, 0.0], 10.0, &mut out);
        assert!(
            (out[0] - 10.0).abs() < 1e-12 && (out[2] - 1.0).abs() < 1e-12,
            "{out:?}"
        );
    }

    #[test]
    fn the_asks_of_one_supplier_are_its_column_of_all_asks_but_its_own() {
        let supply = [10.0, 3.0, 0.0, 5.0];
        let need = [4.0, 6.0, 2.0, 0.0];
        let mut all = [0.0; 16];
        Trader::unrestricted_asks(&supply, &need, 10.0, &mut all);
        for e in 0..4 {
            let mut of = [f64::NAN; 4];
            Trader::unrestricted_asks_of(e, &supply, &need, 10.0, &mut of);
            for i in 0..4 {
                let expected = if i == e { 0.0 } else { all[e * 4 + i] };
                assert_eq!(of[i].to_bits(), expected.to_bits(), "{e} -> {i}");
            }
        }
        // Buyer 1 weighs supplier 0 by 10 against its own 3 x 10 and 5.
        assert!((all[1] - 6.0 * 10.0 / 45.0).abs() < 1e-15);
    }

    #[test]
    fn every_quota_on_a_link_applies_and_counts_what_it_ships() {
        // Supplier 0's shipments to 1 and 2 are capped at 10 t by one quota,
        // and those to 1 alone at 3 t by another: the smaller binds on the
        // link to 1, whichever shock came first, and both count it.
        for order in [[10.0, 3.0], [3.0, 10.0]] {
            let nc = 3;
            let mut links = free(nc);
            links.quota_room.extend(order);
            let (wide, narrow) = if order[0] == 10.0 { (0, 1) } else { (1, 0) };
            links.set(1, Link::Quota(QuotaSet::one(wide).with(narrow)));
            links.set(2, Link::Quota(QuotaSet::one(wide)));
            let mut supply = vec![100.0, 0.0, 0.0];
            let mut need = vec![0.0, 5.0, 5.0];
            let mut trader = Trader::default();
            trader.trade(&mut supply, &mut need, &mut links, 10.0, 1e-12);
            let (to_1, to_2) = (trader.shipped[1], trader.shipped[2]);
            assert!((to_1 - 3.0).abs() < 1e-9, "{order:?}: {to_1} to buyer 1");
            assert!((to_2 - 5.0).abs() < 1e-9, "{order:?}: {to_2} to buyer 2");
            assert!(links.quota_room[narrow].abs() < 1e-9);
            assert!((links.quota_room[wide] - 2.0).abs() < 1e-9);
            assert!(links.exhausted(1, 1e-12) && !links.exhausted(2, 1e-12));
        }
    }

    #[test]
    fn a_quota_set_lists_its_quotas_in_order() {
        let set = QuotaSet::one(5).with(0).with(63).with(5);
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 5, 63]);
        assert!(set.contains(63) && !set.contains(1));
        assert_eq!(QuotaSet::NONE.iter().count(), 0);
    }

    #[test]
    fn a_quota_caps_shipments_to_its_destinations() {
        let nc = 3;
        let mut links = free(nc);
        links.quota_room.push(2.0);
        links.set(1, Link::Quota(QuotaSet::one(0)));
        links.set(2, Link::Quota(QuotaSet::one(0)));
        let mut supply = vec![100.0, 0.0, 0.0];
        let mut need = vec![0.0, 5.0, 5.0];
        let mut trader = Trader::default();
        trader.trade(&mut supply, &mut need, &mut links, 10.0, 1e-12);
        let sent = trader.shipped[1] + trader.shipped[2];
        assert!((sent - 2.0).abs() < 1e-9, "sent {sent}");
        assert!(links.exhausted(1, 1e-12));
    }
}
