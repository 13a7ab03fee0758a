//! Pressure-routed trade of one product in one month (MODEL.md section 2, step 4).
//!
//! Every country is a supplier with `E` and a buyer with `U`. Buyers route
//! their asks away from oversubscribed suppliers (and quotas) by a pressure
//! that works like a local price, then suppliers ship, scaling pro rata: all
//! at once, never in an order that favours anyone. Restrictions act on links:
//! a ban makes room 0, a licence caps the link at an allowance, a quota caps a
//! supplier's shipments to a set of destinations.
//!
//! Links are dense `nc x nc` arrays indexed `e * nc + i` (supplier `e`, buyer
//! `i`); the world has tens of countries, so dense is both simplest and fastest.

/// The most passes of route-and-ship in a month.
const PASSES: usize = 4;
/// The most routing iterations in a pass.
const ROUTE_ITERATIONS: usize = 16;
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
    /// Shipments count against quota `q`.
    Quota(usize),
}

/// The restrictions of one product in one month, and what is left of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Links {
    pub nc: usize,
    /// Per link.
    pub kind: Vec<Link>,
    /// Per link: what a licence still lets through this month.
    pub allowance: Vec<f64>,
    /// Per quota: tonnes still allowed this month.
    pub quota_room: Vec<f64>,
}

impl Links {
    /// Clears every restriction for `nc` countries.
    pub fn reset(&mut self, nc: usize) {
        self.nc = nc;
        self.kind.clear();
        self.kind.resize(nc * nc, Link::Free);
        self.allowance.clear();
        self.allowance.resize(nc * nc, f64::INFINITY);
        self.quota_room.clear();
    }

    /// Whether any link is restricted.
    pub fn any(&self) -> bool {
        self.kind.iter().any(|k| *k != Link::Free)
    }

    /// What the restriction on link `l` still allows (infinite when free).
    fn limit(&self, l: usize) -> f64 {
        match self.kind[l] {
            Link::Free => f64::INFINITY,
            Link::Ban => 0.0,
            Link::Licence => self.allowance[l],
            Link::Quota(q) => self.quota_room[q],
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

/// Scratch space for [`Trader::trade`], reused month after month.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trader {
    room: Vec<f64>,
    weight: Vec<f64>,
    ask: Vec<f64>,
    previous_ask: Vec<f64>,
    /// What each link shipped this month.
    pub shipped: Vec<f64>,
    supplier_pressure: Vec<f64>,
    quota_pressure: Vec<f64>,
    asked_of: Vec<f64>,
    quota_asked: Vec<f64>,
    /// Suppliers with something left to ship, buyers with something left to
    /// buy: routing touches only their links (a handful of the `nc x nc`).
    sellers: Vec<usize>,
    buyers: Vec<usize>,
}

impl Trader {
    /// The unrestricted ask of each buyer of each supplier at the start of the
    /// month's trade (every room at `E`, every pressure at 1), written into
    /// `out[e * nc + i]`: the base a licence's approval multiplies.
    pub fn unrestricted_asks(supply: &[f64], need: &[f64], home_weight: f64, out: &mut [f64]) {
        let nc = supply.len();
        for i in 0..nc {
            let weight = |e: usize| if e == i { home_weight } else { 1.0 } * supply[e];
            let total: f64 = (0..nc).map(weight).sum();
            for e in 0..nc {
                out[e * nc + i] = if total > 0.0 && need[i] > 0.0 {
                    (need[i] * weight(e) / total).min(supply[e])
                } else {
                    0.0
                };
            }
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
        for v in [
            &mut self.room,
            &mut self.weight,
            &mut self.ask,
            &mut self.previous_ask,
            &mut self.shipped,
        ] {
            v.clear();
            v.resize(nc * nc, 0.0);
        }
        self.supplier_pressure.clear();
        self.supplier_pressure.resize(nc, 1.0);
        self.quota_pressure.clear();
        self.quota_pressure.resize(quotas, 1.0);
        self.asked_of.clear();
        self.asked_of.resize(nc, 0.0);
        self.quota_asked.clear();
        self.quota_asked.resize(quotas, 0.0);

        for _pass in 0..PASSES {
            self.sellers.clear();
            self.sellers.extend((0..nc).filter(|&e| supply[e] > eps));
            self.buyers.clear();
            self.buyers.extend((0..nc).filter(|&i| need[i] > eps));
            if self.sellers.is_empty() || self.buyers.is_empty() {
                break;
            }
            // Asks of the last pass's idle links must not linger.
            self.ask.iter_mut().for_each(|a| *a = 0.0);
            for &e in &self.sellers {
                for &i in &self.buyers {
                    let l = e * nc + i;
                    self.room[l] = supply[e].min(links.limit(l)).max(0.0);
                }
            }
            self.route(supply, need, links, home_weight, eps);
            let shipped = self.ship(supply, need, links);
            if shipped < eps {
                break;
            }
        }
    }

    /// Sets `ask` by iterating pressures until nothing is oversubscribed, the
    /// asks stop changing, or the iterations run out.
    fn route(&mut self, supply: &[f64], need: &[f64], links: &Links, home_weight: f64, eps: f64) {
        let nc = supply.len();
        for iteration in 0..ROUTE_ITERATIONS {
            std::mem::swap(&mut self.ask, &mut self.previous_ask);
            for &i in &self.buyers {
                let mut total = 0.0;
                for &e in &self.sellers {
                    let l = e * nc + i;
                    let h = if e == i { home_weight } else { 1.0 };
                    let quota = match links.kind[l] {
                        Link::Quota(q) => self.quota_pressure[q],
                        _ => 1.0,
                    };
                    let w = h * self.room[l] / (self.supplier_pressure[e] * quota);
                    self.weight[l] = w;
                    total += w;
                }
                for &e in &self.sellers {
                    let l = e * nc + i;
                    self.ask[l] = if total > 0.0 {
                        (need[i] * self.weight[l] / total).min(self.room[l])
                    } else {
                        0.0
                    };
                }
            }
            // Oversubscription of suppliers and quotas.
            self.quota_asked.iter_mut().for_each(|a| *a = 0.0);
            let mut oversubscribed = false;
            for &e in &self.sellers {
                let mut asked = 0.0;
                for &i in &self.buyers {
                    let l = e * nc + i;
                    asked += self.ask[l];
                    if let Link::Quota(q) = links.kind[l] {
                        self.quota_asked[q] += self.ask[l];
                    }
                }
                self.asked_of[e] = asked;
                oversubscribed |= asked > FIT * supply[e] + eps;
            }
            for (q, &asked) in self.quota_asked.iter().enumerate() {
                oversubscribed |= asked > FIT * links.quota_room[q] + eps;
            }
            if !oversubscribed {
                return;
            }
            if iteration > 0 {
                let mut change = 0.0;
                for &e in &self.sellers {
                    for &i in &self.buyers {
                        let l = e * nc + i;
                        change += (self.ask[l] - self.previous_ask[l]).abs();
                    }
                }
                if change < eps * 1e3 {
                    return;
                }
            }
            for &e in &self.sellers {
                let ratio = (self.asked_of[e] / supply[e]).max(1.0);
                self.supplier_pressure[e] *= (ratio * ratio).min(PRESSURE_STEP_MAX);
            }
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

    /// Ships the asks: quota-covered asks scaled to the quota's room, then each
    /// supplier's asks by one factor to fit `E`. Returns the tonnes shipped.
    fn ship(&mut self, supply: &mut [f64], need: &mut [f64], links: &mut Links) -> f64 {
        let nc = supply.len();
        if !self.quota_asked.is_empty() {
            self.quota_asked.iter_mut().for_each(|a| *a = 0.0);
            for &e in &self.sellers {
                for &i in &self.buyers {
                    if let Link::Quota(q) = links.kind[e * nc + i] {
                        self.quota_asked[q] += self.ask[e * nc + i];
                    }
                }
            }
            for &e in &self.sellers {
                for &i in &self.buyers {
                    let l = e * nc + i;
                    if let Link::Quota(q) = links.kind[l] {
                        let asked = self.quota_asked[q];
                        if asked > links.quota_room[q] && asked > 0.0 {
                            self.ask[l] *= links.quota_room[q] / asked;
                        }
                    }
                }
            }
        }
        let mut total = 0.0;
        for &e in &self.sellers {
            let asked: f64 = self.buyers.iter().map(|&i| self.ask[e * nc + i]).sum();
            let scale = if asked > supply[e] && asked > 0.0 {
                supply[e] / asked
            } else {
                1.0
            };
            let mut sent = 0.0;
            for &i in &self.buyers {
                let l = e * nc + i;
                let amount = (self.ask[l] * scale).min(need[i]).max(0.0);
                if amount <= 0.0 {
                    continue;
                }
                self.shipped[l] += amount;
                need[i] -= amount;
                sent += amount;
                match links.kind[l] {
                    Link::Licence => links.allowance[l] = (links.allowance[l] - amount).max(0.0),
                    Link::Quota(q) => links.quota_room[q] = (links.quota_room[q] - amount).max(0.0),
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
        links.kind[2 * nc + 1] = Link::Ban;
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
    fn a_quota_caps_shipments_to_its_destinations() {
        let nc = 3;
        let mut links = free(nc);
        links.quota_room.push(2.0);
        links.kind[1] = Link::Quota(0);
        links.kind[2] = Link::Quota(0);
        let mut supply = vec![100.0, 0.0, 0.0];
        let mut need = vec![0.0, 5.0, 5.0];
        let mut trader = Trader::default();
        trader.trade(&mut supply, &mut need, &mut links, 10.0, 1e-12);
        let sent = trader.shipped[1] + trader.shipped[2];
        assert!((sent - 2.0).abs() < 1e-9, "sent {sent}");
        assert!(links.exhausted(1, 1e-12));
    }
}
