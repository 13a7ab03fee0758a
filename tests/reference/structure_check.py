#!/usr/bin/env python3
"""The report's concentration, split-market gap and idle inputs against the reference's own state.

Usage: structure_check.py ENGINE [SCENARIO.toml|DIR ...] [--quiet] [--power]
                          [--misread NAME ...]

Default scenarios: every file in tests/reference/scenarios/ and
tests/reference/scenarios_structure/ (a directory argument means its *.toml).
Each must be deterministic (every number fixed, sigma = 0, probability 1), so
that one trial is the whole distribution and the report's medians and
quantiles are that trial's values.

`report_check.py` recomputes the report from `replay` rows, which carry output,
demand and price per reported country and product only: not per-process
throughput, not per-link shipments, not every country's paid price. This
script runs `reference.py`'s simulation (MODEL.md sections 1, 2 and 4, written
without the engine's code) under a subclass that records, month by month, each
plant's throughput, each link's shipments, each input allocation and each
country's pool and paid prices, recomputes from that state alone the report
figures the replay cannot give, and compares them with
`ENGINE run SCENARIO --trials 1 --quiet --json PATH`:

1. concentration (MODEL.md section 6: "each stage's, process's and product's
   output shares and HHI in month 0 and the last month (median over trials)";
   docs/MODEL_NOTES.md: "stages and processes by throughput (t/yr of input),
   products by output. HHI is on the 0..10,000 scale"): per country, its share
   of the world's throughput of a process, of the processes of a stage, and of
   the world's output of a product, in month 0 and in month horizon - 1; the
   HHI is sum (100 share)^2. The engine reads shares off histograms of 1,000
   bins (exact at 0 and 1) and the HHI within a point: shares must agree
   within 0.001 (a country the engine leaves out counts 0), the HHI within 1.
2. the split-market gap (MODEL.md section 6: "the peak ratio of an exporter's
   customers' import-weighted price to its own"; MODEL_NOTES: "for each
   (exporter, product) under a ban, licence or quota, the peak over months of
   the import-weighted price its month-0 customers pay over its own price"),
   with the READINGs below. It must agree to 1e-6 relative (the engine's gap
   is not binned: p5 = p50 = p95 = the trial's peak).
3. idle capacity for want of an input (`idle_input_mean_tonnes` of each
   reported pair; report_check.py does not check it): the sum over the
   horizon of I_j not met (MODEL.md step 6) over the country's processes using
   the product, in tonnes of the product; 1e-6 relative, or 1e-9 of the
   product's world output a month.

READINGs (where the text leaves a choice):
- GAP-PRICE: the price a country pays, for month t, is the reported price of
  MODEL.md section 2 step 7 ("The price reported for month t is m(t+1)") times
  the tariff factor ("the price its buyers pay, used in their demand next month
  and in reports, is m (1 + sum of rates * share of last month's receipts that
  crossed the tariff)"): m_c(t+1) (1 + sum of rates x the share of c's month-t
  receipts that crossed a tariff), i.e. the replay's price_multiple. The
  exporter's "own price" is the same figure for the exporter (what its own
  buyers pay, tariffs on its own imports included).
- GAP-WEIGHTS: "an exporter's customers' import-weighted price" (MODEL.md)
  and MODEL_NOTES "Split-market gap": the customers are all the other
  countries (not only a restriction's destinations), each weighted by what it
  would ask of the exporter in month 0 with no restriction in force (the
  unrestricted ask U_i w_ei / sum w at the start of month 0's trade, every
  room at E and every pressure at 1), so that a restriction from month 0
  still has customers; the customers' price is the weighted arithmetic mean
  of their paid prices. (This check was first written with month 0's
  shipments as the weights, the engine's reading then; `gap-shipments`
  keeps that reading as a misreading.)
- GAP-MONTHS: "the peak over months": every month of the horizon, not only
  the months a restriction is in force.
- GAP-PAIRS: the (exporter, product) pairs are those named by a ban, licence or
  quota (a tariff alone makes none) in force in some month of the horizon.
- GAP-NONE: an exporter without month-0 customers has no import-weighted price;
  the script expects no gap there (`peak_gap` null; MODEL_NOTES "Split-market
  gap"; the text of MODEL.md gives no number).
- TRIAL: the shares are of what the trial made and ran in that month (section
  6: "output shares ... in month 0 and the last month (median over trials)"),
  not of normal capacity: MODEL_NOTES' "normal-month output at central
  figures" (under "1. The world") is read as the world's own shares, as
  `shortfall world` shows them; a per-trial median of figures at central
  values would be one number.
- THROUGHPUT: a process's throughput in a month is the q of MODEL.md step 1
  (what it ran at, after curtailment, reserves and inputs), for a mining
  process too (no inputs: "a coefficient per tonne of throughput"); a stage's
  is the sum of its processes' q.
- LAST: "the last month" is month horizon - 1 (months count from 0).
- ROWS: a product nobody makes (no process outputs it) has no output shares
  and may have no row; every stage, process and other product must have one,
  and a row whose total is 0 has HHI 0 and no shares.
- IDLE: idle input tonnes are I_j - R_jP of step 6 (claims not met), not the
  input allocated but left unused because another input was short (that
  returns to stock, step 1).

--misread NAME (repeatable) computes a figure the wrong way on purpose, to show
that the comparison detects the misreading (MISREADINGS below lists them);
--power runs the check, then every misreading alone against the same engine
reports, and fails if one of them goes undetected.

Prints a line per figure compared (engine, reference, difference; --quiet:
only mismatches) and a summary line with "figures agree" on success; exits 1
on any disagreement (or, with --power, an undetected misreading), 2 if the
check could not run.
"""
import argparse
import glob
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

SHARE_TOL = 0.001   # median shares from histograms of 1,000 bins on 0..1
HHI_TOL = 1.0       # median HHI within a point
GAP_REL = 1e-6      # the gap is exact in the engine
IDLE_REL = 1e-6     # idle tonnes: 1e-6 relative, or 1e-9 of world output a month
MISREADINGS = {
    # concentration
    "stage-output": "stage shares by output tonnes, not throughput",
    "capacity": "shares from running capacity (cap avail (1 - outage) / 12), not what ran",
    "product-offered": "product shares by offers (output + stock above target), not output",
    "hhi-prev-month": "'last month' = horizon - 2",
    "hhi-first-month": "'last month' figures taken from month 0",
    "hhi-fraction": "HHI on the 0..1 scale",
    # split-market gap
    "gap-shipments": "weights from month 0's shipments, not the unrestricted month-0 asks",
    "gap-current-weights": "weights from the current month's shipments, not month 0's",
    "gap-total-imports": "weights: each customer's month-0 imports from anyone",
    "gap-unweighted": "plain mean of the customers' prices",
    "gap-geometric": "import-weighted geometric mean of the customers' prices",
    "gap-destinations": "customers = the restriction's destinations only",
    "gap-pool-price": "pool price m of customers and exporter, not the price paid",
    "gap-own-pool": "the exporter's own price = its pool price m",
    "gap-price-in-force": "price in force during month t (m(t)), not the reported m(t+1)",
    "gap-window": "peak over the months a restriction is in force only",
    "gap-inverted": "own price over the customers'",
    # idle capacity
    "idle-unused": "idle input counts input allocated but not run through",
    "idle-throughput": "idle in tonnes of throughput (I_j not met / a_jP)",
}
MIS = set()


class SetupError(Exception):
    pass


# ---------------------------------------------------------------------------
# The reference's simulation, recording what the report needs
# ---------------------------------------------------------------------------
class RecordingSim(reference.Sim):
    """reference.Sim unchanged, with hooks that record per month: the world in
    force, running capacity, curtailment, input allocations and output (to
    recompute each plant's throughput q), every link's shipments, and each
    country's pool price m(t+1), tariff factor and the price in force during
    the month."""

    def __init__(self, sc):
        super().__init__(sc)
        self.rec = []

    def month(self, t):
        cur = dict(t=t, ship={}, ask0={}, pool={}, payf={}, m_start=None, payf_start=dict(self.payf),
                   mined_start=dict(self.mined), wt=None, run=None, vfac=None, Rin=None, output=None)
        self._cur = cur
        super().month(t)
        cur["row"] = self.rows[-1][1]
        cur["thr"] = self._throughput(cur)
        self.rec.append(cur)

    # The hooks take their arguments by name, so that a parameter added to
    # reference.py's methods does not shift them (signatures read once: a
    # Monte Carlo run, mc_check.py, calls them many times).
    _TRADE = inspect.signature(reference.Sim.trade)
    _TRADE_PRODUCT = inspect.signature(reference.Sim.trade_product)

    def trade(self, *args, **kw):
        a = self._TRADE.bind(self, *args, **kw).arguments
        res = super().trade(*args, **kw)
        self._cur["ship"][a["p"]] = dict(res[0])  # ship[(e, i)], summed over passes
        # Each buyer's unrestricted ask of each supplier at the start of the
        # trade: U_i w_ei / sum_e' w_e'i, w_ei = h_ei E_e (rooms at E,
        # pressures 1), the split-market gap's weights (READING GAP-WEIGHTS).
        E0, U0, h = a["E0"], a["U0"], a["wt"].prod[a["p"]]["home_weight"]
        C = self.w.countries
        ask0 = {}
        for i in C:
            total = math.fsum((h if x == i else 1.0) * E0[x] for x in C)
            for e in C:
                w_ei = (h if e == i else 1.0) * E0[e]
                ask0[(e, i)] = U0[i] * w_ei / total if total > 0 and U0[i] > 0 else 0.0
        self._cur["ask0"][a["p"]] = ask0
        return res

    def trade_product(self, *args, **kw):
        a = self._TRADE_PRODUCT.bind(self, *args, **kw).arguments
        cur = self._cur
        # the same dicts the month fills: complete once the month is over
        cur.update(wt=a["wt"], run=a["run"], vfac=a["vfac"], Rin=a["Rin"], output=a["output"],
                   m_start=a["m"])
        lnm, payf = super().trade_product(*args, **kw)
        cur["pool"][a["p"]] = {c: math.exp(x) for c, x in lnm.items()}
        cur["payf"][a["p"]] = dict(payf)
        return lnm, payf

    def _throughput(self, cur):
        """Each plant's q (MODEL.md step 1), from the month's running capacity,
        curtailment, reserves and the inputs allocated to it; checked against
        the month's output of every product."""
        w, wt = self.w, cur["wt"]
        C = w.countries
        mined = dict(cur["mined_start"])
        q = {}
        for L in range(w.max_level + 1):
            for j in w.processes:
                if w.level[j] != L:
                    continue
                for c in C:
                    x = cur["run"][(c, j)] * cur["vfac"][(c, j)]
                    if not wt.inputs[j]:
                        # "A mining process runs at q = min(that, reserves_o / b_o over its outputs o)"
                        for o, bo in wt.outputs[j].items():
                            r = wt.market[(c, o)]["reserves"]
                            if r is not None and bo > 0:
                                x = min(x, max(0.0, r - mined[(c, o)]) / bo)
                        x = max(0.0, x)
                        for o, bo in wt.outputs[j].items():
                            mined[(c, o)] += x * bo
                    else:
                        # "any other process at q = min(that, min over inputs i of R_i / a_i)"
                        for i, a in wt.inputs[j].items():
                            if a > 0:
                                x = min(x, cur["Rin"].get((c, j, i), 0.0) / a)
                        x = max(0.0, x)
                    q[(c, j)] = x
        # self-check: the throughputs give the month's output of every product
        for c in C:
            for p in w.products:
                made = math.fsum(q[(c, j)] * wt.outputs[j].get(p, 0.0) for j in w.processes)
                got = cur["output"][(c, p)]
                if abs(made - got) > 1e-9 * max(abs(got), self.W[p], 1e-300):
                    raise SetupError(f"throughput does not rebuild output: month {cur['t']} {c} {p}: "
                                     f"{made!r} vs {got!r}")
        return q


# ---------------------------------------------------------------------------
# Figures from the reference's state
# ---------------------------------------------------------------------------
def shares_of(amounts):
    total = math.fsum(amounts.values())
    return {c: (x / total if total > 0 else 0.0) for c, x in amounts.items()}


def hhi_of(shares):
    h = math.fsum((100 * s) ** 2 for s in shares.values())
    return h / 10000 if "hhi-fraction" in MIS else h


def concentration(sim):
    """{(kind, name): {"first"/"last": (shares, hhi)}} from the recorded months."""
    w = sim.w
    C = w.countries
    H = sim.sc.horizon
    months = {"first": 0, "last": H - 1}
    if "hhi-prev-month" in MIS:
        months["last"] = max(0, H - 2)
    if "hhi-first-month" in MIS:
        months["last"] = 0
    out = {}
    for when, t in months.items():
        rec = sim.rec[t]
        wt = rec["wt"]
        if "capacity" in MIS:
            # misreading: normal throughput (running capacity), not what ran
            thr = {(c, j): rec["run"][(c, j)] for c in C for j in w.processes}
        else:
            thr = rec["thr"]

        def measure(c, j):
            if "stage-output" in MIS:
                return thr[(c, j)] * math.fsum(wt.outputs[j].values())
            return thr[(c, j)]

        stages = []
        for j in w.processes:
            if w.stage[j] not in stages:
                stages.append(w.stage[j])
        for s in stages:
            amounts = {c: math.fsum(measure(c, j) for j in w.processes if w.stage[j] == s) for c in C}
            sh = shares_of(amounts)
            out.setdefault(("stage", s), {})[when] = (sh, hhi_of(sh))
        for j in w.processes:
            sh = shares_of({c: thr[(c, j)] for c in C})
            out.setdefault(("process", j), {})[when] = (sh, hhi_of(sh))
        for p in w.products:
            if "capacity" in MIS:
                amounts = {c: math.fsum(thr[(c, j)] * wt.outputs[j].get(p, 0.0) for j in w.processes)
                           for c in C}
            elif "product-offered" in MIS:
                # misreading: what a country offers (output and stock above target)
                amounts = {c: rec["row"][(c, p)]["offered_t"] for c in C}
            else:
                # products by output: what the month made (the reference's own output rows)
                amounts = {c: rec["row"][(c, p)]["output_t"] for c in C}
            sh = shares_of(amounts)
            out.setdefault(("product", p), {})[when] = (sh, hhi_of(sh))
    made = {p for j in w.processes for p in w.outputs[j]}
    return out, made


def restricted_pairs(sc):
    """(exporter, product) -> the destinations of its bans, licences and quotas
    in force in some month of the horizon (READING GAP-PAIRS), and the months."""
    pairs = {}
    for s in sc.shocks:
        if s.kind != "export_restriction" or s.raw["mode"] == "tariff":
            continue
        months = [t for t in range(sc.horizon) if s.in_force(t)]
        if not months:
            continue
        e = s.raw["from"]
        to = s.countries("to") if "to" in s.raw else list(sc.world.countries)
        exc = reference.as_list(s.raw.get("except", []))
        dests = [i for i in to if i not in exc and i != e]
        for p in reference.as_list(s.raw["products"]):
            d = pairs.setdefault((e, p), dict(dests=set(), months=set()))
            d["dests"].update(dests)
            d["months"].update(months)
    return pairs


def price_paid(sim, t, c, p):
    """The price country c pays, reported for month t (READING GAP-PRICE)."""
    rec = sim.rec[t]
    if "gap-price-in-force" in MIS:
        # misreading: the price in force during month t, m(t) with last month's tariff factor
        return rec["m_start"][(c, p)] * rec["payf_start"][(c, p)]
    return rec["row"][(c, p)]["price_multiple"]


def pool_price(sim, t, c, p):
    return sim.rec[t]["pool"][p][c]


def split_gaps(sim, pairs=None):
    """(exporter, product) -> (peak gap, month of the peak, month-0 weights),
    for the pairs of restricted_pairs(sim.sc), or for `pairs` (the same form;
    mc_check.py passes the whole scenario's, whether a trial's shocks happen
    or not)."""
    sc = sim.sc
    C = sc.world.countries
    out = {}
    if pairs is None:
        pairs = restricted_pairs(sc)
    for (e, p), info in pairs.items():
        eps = sim.eps[p]
        ship0 = sim.rec[0]["ship"][p]
        if "gap-shipments" in MIS:
            # the old reading: month 0's shipments (none under a restriction from month 0)
            weights0 = {i: ship0[(e, i)] for i in C if i != e and ship0[(e, i)] > eps}
        else:
            ask0 = sim.rec[0]["ask0"][p]
            weights0 = {i: ask0[(e, i)] for i in C if i != e and ask0[(e, i)] > 0}
        if "gap-total-imports" in MIS:
            # misreading: each customer weighs by all it imported in month 0, from anyone
            weights0 = {i: math.fsum(ship0[(x, i)] for x in C if x != i) for i in weights0}
        if "gap-destinations" in MIS:
            weights0 = {i: x for i, x in weights0.items() if i in info["dests"]}
        peak, when = None, None
        for t in range(sc.horizon):
            if "gap-window" in MIS and t not in info["months"]:
                continue
            weights = weights0
            if "gap-current-weights" in MIS:
                ship = sim.rec[t]["ship"][p]
                weights = {i: ship[(e, i)] for i in C if i != e and ship[(e, i)] > eps}
            if "gap-unweighted" in MIS:
                weights = {i: 1.0 for i in weights}
            total = math.fsum(weights.values())
            if total <= 0:
                continue
            if "gap-pool-price" in MIS:
                prices = {i: pool_price(sim, t, i, p) for i in weights}
            else:
                prices = {i: price_paid(sim, t, i, p) for i in weights}
            if "gap-geometric" in MIS:
                theirs = math.exp(math.fsum(x * math.log(prices[i]) for i, x in weights.items()) / total)
            else:
                theirs = math.fsum(x * prices[i] for i, x in weights.items()) / total
            own = pool_price(sim, t, e, p) if "gap-own-pool" in MIS else price_paid(sim, t, e, p)
            gap = own / theirs if "gap-inverted" in MIS else theirs / own
            if peak is None or gap > peak:
                peak, when = gap, t
        # READING GAP-NONE: no month-0 customers, no gap (null)
        out[(e, p)] = (peak, when, weights0)
    return out


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------
class Checker:
    def __init__(self, quiet, silent=False):
        self.quiet = quiet or silent
        self.silent = silent  # power runs: count, print nothing
        self.count = 0
        self.bad = []
        self.worst = {}

    def figure(self, name, where, engine, ref, diff, ok, tol):
        self.count += 1
        self.worst[name] = max(self.worst.get(name, 0.0), diff)
        line = (f"  {name:<14} {where:<44} engine {engine!r:<22} reference {ref!r:<22} "
                f"diff {diff:.1e} {'ok' if ok else 'MISMATCH (tol ' + format(tol, 'g') + ')'}")
        if not ok:
            self.bad.append(line.strip())
        if not self.silent and (not self.quiet or not ok):
            print(line)

    def flag(self, name, where, ok, detail):
        """A structural test (a row or an entry present or absent): printed
        only when it fails."""
        self.count += 1
        if not ok:
            self.bad.append(f"{name} {where}: {detail}")
            if not self.silent:
                print(f"  {name:<14} {where:<44} MISMATCH {detail}")


def deterministic(sc):
    for p, f in sc.world.prod.items():
        if f.get("sigma", 0.0) != 0.0:
            raise SetupError(f"{p}: sigma = {f['sigma']} (the check needs sigma = 0)")


def run_engine(engine, scenario, tmp):
    path = os.path.join(tmp, os.path.basename(scenario) + ".json")
    cmd = [engine, "run", scenario, "--trials", "1", "--quiet", "--json", path]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    with open(path) as f:
        return json.load(f)


def load(engine, scenario, tmp):
    """The reference's recorded trial and the engine's one-trial report."""
    name = os.path.splitext(os.path.basename(scenario))[0]
    sc = reference.Scenario(scenario)
    deterministic(sc)
    sim = RecordingSim(sc)
    sim.run()
    report = run_engine(engine, scenario, tmp)
    if report["scenario"]["horizon_months"] != sc.horizon:
        raise SetupError(f"{name}: the engine ran {report['scenario']['horizon_months']} months, "
                         f"the scenario says {sc.horizon}")
    if report.get("manifest", {}).get("trials_run", report["scenario"]["trials"]) != 1:
        raise SetupError(f"{name}: the engine did not run exactly one trial")
    return name, sim, report


def compare(chk, name, sim, report):
    """Every figure of one scenario, under the misreadings in MIS (none normally)."""
    sc = sim.sc
    C = sc.world.countries
    if not chk.quiet:
        print(f"== {name} ({sc.horizon} months)")

    # 1. concentration
    ref, made = concentration(sim)
    rows = {(r["kind"], r["name"]): r for r in report.get("concentration", [])}
    for key in rows:
        chk.flag("conc.row", f"{name} {key[0]} {key[1]}", key in ref,
                 "(a row the reference has no such stage, process or product for)")
    for key, figs in ref.items():
        where0 = f"{name} {key[0]} {key[1]}"
        row = rows.get(key)
        if row is None:
            may_lack = key[0] == "product" and key[1] not in made
            chk.flag("conc.row", where0, may_lack, "(no row in the report)")
            continue
        for when in ("first", "last"):
            sh, hhi = figs[when]
            got = row[when]
            listed = {s["country"]: s["share"] for s in got["shares"]}
            for c in listed:
                chk.flag("conc.country", f"{where0} {when} {c}", c in C, "(not a country of the world)")
            e_hhi = got["hhi"]
            chk.figure("conc.hhi", f"{where0} {when}", e_hhi, hhi, abs(e_hhi - hhi),
                       abs(e_hhi - hhi) <= HHI_TOL, HHI_TOL)
            for c in C:
                e = listed.get(c, 0.0)  # zero shares may be left out
                d = abs(e - sh[c])
                chk.figure("conc.share", f"{where0} {when} {c}", e, sh[c], d, d <= SHARE_TOL, SHARE_TOL)

    # 2. split-market gap
    gaps = split_gaps(sim)
    got = {(g["exporter"], g["product"]): g["peak_gap"] for g in report.get("split_market", [])}
    for key in got:
        chk.flag("gap.pair", f"{name} {key[0]} {key[1]}", key in gaps, "(no ban, licence or quota names it)")
    for key, (peak, when, weights) in sorted(gaps.items()):
        where = f"{name} {key[0]} {key[1]}"
        if key not in got:
            chk.flag("gap.pair", where, False, "(no split_market entry)")
            continue
        q = got[key]
        if peak is None or q is None:
            chk.flag("gap.none", where, peak is None and q is None,
                     f"(engine {q}, reference {'no customers' if peak is None else peak})")
            continue
        for stat in ("p5", "p50", "p95"):
            e = q.get(stat)
            if e is None:
                chk.flag("gap.peak", f"{where} {stat}", False, "(missing)")
                continue
            d = abs(e - peak) / max(abs(e), abs(peak), 1e-300)
            chk.figure("gap.peak", f"{where} {stat}", e, peak, d, d <= GAP_REL, GAP_REL)
        if not chk.quiet:
            cust = ", ".join(f"{i} {x:.4g} t" for i, x in weights.items()) or "none"
            print(f"  {'':<14} (reference peak in month {when}; month-0 customers: {cust})")

    # 3. idle capacity for want of an input, per reported pair
    for res in report.get("results", []):
        c, p = res["country"], res["product"]
        e = res["shortfall"]["idle_input_mean_tonnes"]
        ref_idle = idle_inputs(sim, c, p)
        floor = 1e-9 * sim.W[p] * sc.horizon
        d = abs(e - ref_idle) / max(abs(e), abs(ref_idle), floor / IDLE_REL)
        chk.figure("idle.input", f"{name} {c} {p}", e, ref_idle, d, d <= IDLE_REL, IDLE_REL)


def idle_inputs(sim, c, p):
    """Cumulative idle capacity of country c's processes for want of input p:
    MODEL.md step 6, "What reaches I_j becomes process j's R_P; I_j not met is
    idle capacity, reported apart", in tonnes of p, summed over the horizon
    (READING IDLE)."""
    w = sim.w
    total = 0.0
    for rec in sim.rec:
        wt = rec["wt"]
        claim = rec["row"][(c, p)]["input_claim_t"]
        got = math.fsum(rec["Rin"].get((c, j, p), 0.0) for j in w.processes)
        if "idle-unused" in MIS:
            # misreading: input allocated but not run through (returned to stock) counts too
            got = math.fsum(rec["thr"][(c, j)] * wt.inputs[j].get(p, 0.0) for j in w.processes)
        idle = claim - got
        if "idle-throughput" in MIS:
            # misreading: in tonnes of throughput (I_j not met / a_jP)
            idle = math.fsum((claim_j - rec["Rin"].get((c, j, p), 0.0)) / wt.inputs[j][p]
                             for j, claim_j in input_claims(sim, rec, c, p).items())
        total += idle
    return total


def input_claims(sim, rec, c, p):
    """I_j per process j using p (MODEL.md step 2), for the idle-throughput misreading."""
    wt = rec["wt"]
    out = {}
    m = rec["m_start"][(c, p)]
    es = wt.prod[p]["e_short"]
    for j in sim.w.processes:
        a = wt.inputs[j].get(p, 0.0)
        if a:
            out[j] = rec["run"][(c, j)] * rec["vfac"][(c, j)] * a * min(1.0, m ** (-es))
    return out


def scenario_paths(args):
    """Files as given; a directory gives its *.toml files."""
    dirs = args or [os.path.join(HERE, "scenarios"), os.path.join(HERE, "scenarios_structure")]
    out = []
    for a in dirs:
        if os.path.isdir(a):
            out += sorted(glob.glob(os.path.join(a, "*.toml")))
        else:
            out.append(a)
    if not out:
        raise SetupError("no scenarios")
    return out


def power(loaded, names):
    """Each misreading alone: how many figures (in which scenarios) it breaks."""
    undetected = []
    print(f"power: each misreading on purpose, against the same {len(loaded)} engine reports")
    for m in names:
        MIS.clear()
        MIS.add(m)
        chk = Checker(quiet=True, silent=True)
        for name, sim, report in loaded:
            compare(chk, name, sim, report)
        where = sorted({b.split()[1] for b in chk.bad})
        status = "detected" if chk.bad else "NOT DETECTED"
        print(f"  {m:<20} {MISREADINGS[m]}: {status}, {len(chk.bad)} figures in {len(where)} scenarios"
              + (f" ({', '.join(where[:6])}{', ...' if len(where) > 6 else ''})" if where else ""))
        if not chk.bad:
            undetected.append(m)
    MIS.clear()
    return undetected


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("engine")
    ap.add_argument("scenarios", nargs="*", help="scenario files or directories of them")
    ap.add_argument("--misread", action="append", default=[], choices=list(MISREADINGS),
                    help="compute a figure the wrong way on purpose (power demonstrations)")
    ap.add_argument("--power", action="store_true",
                    help="after the check, try every misreading alone; exit 1 if one goes undetected")
    ap.add_argument("--quiet", action="store_true", help="print only mismatches and the summary")
    args = ap.parse_args(argv)
    started = time.monotonic()
    scenarios = scenario_paths(args.scenarios)
    with tempfile.TemporaryDirectory(prefix="structure_check") as tmp:
        loaded = [load(args.engine, s, tmp) for s in scenarios]
    MIS.update(args.misread)
    chk = Checker(args.quiet)
    for name, sim, report in loaded:
        compare(chk, name, sim, report)
    worst = "  ".join(f"{k} {v:.1e}" for k, v in sorted(chk.worst.items()))
    print(f"largest differences: {worst}")
    if MIS:
        print(f"misreading(s) on purpose: {', '.join(sorted(MIS))}")
    undetected = power(loaded, MISREADINGS) if args.power else []
    elapsed = time.monotonic() - started
    if undetected:
        print(f"power: {len(undetected)} misreading(s) NOT DETECTED: {', '.join(undetected)}")
    if chk.bad:
        print(f"{len(chk.bad)} MISMATCHES of {chk.count} figures in {len(scenarios)} scenarios "
              f"({elapsed:.1f} s)")
        return 1
    power_note = f"; all {len(MISREADINGS)} misreadings detected" if args.power and not undetected else ""
    print(f"all {chk.count} figures agree in {len(scenarios)} scenarios{power_note} ({elapsed:.1f} s)")
    return 1 if undetected else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (SetupError, OSError, KeyError, ValueError, AssertionError) as e:
        print(f"structure_check: cannot check: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
