#!/usr/bin/env python3
"""Independent reference implementation of MODEL.md sections 1, 2 and 4.

One deterministic trial: every number fixed (no distributions), sigma = 0 is
honoured through the noise factor exp(sigma*z - sigma^2/2) with z = 0 (no random
generator: a trial with sigma > 0 would need the engine's Philox streams).

Usage: reference.py SCENARIO.toml --csv OUT.csv

Written from the text of MODEL.md and docs/MODEL_NOTES.md, link by link; the
comments quote the sentence each piece implements. Readings of ambiguous points
are marked READING.
"""
import argparse
import copy
import csv
import math
import os
import tomllib

LN2 = math.log(2.0)

PRODUCT_DEFAULTS = dict(e_supply=0.0, home_weight=10.0, d_min=0.25, d_max=2.0,
                        m_min=0.05, m_max=1000.0)
MARKET_DEFAULTS = dict(d_ref=0.0, g=0.0, cover=0.0, restock=1.0)  # reserves: None = unlimited
PLANT_DEFAULTS = dict(avail=1.0, growth=0.0)
ALIASES = {"D_ref": "d_ref", "demand_tpa": "d_ref", "demand_growth": "g",
           "stock_cover_months": "cover", "restock_months": "restock",
           "reserves_t": "reserves", "capacity_tpa": "cap0", "availability": "avail",
           "reference_price_usd_per_kg": "p_ref"}


def num(x):
    """A fixed figure: a number or a table with `value`."""
    if isinstance(x, dict):
        if "value" in x:
            return float(x["value"])
        raise ValueError(f"only fixed numbers are supported, got {x}")
    return float(x)


# ---------------------------------------------------------------------------
# World (MODEL.md section 1)
# ---------------------------------------------------------------------------
class World:
    def __init__(self, path, data=None):
        # data: the world's parsed TOML with every distribution already sampled
        # (mc_check.py); None reads `path`.
        if data is None:
            with open(path, "rb") as f:
                d = tomllib.load(f)
        else:
            d = data
        self.products = list(d["products"])
        self.processes = list(d["processes"])
        self.countries = list(d["countries"])
        self.prod = {}
        pdef = {}
        for p, t in d["products"].items():
            f = dict(PRODUCT_DEFAULTS)
            md = dict(MARKET_DEFAULTS)
            for k, v in t.items():
                if k in ("name", "note"):
                    continue
                k = ALIASES.get(k, k)
                if k in ("g", "cover", "restock"):
                    md[k] = num(v)
                else:
                    f[k] = num(v)
            self.prod[p] = f
            pdef[p] = md
        self.inputs = {}
        self.outputs = {}
        self.stage = {}
        jdef = {}
        for j, t in d["processes"].items():
            self.inputs[j] = {p: num(v) for p, v in t.get("inputs", {}).items()}
            self.outputs[j] = {p: num(v) for p, v in t.get("outputs", {}).items()}
            self.stage[j] = t["stage"]
            pd = dict(PLANT_DEFAULTS)
            for k in ("avail", "availability", "growth"):
                if k in t:
                    pd[ALIASES.get(k, k)] = num(t[k])
            jdef[j] = pd
        # per country and process: cap0, avail, growth (a country without a plant
        # has zero capacity but the process's default availability and growth)
        self.plant = {}
        self.market = {}
        for c in self.countries:
            t = d["countries"][c]
            for j in self.processes:
                pl = dict(jdef[j])
                pl["cap0"] = 0.0
                for k, v in t.get("processes", {}).get(j, {}).items():
                    if k in ("note", "source"):
                        continue
                    pl[ALIASES.get(k, k)] = num(v)
                self.plant[(c, j)] = pl
            for p in self.products:
                mk = dict(pdef[p])
                mk["reserves"] = None
                for k, v in t.get("products", {}).get(p, {}).items():
                    if k in ("note", "source"):
                        continue
                    mk[ALIASES.get(k, k)] = num(v)
                self.market[(c, p)] = mk
        self._levels()

    def _levels(self):
        # "A process's level is 0 for mining, else 1 + the highest level of any
        # process that makes one of its inputs." NOTES: a process whose inputs
        # nobody makes has level 1.
        level = {}

        def lv(j, seen=()):
            if j in level:
                return level[j]
            if not self.inputs[j]:
                level[j] = 0
                return 0
            best = 0
            for p in self.inputs[j]:
                for k in self.processes:
                    if p in self.outputs[k]:
                        assert k not in seen, "cycle"
                        best = max(best, lv(k, seen + (j,)))
            level[j] = best + 1
            return level[j]

        for j in self.processes:
            lv(j)
        self.level = level
        # "A product is traded once a month, right after the highest level that
        # makes it." NOTES: a product nobody makes is traded after level 0.
        self.trade_level = {}
        for p in self.products:
            makers = [level[j] for j in self.processes if p in self.outputs[j]]
            self.trade_level[p] = max(makers) if makers else 0
        self.max_level = max(list(level.values()) + [0])

    def world_output(self, p):
        """Month-0 normal output (or final demand, if larger), t/month."""
        out = sum(self.plant[(c, j)]["cap0"] * self.plant[(c, j)]["avail"] * self.outputs[j].get(p, 0.0)
                  for c in self.countries for j in self.processes) / 12
        dem = sum(self.market[(c, p)]["d_ref"] for c in self.countries) / 12
        return max(out, dem)


# ---------------------------------------------------------------------------
# Scenario (MODEL.md section 4)
# ---------------------------------------------------------------------------
def as_list(x):
    return [x] if isinstance(x, str) else list(x)


class Shock:
    def __init__(self, t, pos, world, horizon):
        self.kind = t["kind"]
        self.id = t.get("id", f"{self.kind}.{pos}")
        self.raw = t
        self.start = int(round(num(t.get("start_month", 0))))
        dur = t.get("duration_months")
        self.end = horizon + 10**6 if dur is None else self.start + int(round(num(dur)))
        ramp = t.get("ramp_months")
        self.ramp = None if ramp is None else num(ramp)
        prob = num(t.get("probability", 1))
        assert prob == 1.0, "deterministic scenarios only (probability = 1)"
        self.world = world

    def in_force(self, t):
        # "A shock is in force in months start <= t < start + duration"
        return self.start <= t < self.end

    def s(self, t):
        # "A ramp phases a shock in linearly: s = min(1, (t - start + 1)/ramp)."
        if not self.ramp:
            return 1.0
        return min(1.0, (t - self.start + 1) / self.ramp)

    def countries(self, key):
        v = self.raw[key]
        if isinstance(v, str) and v.lower() == "all":
            return list(self.world.countries)
        return as_list(v)


class Scenario:
    def __init__(self, path, data=None, world_data=None):
        # data / world_data: parsed TOML of one sampled trial (mc_check.py: every
        # distribution drawn, the shocks that do not happen removed, explicit
        # ids); None reads the files.
        if data is None:
            with open(path, "rb") as f:
                d = tomllib.load(f)
        else:
            d = data
        meta = d["scenario"]
        wpath = os.path.join(os.path.dirname(os.path.abspath(path)), meta["world"])
        self.world = World(wpath, world_data)
        self.horizon = int(meta["horizon_months"])
        self.report = [(r["country"], r["product"]) for r in meta["report"]]
        self.shocks = [Shock(t, i + 1, self.world, self.horizon)
                       for i, t in enumerate(d.get("shock", []))]


# ---------------------------------------------------------------------------
# The simulation (MODEL.md section 2)
# ---------------------------------------------------------------------------
class Sim:
    # READING (growth shocks): the level factor of a demand-growth shock grows by
    # (1 + growth)^(1/12) per month in force; GROWTH_INCLUSIVE = True counts the
    # month itself (demand in the first month in force already grew once).
    GROWTH_INCLUSIVE = False
    # Hooks for mc_check.py (random trials); the defaults give the deterministic
    # trial. noise_z(t, c, p): the month's demand noise z; outage_runs: shock id
    # -> {month: number of that shock's random outages running}; NOISE_DRIFT = 0
    # drops the -sigma^2/2 term (a misreading, for power tests only).
    noise_z = None
    outage_runs = None
    NOISE_DRIFT = 1.0
    GROWTH_T1_STEP = True
    DMIN_NEEDS_DEMAND = True
    # READING: the lowest max_release_tpm of every stockpile shock on the pair
    # in force (True), or only of those with release_below_fill (False).
    RELEASE_MAX_FROM_ALL = True

    def __init__(self, sc):
        self.sc = sc
        self.w = sc.world
        w = self.w
        self.W = {p: w.world_output(p) for p in w.products}
        self.eps = {p: 1e-12 * self.W[p] for p in w.products}
        C, Pr = w.countries, w.products
        # demand-growth level factors F[c,p] (level reached stays)
        self.F = {(c, p): 1.0 for c in C for p in Pr}
        # state
        self.b = {(c, p): 0.0 for c in C for p in Pr}
        self.delta = {(c, p): 0.0 for c in C for p in Pr}
        self.lnpbar = {(c, p): 0.0 for c in C for p in Pr}
        self.payf = {(c, p): 1.0 for c in C for p in Pr}  # tariff factor on the price paid
        self.G = {(c, p): 0.0 for c in C for p in Pr}
        self.mined = {(c, p): 0.0 for c in C for p in Pr}
        wt0 = self.world_at(0)
        self.S = {(c, p): self.target(wt0, c, p, 0, 0, self.F_at(0, c, p)) for c in C for p in Pr}
        self.rows = []
        self.cov = {}  # coverage counters: how often each rule acted

    def hit(self, name, n=1):
        self.cov[name] = self.cov.get(name, 0) + n

    # ---- shocks -----------------------------------------------------------
    def active(self, t, kind=None):
        return [s for s in self.sc.shocks if s.in_force(t) and (kind is None or s.kind == kind)]

    def world_at(self, t):
        """World numbers with the `set` shocks in force at month t (NOTES: set
        overrides the world field in the shock's window only)."""
        sets = self.active(t, "set")
        if not sets:
            return self.w
        w = copy.copy(self.w)
        w.prod = copy.deepcopy(self.w.prod)
        w.plant = copy.deepcopy(self.w.plant)
        w.market = copy.deepcopy(self.w.market)
        w.inputs = copy.deepcopy(self.w.inputs)
        w.outputs = copy.deepcopy(self.w.outputs)
        for s in sets:
            parts = s.raw["path"].split(".")
            v = num(s.raw["value"])
            if parts[0] == "products":
                w.prod[parts[1]][ALIASES.get(parts[2], parts[2])] = v
            elif parts[0] == "processes":
                (w.inputs if parts[2] == "inputs" else w.outputs)[parts[1]][parts[3]] = v
            elif parts[0] == "countries" and parts[2] == "processes":
                w.plant[(parts[1], parts[3])][ALIASES.get(parts[4], parts[4])] = v
            elif parts[0] == "countries" and parts[2] == "products":
                w.market[(parts[1], parts[3])][ALIASES.get(parts[4], parts[4])] = v
            else:
                raise ValueError(s.raw["path"])
        return w

    def growth_step(self, t, c, p):
        """Factor by which month t's growth shocks raise the demand level."""
        extra = 0.0
        for s in self.active(t, "demand"):
            if "growth" in s.raw and c in s.countries("country") and p == s.raw["product"]:
                # "growth (added to g in the window)": g + s x growth.
                extra += s.s(t) * num(s.raw["growth"])
        if extra == 0.0:
            return 1.0
        g = self.world_at(t).market[(c, p)]["g"]
        return (max(0.0, 1 + g + extra) / (1 + g)) ** (1 / 12)

    def F_at(self, t, c, p):
        # F(t) = product of the growth steps of months k < t (or k <= t)
        f = 1.0
        last = t + 1 if self.GROWTH_INCLUSIVE else t
        for k in range(last):
            f *= self.growth_step(k, c, p)
        return f

    def cap(self, wt, c, j, t, sm):
        """cap_j(t) = max(0, cap0 (1+growth)^(t/12) + shock changes), with the
        capacity shocks of month sm."""
        pl = wt.plant[(c, j)]
        x = pl["cap0"] * (1 + pl["growth"]) ** (t / 12)
        for s in self.active(sm, "capacity"):
            if s.raw["country"] == c and s.raw["process"] == j:
                x += num(s.raw["change_tpa"]) * s.s(sm)
        return max(0.0, x)

    def outage(self, c, j, t):
        keep = 1.0
        for s in self.active(t, "outage"):
            if s.raw["country"] == c and s.raw["process"] == j:
                if "rate_per_year" in s.raw and self.outage_runs is not None:
                    continue  # random outages: below
                assert "rate_per_year" not in s.raw
                keep *= 1 - num(s.raw.get("loss", 1.0)) * s.s(t)
        # Random outages (mc_check.py): outage_runs[shock id] = the months in
        # which one of its events runs, drawn by the caller; "loss (default 1)
        # applies while it runs"; losses combine as 1 - prod(1 - loss).
        if self.outage_runs is not None:
            for s in self.sc.shocks:
                if s.kind == "outage" and "rate_per_year" in s.raw and \
                        s.raw["country"] == c and s.raw["process"] == j:
                    for _ in range(self.outage_runs.get(s.id, {}).get(t, 0)):
                        keep *= 1 - num(s.raw.get("loss", 1.0))
        return 1 - keep

    def multiplier(self, t, c, p):
        m = 1.0
        for s in self.active(t, "demand"):
            if "multiplier" in s.raw and c in s.countries("country") and p == s.raw["product"]:
                # NOTES: a ramped demand multiplier is 1 + s (m - 1)
                m *= 1 + s.s(t) * (num(s.raw["multiplier"]) - 1)
        return m

    def normal_use(self, wt, c, p, t, sm, F):
        """N_c(t) = D_ref/12 (1+g)^(t/12) + sum_j cap_j(t) avail_j a_jP / 12
        (NOTES: normal throughput, no outages; includes the growth-shock level,
        not the multipliers)."""
        mk = wt.market[(c, p)]
        n = mk["d_ref"] / 12 * (1 + mk["g"]) ** (t / 12) * F
        for j in wt.processes:
            a = wt.inputs[j].get(p, 0.0)
            if a:
                n += self.cap(wt, c, j, t, sm) * wt.plant[(c, j)]["avail"] * a / 12
        return n

    def target(self, wt, c, p, t, sm, F):
        return wt.market[(c, p)]["cover"] * self.normal_use(wt, c, p, t, sm, F)

    # ---- restrictions -------------------------------------------------------
    def link_rules(self, t, p):
        """Per link (e, i), e != i: the restriction in force and the tariff rate.
        NOTES: a ban wins over a licence, a licence over a quota, and of two
        licences the smaller allowance applies. Tariffs add."""
        rules = {}
        tariffs = {}
        quotas = {}
        for k, s in enumerate(self.sc.shocks):
            if s.kind != "export_restriction" or not s.in_force(t):
                continue
            if p not in as_list(s.raw["products"]):
                continue
            e = s.raw["from"]
            to = s.countries("to") if "to" in s.raw else list(self.w.countries)
            exc = as_list(s.raw.get("except", []))
            dests = [i for i in to if i not in exc and i != e]
            mode = s.raw["mode"]
            sv = s.s(t)
            if mode == "ban":
                if s.ramp:
                    # "A ramped ban is a licence whose approval falls from 1 to 0"
                    r = ("licence", 1 - sv, False)
                else:
                    r = ("ban",)
            elif mode in ("license", "licence"):
                appr = num(s.raw["approval"])
                if s.ramp:
                    appr = 1 - sv * (1 - appr)
                delay = int(round(num(s.raw.get("delay_months", 0))))
                # NOTES: the delay counts from the shock's start month
                in_delay = t < s.start + delay
                r = ("licence", appr, in_delay)
            elif mode == "quota":
                q = (k, p)
                quotas[q] = num(s.raw["tonnes_per_year"]) / 12
                r = ("quota", q)
            elif mode == "tariff":
                for i in dests:
                    tariffs[(e, i)] = tariffs.get((e, i), 0.0) + num(s.raw["rate"]) * sv
                continue
            for i in dests:
                rules.setdefault((e, i), []).append(r)
        # resolve several restrictions on one link
        final = {}
        for link, rs in rules.items():
            bans = [r for r in rs if r[0] == "ban"]
            lics = [r for r in rs if r[0] == "licence"]
            qs = [r for r in rs if r[0] == "quota"]
            if bans:
                final[link] = ("ban",)
            elif lics:
                final[link] = ("licences", lics)  # smallest allowance chosen at trade start
            else:
                # READING (found by fuzz_compare.py; MODEL.md and MODEL_NOTES
                # silent): several quotas on one link all apply. The link's
                # room is the smallest of their remaining rooms, its weight is
                # divided by each one's pressure, each quota scales the asks
                # it covers (in the order of the shocks), and each counts what
                # the link ships. Was an assertion (one quota per link).
                final[link] = ("quota", tuple(q[1] for q in qs))
        return final, tariffs, quotas

    # ---- the trade of one product (step 3 and 4) --------------------------------
    def trade(self, p, t, E0, U0, wt):
        C = self.w.countries
        W = self.W[p]
        eps = self.eps[p]
        h = wt.prod[p]["home_weight"]
        rules, tariffs, quotas = self.link_rules(t, p)
        H = {(e, i): (h if e == i else 1.0) for e in C for i in C}
        E = dict(E0)
        U = dict(U0)
        # Licence allowance: approval x the destination's unrestricted ask of that
        # supplier at the start of the month's trade (U_i w_ei / sum w, every room
        # at E, every pressure at 1); nothing during the delay.
        allow = {}
        kind = {}
        for link, r in rules.items():
            e, i = link
            if r[0] == "ban":
                kind[link] = "ban"
            elif r[0] == "quota":
                kind[link] = r[1]  # a tuple of quota keys
            else:
                tot = sum(H[(x, i)] * E0[x] for x in C)
                unr = U0[i] * H[link] * E0[e] / tot if tot > 0 else 0.0
                best = None
                for (_, appr, in_delay) in r[1]:
                    a = 0.0 if in_delay else appr * unr
                    best = a if best is None else min(best, a)
                allow[link] = best
                kind[link] = "licence"
        qleft = dict(quotas)
        Pe = {e: 1.0 for e in C}
        Pq = {q: 1.0 for q in quotas}
        ship = {(e, i): 0.0 for e in C for i in C}

        def room(e, i):
            # FIX (found by fuzz_compare.py): "Amounts below 1e-12 of the
            # product's world output count as zero." A supplier that scaled
            # its asks to its whole E is left with a rounding residue of E
            # (about -1e-16 of world output, sometimes negative); that residue
            # was a room, and a negative room a negative weight in the next
            # pass's routing, which skewed every buyer's shares there.
            Ee = E[e] if E[e] > eps else 0.0
            k = kind.get((e, i))
            if k is None:
                return Ee
            if k == "ban":
                return 0.0
            if k == "licence":
                return max(0.0, min(Ee, allow[(e, i)]))
            return max(0.0, min([Ee] + [qleft[q] for q in k]))

        def covers(link):
            k = kind.get(link)
            return k if isinstance(k, tuple) else ()

        def pq(e, i):
            k = kind.get((e, i))
            return math.prod(Pq[q] for q in k) if isinstance(k, tuple) else 1.0

        for _pass in range(4):
            rm = {(e, i): room(e, i) for e in C for i in C}
            prev = None
            ask = None
            self.hit('trade passes')
            for _it in range(16):
                self.hit('routing iterations')
                if _it == 15:
                    self.hit('routing ran 16 iterations')
                ask = {(e, i): 0.0 for e in C for i in C}
                for i in C:
                    if U[i] <= eps:
                        continue
                    wt = {e: H[(e, i)] * rm[(e, i)] / (Pe[e] * pq(e, i)) for e in C}
                    tot = sum(wt.values())
                    if tot <= 0:
                        continue
                    for e in C:
                        ask[(e, i)] = min(rm[(e, i)], U[i] * wt[e] / tot)
                ratio_e = {}
                for e in C:
                    a = sum(ask[(e, i)] for i in C)
                    ratio_e[e] = a / E[e] if E[e] > 0 else (0.0 if a <= 0 else math.inf)
                ratio_q = {}
                for q in quotas:
                    a = sum(ask[l] for l in ask if q in covers(l))
                    ratio_q[q] = a / qleft[q] if qleft[q] > 0 else (0.0 if a <= 0 else math.inf)
                over = any(r > 1 + 1e-6 for r in ratio_e.values()) or \
                    any(r > 1 + 1e-6 for r in ratio_q.values())
                changed = prev is None or sum(abs(ask[l] - prev[l]) for l in ask) >= 1e-9 * W
                if not over or not changed:
                    break
                for e in C:
                    Pe[e] *= min(4.0, max(1.0, ratio_e[e]) ** 2)
                for q in quotas:
                    Pq[q] *= min(4.0, max(1.0, ratio_q[q]) ** 2)
                prev = ask
            # Ship: quota-covered asks scaled pro rata to fit the quota's room, then
            # each supplier scales all its asks by one factor to ship <= E_e.
            for q in quotas:
                links = [l for l in ask if q in covers(l)]
                a = sum(ask[l] for l in links)
                if a > qleft[q]:
                    f = qleft[q] / a if a > 0 else 0.0
                    self.hit('quota pro-rata scaling')
                    for l in links:
                        ask[l] *= f
            for e in C:
                a = sum(ask[(e, i)] for i in C)
                if a > E[e]:
                    f = E[e] / a if a > 0 else 0.0
                    self.hit('supplier scales asks')
                    for i in C:
                        ask[(e, i)] *= f
            shipped = 0.0
            for (e, i), x in ask.items():
                if x <= 0:
                    continue
                ship[(e, i)] += x
                E[e] -= x
                U[i] -= x
                shipped += x
                k = kind.get((e, i))
                if k == "licence":
                    allow[(e, i)] -= x
                elif isinstance(k, tuple):
                    for q in k:
                        qleft[q] -= x
            if shipped < 1e-9 * W:
                break
        # Binding: the restriction's own allowance used up (within 1e-12 of world
        # output) while the destination still has unmet claims.
        binding = set()
        for link, k in kind.items():
            e, i = link
            if k == "ban":
                used = True
            elif k == "licence":
                used = allow[link] <= eps
            else:
                used = any(qleft[q] <= eps for q in k)
            if used and U[i] > eps:
                binding.add(link)
                self.hit(f'binding {k if isinstance(k, str) else "quota"} link')
        return ship, E, U, kind, binding, tariffs

    # ---- one month ------------------------------------------------------------
    def month(self, t):
        w = self.w
        C, Pr = w.countries, w.products
        wt = self.world_at(t)  # world numbers with this month's `set` shocks
        Ft = {(c, p): self.F_at(t, c, p) for c in C for p in Pr}
        # READING: T(t+1) "from month t's capacities and shocks": the trend
        # (1+g)^((t+1)/12) advances one month, the shocks' part stays at month t's
        # value, so the growth-shock level factor is F(t), as a capacity shock's
        # change is month t's (GROWTH_T1_STEP = False). The alternative counts
        # month t's growth step in T(t+1).
        Ft1 = {(c, p): Ft[(c, p)] * (self.growth_step(t, c, p) if self.GROWTH_T1_STEP else 1.0)
               for c in C for p in Pr}

        # stockpile shocks: tonnes enter G in the shock's first month
        for s in self.active(t, "stockpile"):
            if s.start == t and "tonnes" in s.raw:
                self.G[(s.raw["country"], s.raw["product"])] += num(s.raw["tonnes"])


        m = {k: math.exp(self.b[k] + self.delta[k]) for k in self.b}
        # running capacity and curtailment factor of every plant
        run, vfac = {}, {}
        for c in C:
            for j in w.processes:
                capj = self.cap(wt, c, j, t, t)
                run[(c, j)] = capj * wt.plant[(c, j)]["avail"] * (1 - self.outage(c, j, t)) / 12
                outs = wt.outputs[j]
                den = sum(bo * wt.prod[o]["p_ref"] for o, bo in outs.items())
                v = sum(bo * wt.prod[o]["p_ref"] * m[(c, o)] for o, bo in outs.items()) / den
                # NOTES: the process uses the value-weighted mean of its outputs' e_supply
                es = sum(bo * wt.prod[o]["p_ref"] * wt.prod[o]["e_supply"] for o, bo in outs.items()) / den
                vfac[(c, j)] = min(1.0, v ** es)
                if vfac[(c, j)] < 1 and run[(c, j)] > 0:
                    self.hit('curtailment (v^e_supply < 1)')

        # final demand (step 2)
        D, Dn, at_dmin = {}, {}, {}
        for c in C:
            for p in Pr:
                mk, pr = wt.market[(c, p)], wt.prod[p]
                base = mk["d_ref"] / 12 * (1 + mk["g"]) ** (t / 12) * Ft[(c, p)] * self.multiplier(t, c, p)
                # noise_z (mc_check.py): the month's z of product p, shared by
                # all countries; None (deterministic trial): z = 0.
                z = 0.0 if self.noise_z is None else self.noise_z(t, c, p)
                base *= math.exp(z * pr["sigma"] - pr["sigma"] ** 2 * self.NOISE_DRIFT / 2)
                mpay = m[(c, p)] * self.payf[(c, p)]
                resp = mpay ** (-pr["e_short"]) * math.exp(-(pr["e_long"] - pr["e_short"]) * self.lnpbar[(c, p)])
                # READING: the d_min rule concerns final buyers; a country without
                # final demand (D = 0) has no demand response to sit at d_min.
                # DMIN_NEEDS_DEMAND = False applies it to every country.
                at_dmin[(c, p)] = resp <= pr["d_min"] and (base > self.eps[p] or not self.DMIN_NEEDS_DEMAND)
                if at_dmin[(c, p)] and base > 0:
                    self.hit('demand response at d_min')
                D[(c, p)] = base * min(max(resp, pr["d_min"]), pr["d_max"])
                Dn[(c, p)] = base

        row = {(c, p): dict(output_t=0.0, offered_t=0.0, demand_t=D[(c, p)], normal_demand_t=Dn[(c, p)],
                            input_claim_t=0.0, restock_claim_t=0.0, received_t=0.0, drawn_t=0.0,
                            served_t=0.0, unserved_t=0.0) for c in C for p in Pr}
        output = {(c, p): 0.0 for c in C for p in Pr}
        Rin = {}  # input allocated to (c, j, p)
        newprice = {}

        for L in range(w.max_level + 1):
            # 1. Produce
            for j in w.processes:
                if w.level[j] != L:
                    continue
                for c in C:
                    q = run[(c, j)] * vfac[(c, j)]
                    outs = wt.outputs[j]
                    if not wt.inputs[j]:
                        for o, bo in outs.items():
                            # READING: reserves left = the field (a `set` may
                            # override it) less all mined since month 0.
                            r = wt.market[(c, o)]["reserves"]
                            r = None if r is None else max(0.0, r - self.mined[(c, o)])
                            if r is not None and bo > 0:
                                if r / bo < q:
                                    self.hit('reserves limit mining')
                                q = min(q, r / bo)
                    else:
                        for i, a in wt.inputs[j].items():
                            if a > 0:
                                q = min(q, Rin.get((c, j, i), 0.0) / a)
                    q = max(0.0, q)
                    if not wt.inputs[j]:
                        for o, bo in outs.items():
                            self.mined[(c, o)] += q * bo
                    for i, a in wt.inputs[j].items():
                        # "Input allocated but not used returns to the country's stock"
                        self.S[(c, i)] += Rin.get((c, j, i), 0.0) - q * a
                    for o, bo in outs.items():
                        output[(c, o)] += q * bo
            # trade every product whose trade level is L
            for p in Pr:
                if w.trade_level[p] != L:
                    continue
                newprice[p] = self.trade_product(p, t, wt, m, run, vfac, D, at_dmin, Ft, Ft1, output, Rin, row)

        # commit the new prices and record rows
        for p, (lnm, payf) in newprice.items():
            for c in C:
                row[(c, p)]["price_multiple"] = math.exp(lnm[c]) * payf[c]
        for c in C:
            for p in Pr:
                r = row[(c, p)]
                r["output_t"] = output[(c, p)]
                r["stock_t"] = self.S[(c, p)]
                r["stockpile_t"] = self.G[(c, p)]
        self.rows.append((t, row))

    def trade_product(self, p, t, wt, m, run, vfac, D, at_dmin, Ft, Ft1, output, Rin, row):
        w = self.w
        C = w.countries
        pr = wt.prod[p]
        eps = self.eps[p]
        es = pr["e_short"]
        # 2. Offers and claims
        E0, U0, I, Ij, X, B, off_stock = {}, {}, {}, {}, {}, {}, {}
        for c in C:
            mk = wt.market[(c, p)]
            T_t = self.target(wt, c, p, t, t, Ft[(c, p)])
            T_t1 = self.target(wt, c, p, t + 1, t, Ft1[(c, p)])  # "from month t's capacities and shocks"
            S = self.S[(c, p)]
            off_stock[c] = max(0.0, S - T_t) / mk["restock"]
            E0[c] = output[(c, p)] + off_stock[c]
            damp = min(1.0, m[(c, p)] ** (-es))  # claims for inputs and restocking use m
            Ij[c] = {}
            for j in w.processes:
                a = wt.inputs[j].get(p, 0.0)
                if a:
                    Ij[c][j] = run[(c, j)] * vfac[(c, j)] * a * damp
            I[c] = sum(Ij[c].values())
            X[c] = max(0.0, (T_t - S) / mk["restock"] + T_t1 - T_t) * damp
            B[c] = 0.0
            for s in self.active(t, "stockpile"):
                if s.raw["country"] == c and s.raw["product"] == p and "buy_tpa" in s.raw:
                    B[c] += num(s.raw["buy_tpa"]) / 12
            U0[c] = D[(c, p)] + I[c] + X[c] + B[c]
            # NOTES: the stock offered above target leaves the stock at the start of trade
            self.S[(c, p)] -= off_stock[c]
        # 3-4. Trade
        ship, E, U, kind, binding, tariffs = self.trade(p, t, E0, U0, wt)
        R = {i: sum(ship[(e, i)] for e in C) for i in C}
        unsold = E
        Kp, Ap = {}, {}
        for c in C:
            key = (c, p)
            # "unsold = E left at the end, which goes to the stock"
            self.S[key] += unsold[c]
            use = D[key] + I[c]
            Sbefore = self.S[key]
            drawS = drawG = 0.0
            # 5. Stocks cover gaps
            if R[c] < use:
                gap = use - R[c]
                drawS = min(self.S[key], gap)
                if drawS > eps:
                    self.hit('stock draw')
                if drawS < gap - eps:
                    self.hit('stock exhausted')
                self.S[key] -= drawS
                # FIX (found by fuzz_compare.py): MODEL_NOTES "the stockpile is
                # released only in months when a stockpile shock on it with
                # `release_below_fill` is in force (the highest such fill and
                # the lowest `max_release_tpm` apply)". This loop released once
                # per such shock, each up to its own max (two shocks released
                # up to the sum), and ignored a max_release_tpm given on a
                # stockpile shock without a fill. READING (the engine's): the
                # lowest max_release_tpm of every stockpile shock on it in
                # force, with a fill or not.
                mine = [s for s in self.active(t, "stockpile")
                        if s.raw["country"] == c and s.raw["product"] == p]
                fills = [num(s.raw["release_below_fill"]) for s in mine if "release_below_fill" in s.raw]
                pool = mine if self.RELEASE_MAX_FROM_ALL else \
                    [s for s in mine if "release_below_fill" in s.raw]
                mx = min([num(s.raw["max_release_tpm"]) for s in pool if "max_release_tpm" in s.raw],
                         default=math.inf)
                # NOTES: compares (R + S)/(D + I), S before the draw
                if fills and (R[c] + Sbefore) / use < max(fills):
                    g = max(0.0, min(self.G[key], mx, gap - drawS))
                    drawG += g
                    if g > 0:
                        self.hit('stockpile release')
                    self.G[key] -= g
            # 6. Split
            if R[c] >= use:
                servedD = D[key]
                toI = I[c]
                extra = R[c] - use
                claim = X[c] + B[c]
                to_restock = min(extra, claim)
                toX = to_restock * X[c] / claim if claim > 0 else 0.0
                toB = to_restock * B[c] / claim if claim > 0 else 0.0
                self.S[key] += toX + (extra - to_restock)
                self.G[key] += toB
            else:
                avail = R[c] + drawS + drawG
                servedD = avail * D[key] / use
                toI = avail * I[c] / use
                to_restock = 0.0
            for j, ij in Ij[c].items():
                Rin[(c, j, p)] = toI * ij / I[c] if I[c] > 0 else 0.0
            r = row[key]
            r.update(offered_t=E0[c], input_claim_t=I[c], restock_claim_t=X[c] + B[c],
                     received_t=R[c], drawn_t=drawS + drawG, served_t=servedD,
                     unserved_t=D[key] - servedD)
            # idle capacity for want of this input: "I_j not met" (tonnes of P),
            # summed over c's processes (not a CSV column; mc_check.py)
            r["idle_t"] = I[c] - toI
            # 7. Price: K' = D + I; A' = R + unsold - what went to restocking
            Kp[c] = use
            Ap[c] = R[c] + unsold[c] - to_restock
        return self.price(p, t, wt, E0, Kp, Ap, kind, binding, tariffs, ship, R, at_dmin)

    def price(self, p, t, wt, E0, Kp, Ap, kind, binding, tariffs, ship, R, at_dmin):
        w = self.w
        C = w.countries
        pr = wt.prod[p]
        eps = self.eps[p]
        kappa, es = pr["kappa"], pr["e_short"]
        fac = kappa / es
        Kz = {c: (Kp[c] if Kp[c] > eps else 0.0) for c in C}
        Az = {c: (Ap[c] if Ap[c] > eps else 0.0) for c in C}
        # Pools: countries with use (K' > 0) or an offer, linked where trade is
        # unrestricted, or restricted but neither binding nor leading into a
        # country without use (NOTES: in either direction).
        active = [c for c in C if Kz[c] > 0 or E0[c] > eps]
        cut = set()
        for (e, i) in kind:
            if (e, i) in binding or Kz[i] == 0:
                cut.add(frozenset((e, i)))
        pools, seen = [], set()
        for c in active:
            if c in seen:
                continue
            pool, stack = [], [c]
            seen.add(c)
            while stack:
                x = stack.pop()
                pool.append(x)
                for y in active:
                    if y not in seen and frozenset((x, y)) not in cut:
                        seen.add(y)
                        stack.append(y)
            pools.append(pool)
        if len(pools) > 1:
            self.hit('pools split')

        def scaled_log(K, A):
            # Ratios with a zero: 0/0 counts as ln 1; K' = 0 < A' as -ln 2;
            # A' = 0 < K' as +ln 2 (after the factor kappa / e_short, before the clip)
            if K == 0 and A == 0:
                return 0.0, 0.0
            if K == 0:
                self.hit("pool K'=0<A'")
                return -LN2, -math.inf
            if A == 0:
                self.hit("pool A'=0<K'")
                return LN2, math.inf
            x = math.log(K / A)
            return fac * x, x

        lo, hi = math.log(pr["m_min"]), math.log(pr["m_max"])
        lnm_new = {c: self.b[(c, p)] + self.delta[(c, p)] for c in C}
        for pool in pools:
            sK = sum(Kz[c] for c in pool)
            sA = sum(Az[c] for c in pool)
            rterm, r = scaled_log(sK, sA)
            if sK > 0:
                mu = sum(Kz[c] * self.b[(c, p)] for c in pool) / sK
            else:
                mu = sum(self.b[(c, p)] for c in pool) / len(pool)
            for c in pool:
                key = (c, p)
                old = self.b[key] + self.delta[key]
                bnew = mu + min(max(rterm, -LN2), LN2)
                if any((e, c) in binding for e in C):
                    if Az[c] == 0 and Kz[c] > 0:
                        dterm = LN2
                    elif Kz[c] == 0:
                        dterm = 0.0
                    else:
                        dterm = fac * max(0.0, math.log(Kz[c] / Az[c]) - max(0.0, r))
                    dnew = (1 - kappa) * self.delta[key] + min(max(dterm, 0.0), LN2)
                    if dterm > 0:
                        self.hit('country premium rises')
                else:
                    dnew = (1 - kappa) * self.delta[key]
                ln_m = min(max(bnew + dnew, lo), hi)
                if bnew + dnew > hi:
                    self.hit('clamp at m_max')
                if bnew + dnew < lo:
                    self.hit('clamp at m_min')
                if at_dmin[key] and ln_m > old:
                    self.hit('d_min rule stops a rise')
                if abs(rterm) > LN2:
                    self.hit('pool move clipped at ln 2')
                if at_dmin[key]:
                    ln_m = min(ln_m, old)
                dnew = max(0.0, min(dnew, ln_m - bnew))
                self.b[key] = ln_m - dnew
                self.delta[key] = dnew
                self.lnpbar[key] += (ln_m - self.lnpbar[key]) / pr["tau_sub"]
                lnm_new[c] = ln_m
        # Tariff: the price buyers pay is m (1 + sum of rates x share of last
        # month's receipts that crossed the tariff).
        payf = {}
        for i in C:
            f = 1.0
            for (e, ii), rate in tariffs.items():
                if ii == i and R[i] > eps:
                    f += rate * ship[(e, i)] / R[i]
                    if ship[(e, i)] > eps:
                        self.hit('tariff raises price paid')
            payf[i] = f
            self.payf[(i, p)] = f
        return lnm_new, payf

    def run(self):
        for t in range(self.sc.horizon):
            self.month(t)
        return self.rows


COLS = ["output_t", "offered_t", "demand_t", "normal_demand_t", "input_claim_t", "restock_claim_t",
        "received_t", "drawn_t", "served_t", "unserved_t", "stock_t", "stockpile_t", "price_multiple"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--csv", required=True)
    args = ap.parse_args()
    sc = Scenario(args.scenario)
    rows = Sim(sc).run()
    with open(args.csv, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["trial", "month", "country", "product"] + COLS)
        for t, row in rows:
            for (c, p) in sc.report:
                wr.writerow([0, t, c, p] + [repr(float(row[(c, p)][k])) for k in COLS])


if __name__ == "__main__":
    main()
