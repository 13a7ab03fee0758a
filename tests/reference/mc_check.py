#!/usr/bin/env python3
"""An independent Monte Carlo check of whole random runs of `shortfall`.

Usage: mc_check.py ENGINE SCENARIO.toml... [--trials N] [--ref-trials M]
                   [--seed S] [--workers W] [--misread NAME ...]

For each scenario, runs `ENGINE run SCENARIO --trials N --seed S --quiet
--partial P` and `ENGINE merge P --quiet --json PATH` (the same report as
`run --json`, plus the engine's per-trial cumulative unserved tonnes, read
from P for the CVaR's standard error) and, beside it, M trials (default N)
of its own, built on the deterministic month logic of reference.py with its
own random numbers
(Python's `random.Random`, seeded from S and the trial; it neither can nor
tries to reproduce the engine's Philox streams). Per trial it samples, from
MODEL.md sections 3-5 and docs/MODEL_NOTES.md alone:

- every distribution of the world and the scenario once (uniform,
  triangular, pert of shape 4, normal, lognormal, beta on 0..1 or min..max,
  discrete with normalised weights; `clamp`; month counts `start_month`,
  `duration_months`, `ramp_months`, `delay_months`, `outage_months`
  rounded to whole months, halves away from zero), each as the inverse CDF of
  one uniform, and `[[correlation]]` entries through a Gaussian copula whose
  normals are correlated at 2 sin(pi rho / 6);
- whether each shock happens: one uniform per shock, or one per `group`,
  a member happening when it is below the member's own `probability`;
- random outages (`rate_per_year`, `outage_months`): in each month of the
  window without a running outage of that shock, one starts with
  probability 1 - exp(-rate/12); its length is drawn per event and rounded,
  and `loss` (default 1) applies while it runs, within the window (READING:
  like every shock, an outage shock acts only in its window, so an event
  that would run past the window's end is cut there);
- the demand noise: one z ~ N(0, 1) per product and month, shared by all
  countries, demand times exp(sigma z - sigma^2/2) with the sigma in force.

It then compares, for every reported country/product pair, the figures of
MODEL.md section 6 that carry Monte Carlo error, as docs/MODEL_NOTES.md
("6. Reports") defines them, each with a tolerance from that error (see
README.md, "Whole random runs against an independent Monte Carlo"): means
by z-tests (the engine's standard error for cumulative unserved tonnes, else
the reference's sample SD for both sides), the SD of cumulative unserved
tonnes, proportions by pooled two-proportion z-tests, quantiles
distribution-free (the reference's empirical CDF at the engine's quantile,
widened by the engine's 1% price bins), and the Spearman sensitivity of each
continuous sampled parameter; CVaR95 by a z-test with each side's standard
error of the tail mean from its own trials; the recovery median
distribution-free over the short trials (a censored trial longer than any
recovery, a null median infinite). Each trial runs under structure_check.py's
RecordingSim (reference.Sim's month logic, with hooks that record
throughput, shipments, month-0 asks and paid prices), from whose state
structure_check.py recomputes the trial's concentration (shares and HHI of
every stage, process and product in month 0 and the last month) and
split-market gaps; their medians and quantiles are tested distribution-free,
widened by the engine's bins (shares 0.001, HHI a point, gaps 1%). A mean
whose figure is off its most common value in fewer than RARE reference
trials (a rare event) is not z-tested.
Monthly tonnes within ZERO of the product's world output count as 0.
Prints one line per figure (engine, reference, z) and a summary ("all K
figures agree"); exits 1 if any figure disagrees beyond Z_MAX = 4 standard
errors, 2 if the check could not run.

--misread NAME switches on a deliberate misreading on the reference's side
(the engine is never touched), to show that the check can fail: see
MISREADINGS below and README.md for which scenario detects which.
"""
import argparse
import concurrent.futures
import copy
import json
import math
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402
import structure_check  # noqa: E402
from draws_check import betainc  # noqa: E402
from rank_stats import spearman  # noqa: E402
from report_check import cvar, quantile7, recovery_months  # noqa: E402

Z_MAX = 4.0          # every figure within 4 standard errors
SHORT = 0.01         # a short month: unserved above 1% of that month's final demand
RECOVERED = 0.95     # recovery: three months in a row at or above 95% served
RARE = 10            # a mean of a figure that is off its mode in fewer reference trials: not z-tested
ZERO = 1e-9          # monthly tonnes below 1e-9 of world output: rounding noise, 0
HIST = 0.01          # the engine's price and gap quantiles come from 1% log bins
SHARE_BIN = structure_check.SHARE_TOL  # median shares from 1,000 bins on 0..1
HHI_BIN = structure_check.HHI_TOL      # median HHI within a point
CVAR_TAIL = 0.05     # CVaR95: the mean of the worst 5% of trials exactly
PERT_SHAPE = 4.0
MONTH_KEYS = {"start_month", "duration_months", "ramp_months", "delay_months", "outage_months"}
PER_EVENT_KEYS = {"outage_months"}  # drawn per outage event, not per trial
NORMAL = statistics.NormalDist()

MISREADINGS = {
    "noise_no_drift": "demand noise exp(sigma z), without the -sigma^2/2 term",
    "noise_per_country": "one noise z per product, month and country (not shared)",
    "noise_off": "no demand noise at all (sigma ignored)",
    "ignore_probability": "every shock happens (probability ignored)",
    "group_independent": "grouped shocks drawn independently",
    "outage_rate_per_month": "outage start probability 1 - exp(-rate) a month (the yearly rate per month)",
    "outage_rate_linear": "outage start probability rate/12 (not 1 - exp(-rate/12))",
    "outage_overlap": "random outages start while one runs (they overlap)",
    "outage_len_ceil": "outage lengths not rounded: an event runs while t - start < L (ceil)",
    "outage_len_floor": "outage lengths truncated (floor)",
    "outage_past_window": "random outages run their full length past the end of the shock's window",
    "ramp_ignored": "ramps ignored (shocks at full strength from their start)",
    "months_floor": "sampled month counts rounded down",
    "dist_central": "distributions replaced by their central value (nothing sampled)",
    "no_correlation": "[[correlation]] ignored",
    # the figures of the structure and the tail (README.md, "Power of mc_check")
    "cvar_worst10": "CVaR95 as the mean of the worst 10% of trials",
    "cvar_var95": "CVaR95 read as the 95% quantile (VaR95, type 7), not the mean beyond it",
    "recovery_recovered_only": "recovery median over the recovered trials only (censored left out)",
    "gap_shipments": "split-market gap weighted by month 0's shipments, not the unrestricted month-0 asks",
    "hhi_of_median_shares": "concentration HHI of the median shares, not the median of each trial's HHI",
}
# misreadings that structure_check.py implements (its --misread names)
STRUCTURE_MISREADINGS = {
    "gap_shipments": "gap-shipments",
}


class SetupError(Exception):
    pass


# ---------------------------------------------------------------- distributions

def beta_ppf(a, b, u):
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if betainc(a, b, mid) < u:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def ppf(spec, u):
    """The distribution's inverse CDF at u in (0, 1), clamped (MODEL.md section 5)."""
    k = spec["dist"]
    g = lambda name: float(spec[name])  # noqa: E731
    if k == "uniform":
        x = g("min") + u * (g("max") - g("min"))
    elif k == "triangular":
        a, c, b = g("min"), g("mode"), g("max")
        if u < (c - a) / (b - a):
            x = a + math.sqrt(u * (b - a) * (c - a))
        else:
            x = b - math.sqrt((1 - u) * (b - a) * (b - c))
    elif k == "pert":
        a, c, b = g("min"), g("mode"), g("max")
        al = 1 + PERT_SHAPE * (c - a) / (b - a)
        be = 1 + PERT_SHAPE * (b - c) / (b - a)
        x = a + (b - a) * beta_ppf(al, be, u)
    elif k == "normal":
        x = g("mean") + g("sd") * NORMAL.inv_cdf(u)
    elif k == "lognormal":
        x = g("median") * math.exp(g("sd_log") * NORMAL.inv_cdf(u))
    elif k == "beta":
        lo, hi = float(spec.get("min", 0.0)), float(spec.get("max", 1.0))
        x = lo + (hi - lo) * beta_ppf(g("alpha"), g("beta"), u)
    elif k == "discrete":
        values = [float(v) for v in spec["values"]]
        weights = [float(w) for w in spec["weights"]]
        total = math.fsum(weights)
        acc = 0.0
        x = values[-1]
        for v, w in zip(values, weights):
            acc += w / total
            if u < acc:
                x = v
                break
    else:
        raise SetupError(f"unknown distribution {k!r}")
    if "clamp" in spec:
        lo, hi = (float(v) for v in spec["clamp"])
        x = min(max(x, lo), hi)
    return x


def central(spec):
    """docs/MODEL_NOTES.md: the mode for triangular and PERT, the mean for
    uniform, normal and beta, the median for lognormal, the heaviest value for
    discrete (used only by the `dist_central` misreading)."""
    k = spec["dist"]
    if k in ("triangular", "pert"):
        x = float(spec["mode"])
    elif k == "uniform":
        x = (float(spec["min"]) + float(spec["max"])) / 2
    elif k == "normal":
        x = float(spec["mean"])
    elif k == "lognormal":
        x = float(spec["median"])
    elif k == "beta":
        lo, hi = float(spec.get("min", 0.0)), float(spec.get("max", 1.0))
        x = lo + (hi - lo) * float(spec["alpha"]) / (float(spec["alpha"]) + float(spec["beta"]))
    else:
        vals, ws = spec["values"], spec["weights"]
        x = float(vals[max(range(len(ws)), key=lambda i: ws[i])])
    if "clamp" in spec:
        lo, hi = (float(v) for v in spec["clamp"])
        x = min(max(x, lo), hi)
    return x


def is_dist(x):
    return isinstance(x, dict) and "dist" in x


def round_months(x, misread):
    if "months_floor" in misread:
        return float(math.floor(x))
    return float(math.floor(x + 0.5))  # halves away from zero (months are >= 0)


def cholesky(m, names):
    n = len(m)
    L = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = m[i][j] - math.fsum(L[i][k] * L[j][k] for k in range(j))
            if i == j:
                if s <= 0:
                    raise SetupError(f"correlation matrix of {names} is not positive definite")
                L[i][i] = math.sqrt(s)
            else:
                L[i][j] = s / L[j][j]
    return L


# ---------------------------------------------------------------- the model of one scenario

class Model:
    """A scenario's TOML with its uncertain numbers located, ready to sample."""

    def __init__(self, path, misread):
        self.path = path
        self.misread = set(misread)
        with open(path, "rb") as f:
            self.scen = tomllib.load(f)
        meta = self.scen["scenario"]
        wname = meta["world"]
        if wname == "default":
            raise SetupError("the embedded default world is not supported; use a world file")
        with open(os.path.join(os.path.dirname(os.path.abspath(path)), wname), "rb") as f:
            self.world = tomllib.load(f)
        self.horizon = int(meta["horizon_months"])
        # explicit ids (the default: kind and 1-based position)
        for i, s in enumerate(self.scen.get("shock", [])):
            s.setdefault("id", f"{s['kind']}.{i + 1}")
        # every sampled parameter: (path, container, key, spec)
        self.params = []
        self._walk_world(self.world, [])
        for s in self.scen.get("shock", []):
            for key, v in s.items():
                if is_dist(v) and key not in PER_EVENT_KEYS:
                    self.params.append((f"shock.{s['id']}.{key}", s, key, v))
        names = [p[0] for p in self.params]
        corr = self.scen.get("correlation", [])
        self.corr_names = []
        for c in corr:
            for n in c["between"]:
                if n not in names:
                    raise SetupError(f"correlation names {n}, which is not sampled")
                if n not in self.corr_names:
                    self.corr_names.append(n)
        self.chol = None
        if corr and "no_correlation" not in self.misread:
            k = len(self.corr_names)
            m = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
            for c in corr:
                a, b = (self.corr_names.index(n) for n in c["between"])
                r = 2 * math.sin(math.pi * float(c["rho"]) / 6)
                m[a][b] = m[b][a] = r
            self.chol = cholesky(m, self.corr_names)

    def gap_pairs(self):
        """(exporter, product) -> {"dests", "months"}, as structure_check's
        restricted_pairs gives them, for every ban, licence or quota of the
        scenario file (a tariff alone makes no pair), whether or not it happens
        in a trial (READING: a trial without the shock still measures the gap,
        1 in a single pool): the engine lists its pairs for the whole run. A
        restriction whose fixed start lies beyond the horizon, or whose fixed
        duration is 0, is never in force and names none. `months` is the whole
        horizon (the window varies by trial; only structure_check's
        gap-window misreading reads it)."""
        countries = list(self.world["countries"])
        pairs = {}
        for s in self.scen.get("shock", []):
            if s["kind"] != "export_restriction" or s.get("mode") == "tariff":
                continue
            start, dur = s.get("start_month", 0), s.get("duration_months")
            if not is_dist(start) and round_months(float(start), ()) >= self.horizon:
                continue
            if dur is not None and not is_dist(dur) and round_months(float(dur), ()) <= 0:
                continue
            e = s["from"]
            to = s.get("to", "all")
            to = countries if isinstance(to, str) and to.lower() == "all" else reference.as_list(to)
            exc = reference.as_list(s.get("except", []))
            dests = {i for i in to if i not in exc and i != e}
            for p in reference.as_list(s["products"]):
                d = pairs.setdefault((e, p), dict(dests=set(), months=set(range(self.horizon))))
                d["dests"].update(dests)
        return pairs

    def continuous(self):
        """The sampled parameters without ties (not month counts, not discrete)."""
        return [name for name, _, key, spec in self.params
                if key not in MONTH_KEYS and spec["dist"] != "discrete"]

    def _walk_world(self, d, path):
        for key, v in d.items():
            if key in ("note", "source", "name", "description"):
                continue
            if is_dist(v):
                self.params.append((".".join(path + [key]), d, key, v))
            elif isinstance(v, dict):
                self._walk_world(v, path + [key])

    def sample(self, rng):
        """One trial's values of every sampled parameter: {path: value}."""
        u = {name: min(max(rng.random(), 1e-300), 1 - 1e-16) for name, _, _, _ in self.params}
        if self.chol is not None:
            z = [NORMAL.inv_cdf(u[n]) for n in self.corr_names]
            for i, n in enumerate(self.corr_names):
                zi = math.fsum(self.chol[i][k] * z[k] for k in range(i + 1))
                u[n] = NORMAL.cdf(zi)
        values = {}
        for name, _, key, spec in self.params:
            x = central(spec) if "dist_central" in self.misread else ppf(spec, min(max(u[name], 1e-300), 1 - 1e-16))
            if key in MONTH_KEYS:
                x = round_months(x, self.misread)
            values[name] = x
        return values

    def trial(self, rng):
        """(world dict, scenario dict, random outage events, noise) of one trial."""
        values = self.sample(rng)
        # substitute the draws into copies of the TOML
        world = copy.deepcopy(self.world)
        scen = copy.deepcopy(self.scen)
        for name, _, key, _ in self.params:
            parts = name.split(".")
            if parts[0] == "shock":
                sid = parts[1]
                sh = next(s for s in scen["shock"] if s["id"] == sid)
                sh[key] = values[name]
            else:
                d = world
                for p in parts[:-1]:
                    d = d[p]
                d[parts[-1]] = values[name]
        # which shocks happen: one uniform per shock, or per group
        group_u = {}
        kept = []
        for s in scen.get("shock", []):
            p = float(s.get("probability", 1.0))
            g = s.get("group")
            if g is not None and "group_independent" not in self.misread:
                if g not in group_u:
                    group_u[g] = rng.random()
                uu = group_u[g]
            else:
                uu = rng.random()
            happens = uu < p or "ignore_probability" in self.misread
            s.pop("probability", None)
            s.pop("group", None)
            if "ramp_ignored" in self.misread:
                s.pop("ramp_months", None)
            if happens:
                kept.append(s)
        scen["shock"] = kept
        # random outages of the shocks that happen
        runs = {}
        for s in kept:
            if s["kind"] != "outage" or "rate_per_year" not in s:
                continue
            runs[s["id"]] = self.outage_events(s, rng)
        # demand noise: one z per product and month (shared by all countries)
        products = list(world["products"])
        countries = list(world["countries"])
        if "noise_per_country" in self.misread:
            z = {(t, c, p): rng.gauss(0.0, 1.0)
                 for t in range(self.horizon) for c in countries for p in products}
            noise = z
        else:
            z = {(t, p): rng.gauss(0.0, 1.0) for t in range(self.horizon) for p in products}
            noise = {(t, c, p): z[(t, p)] for t in range(self.horizon) for c in countries for p in products}
        if "noise_off" in self.misread:
            noise = None
        return world, scen, runs, noise, values

    def outage_events(self, s, rng):
        """{month: running events} of one random-outage shock in one trial."""
        start = int(round_months(float(s.get("start_month", 0)), self.misread))
        dur = s.get("duration_months")
        end = self.horizon if dur is None else min(self.horizon, start + int(dur))
        rate = float(s["rate_per_year"])
        if "outage_rate_per_month" in self.misread:
            p = 1 - math.exp(-rate)
        elif "outage_rate_linear" in self.misread:
            p = rate / 12
        else:
            p = 1 - math.exp(-rate / 12)
        spec = s["outage_months"]
        running = {}
        busy_until = start  # first month without a running event
        for t in range(start, end):
            if t < busy_until and "outage_overlap" not in self.misread:
                continue
            if rng.random() >= p:
                continue
            if is_dist(spec):
                x = central(spec) if "dist_central" in self.misread else ppf(spec, rng.random())
            else:
                x = float(spec)
            if "outage_len_ceil" in self.misread:
                length = math.ceil(x - 1e-12)
            elif "outage_len_floor" in self.misread:
                length = math.floor(x)
            else:
                length = int(round_months(x, self.misread))
            last = t + length
            if "outage_past_window" not in self.misread:
                last = min(last, end)  # READING: the shock acts only in its window
            for m in range(t, min(last, self.horizon)):
                running[m] = running.get(m, 0) + 1
            busy_until = max(busy_until, t + length)
        return running


def z_score(eng, ref, se, scale):
    """(engine - reference) / se; 0 where the two agree to 1e-9 of the
    figure's scale (both exact), infinite where se is 0 and they differ."""
    diff = eng - ref
    if abs(diff) <= 1e-9 * max(1.0, abs(scale), abs(eng), abs(ref)):
        return 0.0
    if se == 0:
        return math.copysign(math.inf, diff)
    return diff / se


# ---------------------------------------------------------------- one reference trial

def summarise(rows, pairs, zero):
    """Per pair: the per-trial figures MODEL.md section 6 reports. zero[P]:
    monthly tonnes of P below it are rounding noise of the routing and count
    as 0 ("amounts below 1e-12 of the product's world output count as zero";
    the reference's month logic leaves about 1e-13 t of noise in the split)."""
    out = {}
    clean = lambda x, p: 0.0 if abs(x) <= zero[p] else x  # noqa: E731
    for pair in pairs:
        rs = [row[pair] for _, row in rows]
        demand = [r["demand_t"] for r in rs]
        served = [r["served_t"] for r in rs]
        unserved = [clean(r["unserved_t"], pair[1]) for r in rs]
        short = [u > SHORT * d for u, d in zip(unserved, demand)]
        ok = [(s / d >= RECOVERED) if d > 0 else True for s, d in zip(served, demand)]
        first, recovery = recovery_months(short, ok)
        U, D = math.fsum(unserved), math.fsum(demand)
        N, S = math.fsum(r["normal_demand_t"] for r in rs), math.fsum(served)
        out[pair] = {
            "U": U, "D": D, "N": N, "S": S,
            "share": U / D if D != 0 else 0.0,
            "loss": N - S,
            "loss_share": (N - S) / N if N != 0 else 0.0,
            "short": first is not None,
            "months_short": sum(short),
            "worst": max(unserved),
            "idle": math.fsum(clean(r.get("idle_t", 0.0), pair[1]) for r in rs),
            "recovery": recovery,
            "prices": [r["price_multiple"] for r in rs],
        }
        out[pair]["peak"] = max(out[pair]["prices"])
    return out


def structure(sim, gap_pairs):
    """The trial's concentration and split-market gaps, recomputed from the
    simulation's state by structure_check.py (imported, not copied):
    conc[(kind, name)][when] = (shares {country: share}, HHI) for "first"
    (month 0) and "last" (month horizon - 1), stages and processes by
    throughput, products by output; gaps[(exporter, product)] = the peak over
    the horizon of the customers' import-weighted paid price over the
    exporter's, weights the unrestricted month-0 asks, or None without
    month-0 customers (structure_check.py's READINGs)."""
    conc, made = structure_check.concentration(sim)
    gaps = {key: v[0] for key, v in structure_check.split_gaps(sim, gap_pairs).items()}
    return conc, made, gaps


def run_trials(path, seed, trials, misread):
    """Reference trials `trials` of one scenario (a worker's chunk)."""
    model = Model(path, misread)
    pairs = [(r["country"], r["product"]) for r in model.scen["scenario"]["report"]]
    gap_pairs = model.gap_pairs()
    # structure_check's misreadings are a module-wide set (this worker's copy)
    structure_check.MIS.clear()
    structure_check.MIS.update(STRUCTURE_MISREADINGS[m] for m in misread if m in STRUCTURE_MISREADINGS)
    results = []
    for k in trials:
        rng = random.Random(f"mc_check/{seed}/{k}")
        world, scen, runs, noise, values = model.trial(rng)
        sc = reference.Scenario(path, scen, world)
        # reference.Sim with hooks that record throughput, shipments, month-0
        # asks and paid prices (structure_check.py); the month logic is Sim's
        sim = structure_check.RecordingSim(sc)
        if noise is not None:
            sim.noise_z = lambda t, c, p, noise=noise: noise[(t, c, p)]
        else:
            sim.noise_z = None
        sim.outage_runs = runs
        if "noise_no_drift" in misread:
            sim.NOISE_DRIFT = 0.0
        rows = sim.run()
        zero = {p: ZERO * sc.world.world_output(p) for p in sc.world.products}
        summary = summarise(rows, pairs, zero)
        summary["params"] = {name: values[name] for name in model.continuous()}
        summary["conc"], summary["made"], summary["gaps"] = structure(sim, gap_pairs)
        results.append((k, summary))
    return results


# ---------------------------------------------------------------- statistics

def mean(xs):
    return math.fsum(xs) / len(xs)


def sd(xs):
    if len(xs) < 2:
        return 0.0
    m = mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def tail_var(xs, tail):
    """var(q + (x - q)+ / tail) over the sample, q its boundary trial's value
    (the worst floor(tail n) trials lie at or above it): n times the
    variance of the tail mean (cvar_z)."""
    desc = sorted(xs, reverse=True)
    q = desc[min(math.floor(tail * len(xs)), len(xs) - 1)]
    return sd([max(0.0, x - q) / tail for x in xs]) ** 2


class Figures:
    def __init__(self, name, misread=()):
        self.name = name
        self.misread = set(misread)
        self.rows = []  # (where, figure, engine, ref, z, ok, note)

    def add(self, where, figure, eng, ref, z, note="", rare=False):
        ok = rare or (z is not None and abs(z) <= Z_MAX)
        self.rows.append((where, figure, eng, ref, z, ok, note))

    def rare(self, where, figure, eng, ref, xs):
        """A figure that is off its most common value (0, mostly) in fewer than
        RARE reference trials: a rare event, whose mean is far from normal at
        these counts and whose SD the reference cannot estimate (often 0).
        Not z-tested (the event's frequency is, by the shortfall probability)."""
        counts = {}
        for x in xs:
            counts[x] = counts.get(x, 0) + 1
        off = len(xs) - max(counts.values())
        if off >= RARE:
            return False
        diff = abs(eng - ref) if eng is not None else math.inf
        if diff <= 1e-9 * max(1.0, abs(eng), abs(ref)):
            return False  # agrees: an ordinary z = 0 line
        self.add(where, figure, eng, ref, None,
                 f"(rare: {off} reference trials off the mode; not z-tested)", rare=True)
        return True

    def mean_z(self, where, figure, eng, xs, n_e, se_e=None, scale=1.0):
        """A mean: |diff| / sqrt(se_e^2 + se_r^2), se_e from the engine's report
        when given, else the reference's sample SD for both."""
        if eng is None:
            self.add(where, figure, eng, None, None, "(not in the report)")
            return
        ref = mean(xs)
        if se_e is None and self.rare(where, figure, eng, ref, xs):
            return
        s = sd(xs)
        se_r = s / math.sqrt(len(xs))
        se_e2 = se_e ** 2 if se_e is not None else s * s / n_e
        se = math.sqrt(se_e2 + se_r ** 2)
        self.add(where, figure, eng, ref, z_score(eng, ref, se, scale))

    def sd_z(self, where, figure, sd_e, xs, n_e):
        """A standard deviation: the engine's (its standard error times sqrt(n))
        against the reference's, var(s) ~ (m4 - s^4) / (4 s^2 n) on both sides
        from the reference's moments."""
        s = sd(xs)
        if self.rare(where, figure, sd_e, s, xs):
            return
        n_r = len(xs)
        m = mean(xs)
        m4 = mean([(x - m) ** 4 for x in xs])
        diff = sd_e - s
        if abs(diff) <= 1e-9 * max(1.0, s, sd_e):
            z = 0.0
        elif s == 0:
            z = math.inf
        else:
            v = max(m4 - s ** 4, 0.0) / (4 * s * s)
            se = math.sqrt(v / n_r + v / n_e)
            z = diff / se if se > 0 else math.inf
        self.add(where, figure, sd_e, s, z)

    def prop_z(self, where, figure, p_e, n_e, hits_r, n_r):
        """Two proportions, pooled: z = (p_e - p_r) / sqrt(p(1-p)(1/n_e + 1/n_r))."""
        if p_e is None:
            self.add(where, figure, p_e, None, None, "(not in the report)")
            return
        p_r = hits_r / n_r
        pool = (p_e * n_e + hits_r) / (n_e + n_r)
        se = math.sqrt(pool * (1 - pool) * (1 / n_e + 1 / n_r))
        diff = p_e - p_r
        z = 0.0 if abs(diff) < 1e-12 else (diff / se if se > 0 else math.inf)
        self.add(where, figure, p_e, p_r, z)

    def quantile_z(self, where, figure, q_e, xs, p, n_e, slack, abs_slack=0.0, note=""):
        """A quantile, distribution-free: the reference's empirical CDF at the
        engine's quantile (widened by `slack`, relative: the engine's 1% bins,
        and by `abs_slack`: 0.001 for shares from 1,000 bins, a point of HHI)
        against p, in standard errors sqrt(p(1-p)(1/n_e + 1/n_r)). Atoms count
        on both sides: F(q-) <= p <= F(q) passes. q_e and xs may be +inf (a
        recovery that never comes: longer than any)."""
        if q_e is None:
            self.add(where, figure, q_e, None, None, "(not in the report)")
            return
        n_r = len(xs)
        xs = sorted(xs)
        if math.isinf(q_e):
            hi_q = lo_q = q_e
        else:
            pad = abs(q_e) * slack + abs_slack + 1e-12 * max(1.0, abs(q_e))
            hi_q, lo_q = q_e + pad, q_e - pad
        below = sum(1 for x in xs if x < lo_q) / n_r      # F(q-)
        upto = sum(1 for x in xs if x <= hi_q) / n_r      # F(q)
        se = math.sqrt(p * (1 - p) * (1 / n_e + 1 / n_r))
        if upto < p:
            z = (upto - p) / se
        elif below > p:
            z = (below - p) / se
        else:
            z = 0.0
        if max(p, 1 - p) / se <= Z_MAX:
            # even an empirical CDF of 0 or 1 at q_e would pass: no power
            note = (note + " " if note else "") + f"(cannot fail at n = {n_e}, {n_r})"
        # the reference's own quantile (type 7), for the line
        ref = quantile7(xs, p)
        # z > 0: the engine's quantile lies above the reference's
        self.add(where, figure, q_e, ref, z, note)

    def cvar_z(self, where, figure, eng, xs, n_e, tail, scale, eng_xs=None):
        """The mean of the worst `tail` share of trials (MODEL_NOTES
        "Estimators": exactly, the boundary trial weighted by its fraction;
        report_check.py's estimator), z-tested with each side's standard
        error of the tail mean from its own sample: with q the boundary
        trial's value, the estimator is exactly the sample mean of
        y = q + (x - q)+ / tail, so its variance is about var(y) / n (the
        influence function of the tail mean; the error of q itself cancels
        to first order). se^2 = var(y_e) / n_e + var(y_r) / n_r, the engine's
        from its trials (`eng_xs`, read from its partial file) at 5%; without
        them, the reference's var(y) stands for both sides."""
        if eng is None:
            self.add(where, figure, eng, None, None, "(not in the report)")
            return
        ref = quantile7(sorted(xs), 1 - tail) if "cvar_var95" in self.misread else cvar(xs, tail)
        if self.rare(where, figure, eng, ref, xs):
            return
        v_r = tail_var(xs, tail)
        v_e = tail_var(eng_xs, CVAR_TAIL) if eng_xs else v_r
        se = math.sqrt(v_e / n_e + v_r / len(xs))
        self.add(where, figure, eng, ref, z_score(eng, ref, se, scale))


def compare_sensitivity(fig, report, trials, pairs, n_e):
    """Spearman rank correlation of each continuous sampled parameter with the
    focus outcome; SE (1 - r^2) sqrt((1 + r^2/2)/(n - 3)) (Bonett and Wright
    2000) on each side, from the reference's r."""
    focus = report.get("manifest", {}).get("focus") or {}
    pair = (focus.get("country"), focus.get("product"))
    outcome = focus.get("outcome")
    if pair not in pairs or outcome not in ("shortfall", "peak_price"):
        return f"focus {pair} {outcome}: not a reported pair's shortfall or peak price, not checked"
    y = [t[pair]["U"] if outcome == "shortfall" else t[pair]["peak"] for t in trials]
    names = set(trials[0]["params"]) if trials else set()
    n_r = len(trials)
    checked = 0
    for s in report.get("sensitivity", []):
        name, r_e = s.get("parameter"), s.get("spearman")
        if name not in names:
            continue
        x = [t["params"][name] for t in trials]
        r_r = spearman(x, y) if len(set(y)) > 1 else 0.0
        se1 = (1 - r_r ** 2) * math.sqrt(1 + r_r ** 2 / 2)
        se = se1 * math.sqrt(1 / (n_e - 3) + 1 / (n_r - 3))
        diff = r_e - r_r
        z = 0.0 if abs(diff) < 1e-12 else (diff / se if se > 0 else math.inf)
        fig.add(f"focus {pair[0]} {pair[1]}", f"sensitivity {name}", r_e, r_r, z)
        checked += 1
    missing = names - {s.get("parameter") for s in report.get("sensitivity", [])}
    for name in sorted(missing):
        fig.add(f"focus {pair[0]} {pair[1]}", f"sensitivity {name}", None, None, None,
                "(sampled, not in the report's sensitivity)")
    return f"sensitivity: {checked} continuous parameters against the {outcome} of {pair[0]} {pair[1]}"


def compare_pair(fig, where, res, trials, n_e, horizon, misread=(), eng_u=None):
    sf, pr = res["shortfall"], res["price"]
    n_r = len(trials)
    U = [t["U"] for t in trials]
    scale = mean([t["N"] for t in trials]) or 1.0
    fig.prop_z(where, "shortfall.probability", sf.get("probability"), n_e,
               sum(1 for t in trials if t["short"]), n_r)
    fig.mean_z(where, "shortfall.mean_tonnes", sf.get("mean_tonnes"), U, n_e,
               se_e=sf.get("stderr_tonnes"), scale=scale)
    if sf.get("stderr_tonnes") is not None:
        fig.sd_z(where, "shortfall.sd_tonnes (stderr x sqrt n)",
                 sf["stderr_tonnes"] * math.sqrt(n_e), U, n_e)
    for key, p in (("p5_tonnes", 0.05), ("p50_tonnes", 0.5), ("p95_tonnes", 0.95)):
        fig.quantile_z(where, f"shortfall.{key}", sf.get(key), U, p, n_e, 1e-9)
    for key, tk in (("mean_share_of_demand", "share"), ("mean_loss_tonnes", "loss"),
                    ("mean_loss_share", "loss_share"), ("mean_normal_demand_tonnes", "N"),
                    ("mean_served_tonnes", "S"), ("months_short_mean", "months_short"),
                    ("worst_month_mean_tonnes", "worst"), ("idle_input_mean_tonnes", "idle")):
        sc = scale if "tonnes" in key else 1.0
        fig.mean_z(where, f"shortfall.{key}", sf.get(key), [t[tk] for t in trials], n_e, scale=sc)
    tail = 0.10 if "cvar_worst10" in misread else CVAR_TAIL
    fig.cvar_z(where, "shortfall.cvar95_tonnes", sf.get("cvar95_tonnes"), U, n_e, tail, scale, eng_u)
    short_r = [t for t in trials if t["short"]]
    n_short_e = sf.get("short_trials") or 0
    if short_r and n_short_e:
        cens = sum(1 for t in short_r if math.isinf(t["recovery"]))
        fig.prop_z(where, "shortfall.recovery_censored_share", sf.get("recovery_censored_share"),
                   n_short_e, cens, len(short_r))
        # The median over the short trials, a censored one longer than any
        # recovery (+inf); null = half or more censored = an infinite median,
        # which the same test reads (F(inf-) = the recovered share <= 1/2).
        rec = [t["recovery"] for t in short_r]
        if "recovery_recovered_only" in misread:
            rec = [x for x in rec if not math.isinf(x)] or [math.inf]
        q_e = sf.get("recovery_median_months", "absent")
        if q_e == "absent":
            fig.add(where, "shortfall.recovery_median_months", None, None, None, "(not in the report)")
        else:
            note = "(null on both sides)" if q_e is None and math.isinf(quantile7(sorted(rec), 0.5)) else ""
            fig.quantile_z(where, "shortfall.recovery_median_months",
                           math.inf if q_e is None else q_e, rec, 0.5, n_short_e, 0.0, note=note)
    peaks = [t["peak"] for t in trials]
    choke = pr.get("choke_multiple")
    fig.prop_z(where, "price.choke_share", pr.get("choke_share"), n_e,
               sum(1 for x in peaks if choke is not None and x >= choke * (1 - 1e-12)), n_r)
    pm = pr.get("peak_multiple", {})
    for key, p in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
        fig.quantile_z(where, f"price.peak_multiple.{key}", pm.get(key), peaks, p, n_e, HIST)
    fan = {f.get("month"): f for f in pr.get("fan", [])}
    for m in sorted({horizon // 4, horizon // 2, (3 * horizon) // 4, horizon - 1}):
        if m not in fan:
            fig.add(where, f"price.fan[{m}]", None, None, None, "(month not in the fan)")
            continue
        xs = [t["prices"][m] for t in trials]
        for key, p in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
            fig.quantile_z(where, f"price.fan[{m}].{key}", fan[m].get(key), xs, p, n_e, HIST)


def compare_structure(fig, report, trials, n_e, misread=()):
    """Concentration and split-market gaps (MODEL.md section 6; MODEL_NOTES
    "Concentration", "Split-market gap") against each reference trial's,
    recomputed from its state by structure_check.py. Each median share (a
    country the report leaves out counts 0) and the median HHI: the
    distribution-free quantile test, widened by 0.001 (1,000 bins on 0..1)
    and by a point of HHI. Each gap quantile: the same, widened by the 1% log
    bins, over the trials that measured a gap (READING: the report does not
    say how many of its trials measured one; the test takes the reference's
    share of n_e). A gap null in the report and measured by the reference is
    tested as the share of trials that measured one; the reverse fails."""
    n_r = len(trials)
    first = trials[0]
    countries = sorted({c for figs in first["conc"].values() for c in figs["first"][0]})
    # concentration
    rows = {(r["kind"], r["name"]): r for r in report.get("concentration", [])}
    for key in rows:
        if key not in first["conc"]:
            fig.add(f"{key[0]} {key[1]}", "concentration row", None, None, math.inf,
                    "(a row for no stage, process or product of the reference's)")
    for key in first["conc"]:
        where = f"{key[0]} {key[1]}"
        row = rows.get(key)
        if row is None:
            if not (key[0] == "product" and key[1] not in first["made"]):
                fig.add(where, "concentration row", None, None, math.inf, "(no row in the report)")
            continue
        for when in ("first", "last"):
            got = row.get(when) or {}
            listed = {s["country"]: s["share"] for s in got.get("shares", [])}
            for c in listed:
                if c not in countries:
                    fig.add(where, f"concentration.{when}.share {c}", listed[c], None, math.inf,
                            "(not a country of the world)")
            shares = {c: [t["conc"][key][when][0][c] for t in trials] for c in countries}
            hhis = [t["conc"][key][when][1] for t in trials]
            if "hhi_of_median_shares" in misread:
                med = [quantile7(sorted(shares[c]), 0.5) for c in countries]
                hhis = [math.fsum((100 * x) ** 2 for x in med)] * n_r
            fig.quantile_z(where, f"concentration.{when}.hhi", got.get("hhi"), hhis, 0.5, n_e,
                           0.0, abs_slack=HHI_BIN)
            for c in countries:
                fig.quantile_z(where, f"concentration.{when}.share {c}", listed.get(c, 0.0),
                               shares[c], 0.5, n_e, 0.0, abs_slack=SHARE_BIN)
    # split-market gaps
    got = {(g["exporter"], g["product"]): g.get("peak_gap") for g in report.get("split_market", [])}
    for key in got:
        if key not in first["gaps"]:
            fig.add(f"{key[0]} {key[1]}", "split_market pair", None, None, math.inf,
                    "(no ban, licence or quota names it)")
    for key in first["gaps"]:
        where = f"{key[0]} {key[1]} gap"
        if key not in got:
            fig.add(where, "split_market pair", None, None, math.inf, "(no split_market entry)")
            continue
        xs = [t["gaps"][key] for t in trials if t["gaps"][key] is not None]
        q = got[key]
        if q is None and not xs:
            fig.add(where, "split_market.peak_gap", None, None, 0.0, "(null on both sides: no customers)")
            continue
        if q is None:
            # the engine never measured a gap, the reference did: the share of trials that did
            fig.prop_z(where, "split_market.measured_share", 0.0, n_e, len(xs), n_r)
            continue
        if not xs:
            # the reverse: how many engine trials measured one is not reported
            fig.add(where, "split_market.peak_gap", q.get("p50"), None, math.inf,
                    "(the reference never measured one)")
            continue
        n_e_eff = max(1, round(n_e * len(xs) / n_r))
        note = "" if len(xs) == n_r else f"({len(xs)} of {n_r} reference trials measured one)"
        for stat, p in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
            fig.quantile_z(where, f"split_market.peak_gap.{stat}", q.get(stat), xs, p, n_e_eff,
                           HIST, note=note)


# ---------------------------------------------------------------- main

def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.4e}"
    return f"{x:.5g}"


def start_engine(engine, scenario, trials, seed, tmp, k):
    """`ENGINE run SCENARIO --trials N --seed S --quiet --partial P`, in the
    background; finish_engine turns P into the JSON report with `ENGINE
    merge P --json` (byte for byte the single run's, README.md "Sharded
    runs") and reads from P the engine's own sample of cumulative unserved
    tonnes (for the CVaR's standard error)."""
    path = os.path.join(tmp, f"engine{k}.partial")
    cmd = [engine, "run", scenario, "--trials", str(trials), "--seed", str(seed),
           "--quiet", "--partial", path]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return cmd, proc, path


def finish_engine(engine, cmd, proc, partial):
    """The engine's report, and its per-trial cumulative unserved tonnes per
    reported pair (None when the partial could not be read)."""
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    jpath = partial + ".json"
    merge = [engine, "merge", partial, "--quiet", "--json", jpath]
    done = subprocess.run(merge, capture_output=True, text=True)
    if done.returncode != 0:
        raise SetupError(f"{' '.join(merge)} failed ({done.returncode}):\n{done.stderr}")
    with open(jpath) as f:
        report = json.load(f)
    return report, engine_samples(partial, report)


def engine_samples(partial, report):
    """Each reported pair's cumulative unserved tonnes, trial by trial, from
    the engine's partial file (README.md: it "holds its trials' shortfall per
    reported pair", every float as its IEEE 754 bits in hex): the lines
    `unserved N HEX...`, one per reported pair in report order. The layout is
    the engine's own (src/report/partial.rs, not read here), so it is
    trusted only if every sample gives back the report's mean and CVaR95 of
    its pair (1e-9 relative); otherwise None, and the CVaR's standard error
    comes from the reference's sample alone."""
    try:
        samples = []
        with open(partial) as f:
            for line in f:
                if line.startswith("unserved "):
                    parts = line.split()
                    n = int(parts[1])
                    xs = [struct.unpack("<d", struct.pack("<Q", int(h, 16)))[0] for h in parts[2:2 + n]]
                    if len(xs) != n:
                        return None
                    samples.append(xs)
        results = report["results"]
        if len(samples) != len(results):
            return None
        out = {}
        for res, xs in zip(results, samples):
            sf = res["shortfall"]
            for got, want in ((mean(xs), sf["mean_tonnes"]), (cvar(xs, CVAR_TAIL), sf["cvar95_tonnes"])):
                if abs(got - want) > 1e-9 * max(1.0, abs(want)):
                    return None
            out[(res["country"], res["product"])] = xs
        return out
    except (ValueError, KeyError, TypeError, ZeroDivisionError, struct.error):
        return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("engine")
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--trials", type=int, help="engine trials (default: the scenario's)")
    ap.add_argument("--ref-trials", type=int, help="reference trials (default: as the engine)")
    ap.add_argument("--seed", type=int, help="seed of both sides (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--misread", action="append", default=[], choices=sorted(MISREADINGS),
                    help="switch on a deliberate misreading on the reference's side")
    ap.add_argument("--quiet-ok", action="store_true", help="print only the figures that disagree")
    args = ap.parse_args(argv)
    started = time.monotonic()
    for m in args.misread:
        print(f"MISREADING on the reference's side: {m}: {MISREADINGS[m]}")

    plans = []
    with tempfile.TemporaryDirectory(prefix="mc_check") as tmp:
        for k, path in enumerate(args.scenarios):
            with open(path, "rb") as f:
                meta = tomllib.load(f)["scenario"]
            n_e = args.trials if args.trials is not None else int(meta["trials"])
            seed = args.seed if args.seed is not None else int(meta["seed"])
            n_r = args.ref_trials if args.ref_trials is not None else n_e
            plans.append((path, n_e, n_r, seed, start_engine(args.engine, path, n_e, seed, tmp, k)))

        # the reference's trials, in chunks over the workers
        ref = {}
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.workers) as pool:
            futs = {}
            for path, n_e, n_r, seed, _ in plans:
                chunk = max(1, math.ceil(n_r / (4 * args.workers)))
                for lo in range(0, n_r, chunk):
                    f = pool.submit(run_trials, path, seed, list(range(lo, min(n_r, lo + chunk))),
                                    tuple(args.misread))
                    futs[f] = path
            for f in concurrent.futures.as_completed(futs):
                ref.setdefault(futs[f], []).extend(f.result())
        ref_time = time.monotonic() - started

        reports, samples = {}, {}
        for path, n_e, n_r, seed, (cmd, proc, ppath) in plans:
            reports[path], samples[path] = finish_engine(args.engine, cmd, proc, ppath)

    total = bad = rare = 0
    worst = (0.0, "")
    for path, n_e, n_r, seed, _ in plans:
        report = reports[path]
        n_run = report.get("manifest", {}).get("trials_run", n_e)
        if n_run != n_e:
            raise SetupError(f"{path}: the engine ran {n_run} trials, not {n_e}")
        horizon = report["scenario"]["horizon_months"]
        trials = [r for _, r in sorted(ref[path], key=lambda kr: kr[0])]
        name = os.path.basename(path)
        print(f"== {name}: engine {n_e} trials, reference {n_r} trials, seed {seed}, {horizon} months")
        fig = Figures(name, args.misread)
        pairs = []
        for res in report["results"]:
            pair = (res["country"], res["product"])
            pairs.append(pair)
            eng_u = samples[path][pair] if samples[path] is not None else None
            compare_pair(fig, f"{pair[0]} {pair[1]}", res, [t[pair] for t in trials], n_e, horizon,
                         args.misread, eng_u)
        compare_structure(fig, report, trials, n_e, args.misread)
        sens_note = compare_sensitivity(fig, report, trials, pairs, n_e)
        for where, figure, eng, refv, z, ok, note in fig.rows:
            total += 1
            if not ok:
                bad += 1
            if z is None and ok:
                rare += 1
            if z is not None and abs(z) > worst[0]:
                worst = (abs(z), f"{name} {where} {figure}")
            if ok and args.quiet_ok:
                continue
            zs = "-" if z is None else f"{z:+.2f}"
            print(f"  {'ok  ' if ok else 'FAIL'} {where:<18} {figure:<40} engine {fmt(eng):>11}"
                  f"  ref {fmt(refv):>11}  z {zs:>6} {note}")
        print(f"  note: {sens_note}")
        if samples[path] is None:
            print("  note: the engine's partial file gave no per-trial sample that matches its report; "
                  "CVaR standard errors from the reference's trials alone")
    elapsed = time.monotonic() - started
    if rare:
        print(f"({rare} figures of rare events not z-tested)")
    if bad:
        print(f"mc_check: {bad} of {total} figures DISAGREE beyond {Z_MAX:g} standard errors "
              f"(largest |z| {worst[0]:.2f}: {worst[1]}; reference {ref_time:.1f} s, total {elapsed:.1f} s)")
        return 1
    print(f"mc_check: all {total} figures agree within {Z_MAX:g} standard errors "
          f"(largest |z| {worst[0]:.2f}: {worst[1]}; reference {ref_time:.1f} s, total {elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (SetupError, structure_check.SetupError, OSError, KeyError, ValueError) as e:
        print(f"mc_check: cannot check: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
