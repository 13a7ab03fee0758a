#!/usr/bin/env python3
"""Recompute a run's reported statistics from its trials' month rows.

Usage: report_check.py SHORTFALL_BINARY SCENARIO.toml [--trials N]
                       [--json-in PATH] [--no-sensitivity] [--workers 2]

--json-in PATH checks a given report (e.g. a deliberately corrupted copy)
instead of running the scenario; the trials are still replayed.

Runs `SHORTFALL run SCENARIO --trials N --json ... --quiet` (or reads the
report given by --json-in instead), replays every trial of it with
`SHORTFALL replay SCENARIO --trial K --csv ...` (two at a time), and
recomputes, with the standard library alone, every figure MODEL.md section 6
and docs/MODEL_NOTES.md ("6. Reports") define for every reported (country,
product) pair:

- shortfall: probability (share of trials with a short month: unserved above
  1% of that month's final demand), mean, p5/p50/p95 (type 7), CVaR95 (worst
  5% exactly, the boundary trial weighted by its fraction) and standard error
  of cumulative unserved tonnes; mean share of demand (per trial U/D, then
  averaged); the loss (normal demand - served, unclipped) in tonnes and as a
  share; mean normal demand and served; months short and the worst month
  (each trial's largest monthly unserved, short or not, averaged over all
  trials); recovery (short, recovered and censored trials,
  censored share, median with censored trials counted as +infinity, null when
  that median is infinite or nothing was short);
- price: the choke share (exact), the peak multiple's p5/p50/p95 and the
  monthly fan p5..p95. These come from 1%-wide log histograms in the program,
  so each must lie within 1% of the range between the order statistics the
  type-7 quantile interpolates between, and must be exactly the choke multiple
  when the exact sample quantile is at it (peaks at the choke are point masses);
- sensitivity: Spearman rank correlation (average ranks for ties) of every
  sampled parameter with the focus outcome, from the 4-decimal values `replay`
  prints: exact (1e-9) for parameters whose printed values have no ties;
  otherwise the program's value must lie between the smallest and largest
  correlation any ordering of the tied values gives, or equal the tied-rank
  correlation of the printed values (the value itself may be tied);
- concentration of each product (unless --no-concentration): the trials are
  replayed once more with every country and product reported, and each
  product's output shares in month 0 and the last month are recomputed per
  trial: each country's median share (histograms of 1,000 bins in the
  program: within 0.001, and absent where the median is 0) and the median of
  each trial's HHI (bins of one point: within 1).

Exact figures must agree to 1e-9 relative, with an absolute floor of
1e-9 x max(1, scale) (scale: the pair's mean normal demand for tonnes, 1 for
shares and months). Prints the largest difference per figure, then every
mismatch; exits 1 on any mismatch, 2 if the check could not run.
"""
import argparse
import concurrent.futures
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

from rank_stats import average_ranks, mean, pearson, spearman

REL = 1e-9        # exact figures: relative tolerance
HIST = 0.01       # histogram figures: 1% bins in log price
SHORT = 0.01      # a month is short when unserved > 1% of its final demand
RECOVERED = 0.95  # ... recovered from three months in a row at >= 95% served
RUN = 3
CVAR_TAIL = 0.05
FAN = ("p5", "p25", "p50", "p75", "p95")
PEAK = (("p5", 0.05), ("p50", 0.5), ("p95", 0.95))
FAN_P = {"p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
SHARE_BIN = 0.001  # concentration: median shares from 1,000 bins on 0..1
HHI_BIN = 1.0      # ... median HHI from bins of one point
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SetupError(Exception):
    pass


# ---------------------------------------------------------------- estimators

def quantile7(xs, p):
    """Type 7 (numpy's default linear) quantile of a sorted list; +inf allowed."""
    n = len(xs)
    h = (n - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    frac = h - lo
    a, b = xs[lo], xs[hi]
    if frac == 0 or a == b:
        return a
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return a + frac * (b - a)


def neighbours7(xs, p):
    """The order statistics a type-7 quantile of sorted xs interpolates between."""
    n = len(xs)
    h = (n - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    if h - lo == 0:
        hi = lo
    return xs[lo], xs[hi]


def cvar(xs, tail=CVAR_TAIL):
    """Mean of the worst `tail` share of trials exactly (largest values)."""
    desc = sorted(xs, reverse=True)
    k = tail * len(desc)
    full = math.floor(k)
    frac = k - full
    total = math.fsum(desc[:full])
    if frac > 0 and full < len(desc):
        total += frac * desc[full]
    return total / k


def stderr(xs):
    n = len(xs)
    if n < 2:
        return 0.0
    m = mean(xs)
    var = math.fsum((x - m) ** 2 for x in xs) / (n - 1)
    return math.sqrt(var) / math.sqrt(n)


def spearman_tie_bounds(x, y):
    """Smallest and largest Spearman over every strict order of x's ties.

    The printed parameter values are rounded; where two of them tie, the true
    values may be in either order. Breaking each tie group in the order of y
    (or against it) gives the extremes (rearrangement inequality)."""
    ry = average_ranks(y)
    out = []
    for sign in (-1, 1):
        order = sorted(range(len(x)), key=lambda i: (x[i], sign * ry[i]))
        rx = [0.0] * len(x)
        for r, i in enumerate(order):
            rx[i] = r + 1.0
        out.append(pearson(rx, ry))
    return min(out), max(out)


# ---------------------------------------------------------------- one trial

def num(s):
    return float(s)  # an empty or malformed field is an error, not 0


def recovery_months(short, ok):
    """(first short month, months from it until RUN months in a row are ok):
    (None, None) when never short; the months are inf when censored (the run
    of RUN never comes within the horizon; the search starts at the first
    short month itself)."""
    first = next((t for t, s in enumerate(short) if s), None)
    if first is None:
        return None, None
    for r in range(first, len(short) - RUN + 1):
        if all(ok[r:r + RUN]):
            return first, float(r - first)
    return first, math.inf


def summarise_pair(rows):
    """Per-trial figures of one pair from its month rows (sorted by month)."""
    demand = [num(r["demand_t"]) for r in rows]
    normal = [num(r["normal_demand_t"]) for r in rows]
    served = [num(r["served_t"]) for r in rows]
    unserved = [num(r["unserved_t"]) for r in rows]
    price = [num(r["price_multiple"]) for r in rows]
    short = [u > SHORT * d for u, d in zip(unserved, demand)]
    ok = [(s / d >= RECOVERED) if d > 0 else True for s, d in zip(served, demand)]
    # Months within a hair of a threshold, where the reading of "above 1%" or
    # "at least 95%" (ratio or product, rounding) could decide the month.
    near = sum(
        1 for u, s, d in zip(unserved, served, demand)
        if d > 0 and (abs(u - SHORT * d) <= 1e-12 * d or abs(s / d - RECOVERED) <= 1e-12)
    )
    first, recovery = recovery_months(short, ok)
    is_short = first is not None
    return {
        "U": math.fsum(unserved),
        "D": math.fsum(demand),
        "N": math.fsum(normal),
        "S": math.fsum(served),
        "short": is_short,
        "months_short": sum(short),
        "worst": max(unserved),
        "recovery": recovery,
        "peak": max(price),
        "prices": price,
        "near": near,
    }


PARAM = re.compile(r"^\s+(\S+)\s+(-?[0-9][0-9,]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?|-?inf|NaN)\s*$")


def parse_parameters(text):
    params = {}
    lines = text.splitlines()
    try:
        start = lines.index("Sampled parameters:") + 1
    except ValueError:
        return params
    for line in lines[start:]:
        if not line.strip():
            break
        m = PARAM.match(line)
        if not m:
            raise SetupError(f"cannot read a sampled parameter line: {line!r}")
        params[m.group(1)] = float(m.group(2).replace(",", ""))
    return params


def replay_rows(binary, scenario, trial, seed, horizon, tmp, name):
    """Trial `trial`'s month rows (`replay --csv`) and the replay's text."""
    path = os.path.join(tmp, f"{name}{trial}.csv")
    cmd = [binary, "replay", scenario, "--trial", str(trial), "--csv", path,
           "--seed", str(seed), "--horizon", str(horizon)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    os.remove(path)
    return rows, out.stdout


def replay(binary, scenario, trial, seed, horizon, pairs, tmp):
    rows, text = replay_rows(binary, scenario, trial, seed, horizon, tmp, "trial")
    by_pair = {}
    for r in rows:
        if int(r["trial"]) != trial:
            raise SetupError(f"replay of trial {trial} wrote a row of trial {r['trial']}")
        by_pair.setdefault((r["country"], r["product"]), []).append(r)
    result = {}
    for pair in pairs:
        prs = sorted(by_pair.get(pair, []), key=lambda r: int(r["month"]))
        if [int(r["month"]) for r in prs] != list(range(horizon)):
            raise SetupError(f"trial {trial}: {pair} does not have months 0..{horizon - 1}")
        result[pair] = summarise_pair(prs)
    return trial, result, parse_parameters(text)


# ---------------------------------------------------------------- comparing

class Checker:
    def __init__(self):
        self.worst = {}      # figure -> [worst ratio to tolerance, where, max |diff|, where]
        self.mismatches = []
        self.count = 0

    def _record(self, figure, where, ratio, diff, ok, prog, mine, note=""):
        self.count += 1
        w = self.worst.setdefault(figure, [-1.0, None, -1.0, None])
        if ratio > w[0]:
            w[0], w[1] = ratio, where
        if diff > w[2]:
            w[2], w[3] = diff, where
        if not ok:
            self.mismatches.append(f"{where}: {figure}: program {prog!r}, reference {mine!r}{note}")

    def exact(self, figure, where, prog, mine, scale=1.0, hint=None):
        """hint: (reading, value) of another reading of the figure, named in the
        mismatch when the program's value matches it (a diagnosis, not a pass)."""
        if prog is None or mine is None:
            ok = prog is None and mine is None
            self._record(figure, where, 0.0 if ok else math.inf, 0.0 if ok else math.inf,
                         ok, prog, mine)
            return
        if isinstance(prog, bool) or not isinstance(prog, (int, float)):
            self._record(figure, where, math.inf, math.inf, False, prog, mine, " (not a number)")
            return
        if math.isinf(mine) or math.isinf(prog) or math.isnan(prog):
            ok = prog == mine
            self._record(figure, where, 0.0 if ok else math.inf, 0.0 if ok else math.inf,
                         ok, prog, mine)
            return
        diff = abs(prog - mine)
        tol = REL * max(abs(prog), abs(mine)) + REL * max(1.0, abs(scale))
        note = f" (|diff| {diff:.3g} > tol {tol:.3g})"
        if hint is not None and abs(prog - hint[1]) <= REL * max(abs(prog), abs(hint[1])) \
                + REL * max(1.0, abs(scale)):
            note += f"; the program's value is {hint[0]} ({hint[1]!r})"
        self._record(figure, where, diff / tol, diff, diff <= tol, prog, mine, note)

    def flag(self, figure, where, ok, note=""):
        """A structural property of the report (True when it holds)."""
        self._record(figure, where, 0.0 if ok else math.inf, 0.0 if ok else math.inf,
                     ok, "fails", "holds", note)

    def integer(self, figure, where, prog, mine):
        ok = isinstance(prog, int) and not isinstance(prog, bool) and prog == mine
        diff = 0.0 if ok else (abs(prog - mine) if isinstance(prog, (int, float)) else math.inf)
        self._record(figure, where, 0.0 if ok else math.inf, diff, ok, prog, mine)

    def histogram(self, figure, where, prog, sample, p, choke, by_range):
        """A histogram quantile: exactly the choke where the sample quantile is
        at it; else within 1% (relative) of the type-7 sample quantile or, with
        by_range, within 1% of the range between its neighbouring order
        statistics (a histogram cannot see where between them it falls)."""
        exact = quantile7(sample, p)
        if not isinstance(prog, (int, float)) or isinstance(prog, bool) or not prog > 0:
            self._record(figure, where, math.inf, math.inf, False, prog, exact,
                         " (not a positive number)")
            return
        rel = abs(prog - exact) / exact
        if choke is not None and exact == choke:
            ok = prog == choke
            self._record(figure, where, 0.0 if ok else math.inf, rel, ok, prog, exact,
                         " (the sample quantile is the choke multiple: must be exact)")
            return
        lo, hi = neighbours7(sample, p) if by_range else (exact, exact)
        low, high = lo * (1 - HIST), hi * (1 + HIST)
        ok = low <= prog <= high
        # how far outside [lo, hi], in units of the 1% allowance
        ratio = max(lo - prog, prog - hi, 0.0) / (HIST * (lo if prog < lo else hi))
        allowed = (f"[{low:.6g}, {high:.6g}] around order statistics {lo!r}, {hi!r}"
                   if by_range else f"[{low:.6g}, {high:.6g}]")
        self._record(figure, where, ratio, rel, ok, prog, exact, f" (allowed {allowed})")

    def table(self):
        """Per figure: the worst difference over its tolerance (1 is the limit;
        inf for a failed exact or structural check) and the largest |diff|."""
        lines = [f"{'figure':<36} {'worst/tol':>9} {'max |diff|':>10}  where (worst/tol, or max |diff|)"]
        for figure in sorted(self.worst):
            ratio, rwhere, diff, dwhere = self.worst[figure]
            where = rwhere if ratio > 0 else dwhere
            lines.append(f"{figure:<36} {ratio:>9.3g} {diff:>10.3g}  {where}")
        return "\n".join(lines)


def check_pair(chk, where, res, trials, n):
    sf, pr = res["shortfall"], res["price"]
    U = [t["U"] for t in trials]
    D = [t["D"] for t in trials]
    N = [t["N"] for t in trials]
    S = [t["S"] for t in trials]
    scale = mean(N) if trials else 1.0
    su = sorted(U)
    short = [t for t in trials if t["short"]]
    chk.exact("shortfall.probability", where, sf.get("probability"), len(short) / n)
    chk.exact("shortfall.mean_tonnes", where, sf.get("mean_tonnes"), mean(U), scale)
    for key, p in (("p5_tonnes", 0.05), ("p50_tonnes", 0.5), ("p95_tonnes", 0.95)):
        chk.exact(f"shortfall.{key}", where, sf.get(key), quantile7(su, p), scale)
    chk.exact("shortfall.cvar95_tonnes", where, sf.get("cvar95_tonnes"), cvar(U), scale)
    chk.exact("shortfall.stderr_tonnes", where, sf.get("stderr_tonnes"), stderr(U), scale)
    chk.exact("shortfall.mean_share_of_demand", where, sf.get("mean_share_of_demand"),
              mean([u / d if d != 0 else 0.0 for u, d in zip(U, D)]))
    loss = [a - b for a, b in zip(N, S)]
    chk.exact("shortfall.mean_loss_tonnes", where, sf.get("mean_loss_tonnes"), mean(loss), scale)
    chk.exact("shortfall.mean_loss_share", where, sf.get("mean_loss_share"),
              mean([l / a if a != 0 else 0.0 for l, a in zip(loss, N)]))
    chk.exact("shortfall.mean_normal_demand_tonnes", where,
              sf.get("mean_normal_demand_tonnes"), mean(N), scale)
    chk.exact("shortfall.mean_served_tonnes", where, sf.get("mean_served_tonnes"), mean(S), scale)
    chk.exact("shortfall.months_short_mean", where, sf.get("months_short_mean"),
              mean([t["months_short"] for t in trials]))
    chk.exact("shortfall.worst_month_mean_tonnes", where, sf.get("worst_month_mean_tonnes"),
              mean([t["worst"] for t in trials]), scale)
    censored = sum(1 for t in short if math.isinf(t["recovery"]))
    chk.integer("shortfall.short_trials", where, sf.get("short_trials"), len(short))
    chk.integer("shortfall.recovered_trials", where, sf.get("recovered_trials"), len(short) - censored)
    chk.integer("shortfall.censored_trials", where, sf.get("censored_trials"), censored)
    chk.exact("shortfall.recovery_censored_share", where, sf.get("recovery_censored_share"),
              censored / len(short) if short else 0.0)
    median = quantile7(sorted(t["recovery"] for t in short), 0.5) if short else math.inf
    chk.exact("shortfall.recovery_median_months", where, sf.get("recovery_median_months"),
              None if math.isinf(median) else median)

    choke = pr.get("choke_multiple")
    if not isinstance(choke, (int, float)) or isinstance(choke, bool):
        chk.exact("price.choke_multiple", where, choke, math.nan)
        choke = None
    peaks = sorted(t["peak"] for t in trials)
    chk.exact("price.choke_share", where, pr.get("choke_share"),
              sum(1 for x in peaks if choke is not None and x >= choke) / n)
    pm = pr.get("peak_multiple", {})
    for key, p in PEAK:
        chk.histogram(f"price.peak_multiple.{key}", where, pm.get(key), peaks, p, choke, True)
    fan = pr.get("fan", [])
    horizon = len(trials[0]["prices"])
    months = [f.get("month") for f in fan]
    chk.flag("price.fan.months", where, months == list(range(horizon)),
             f" (fan months {months[:3]}..., horizon {horizon})")
    for f in fan:
        m = f.get("month")
        if not isinstance(m, int) or not 0 <= m < horizon:
            continue
        sample = sorted(t["prices"][m] for t in trials)
        for key in FAN:
            chk.histogram(f"price.fan.{key}", f"{where} month {m}", f.get(key), sample,
                          FAN_P[key], choke, True)


def check_sensitivity(chk, report, per_trial, params, focus, n):
    """Spearman of each sampled parameter with the focus outcome."""
    country, product, outcome = focus
    pair = (country, product)
    if outcome == "shortfall":
        y = [per_trial[k][pair]["U"] for k in range(n)]
    elif outcome == "peak_price":
        y = [per_trial[k][pair]["peak"] for k in range(n)]
    else:
        raise SetupError(f"focus outcome {outcome!r}: not known to this check")
    names = list(params[0])
    for k in range(n):
        if list(params[k]) != names:
            raise SetupError(f"trial {k} prints other sampled parameters than trial 0")
    sens = report.get("sensitivity", [])
    reported = {s.get("parameter"): s.get("spearman") for s in sens}
    chk.flag("sensitivity.parameters", "all",
             sorted(reported) == sorted(names) and len(sens) == len(names),
             " (the reported parameters are not the sampled ones, once each)")
    for missing in sorted(set(names) - set(reported)):
        chk.mismatches.append(f"sensitivity: sampled parameter {missing} is not reported")
    for extra in sorted(set(reported) - set(names)):
        chk.mismatches.append(f"sensitivity: reported parameter {extra} was not sampled")
    mags = [abs(s.get("spearman") or 0.0) for s in sens]
    chk.flag("sensitivity.sorted_by_magnitude", "all",
             all(a >= b for a, b in zip(mags, mags[1:])))
    exact_n = bounded_n = 0
    for name in names:
        if name not in reported:
            continue
        x = [params[k][name] for k in range(n)]
        prog = reported[name]
        mine = spearman(x, y)
        if len(set(x)) == n:
            exact_n += 1
            chk.exact("sensitivity.spearman (untied)", name, prog, mine)
            continue
        bounded_n += 1
        lo, hi = spearman_tie_bounds(x, y)
        if len(set(y)) == 1:
            lo = hi = 0.0
        ok = isinstance(prog, (int, float)) and not isinstance(prog, bool) and (
            lo - 1e-9 <= prog <= hi + 1e-9 or abs(prog - mine) <= 1e-9)
        ratio = 0.0 if ok else math.inf
        chk._record("sensitivity.spearman (tied)", name, ratio,
                    abs(prog - mine) if isinstance(prog, (int, float)) else math.inf, ok, prog, mine,
                    f" (printed values tie: allowed [{lo:.6f}, {hi:.6f}] or the tied-rank value)")
    return exact_n, bounded_n


# ---------------------------------------------------------------- main

def scenario_focus(path):
    """The scenario's own focus, read from the TOML (None if absent or no tomllib)."""
    try:
        import tomllib
    except ImportError:
        return None, False
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    return doc.get("scenario", {}).get("focus"), True


def world_ids(scenario_path):
    """The country ids and the ids of the products some process makes, of
    the scenario's world (the embedded default is src/world/default_world.toml)."""
    import tomllib  # Python 3.11+
    with open(scenario_path, "rb") as f:
        world = tomllib.load(f)["scenario"].get("world", "default")
    if world == "default":
        path = os.path.join(REPO, "src", "world", "default_world.toml")
    else:
        path = os.path.join(os.path.dirname(os.path.abspath(scenario_path)), world)
    with open(path, "rb") as f:
        w = tomllib.load(f)
    made = {p for proc in w.get("processes", {}).values() for p in proc.get("outputs", {})}
    return path, list(w["countries"]), [p for p in w["products"] if p in made]


def every_pair_scenario(scenario_path, world_path, countries, products, tmp):
    """A copy of the scenario that reports every country and product (the
    trials are the same: what is reported does not change a trial)."""
    with open(scenario_path) as f:
        text = f.read()
    pairs = ",\n".join(f'  {{ country = "{c}", product = "{p}" }}'
                       for c in countries for p in products)
    text, n = re.subn(r"(?ms)^report\s*=\s*\[.*?\]\s*$", f"report = [\n{pairs}\n]", text, count=1)
    if n != 1:
        raise SetupError("cannot find the scenario's `report = [...]` to widen")
    text = re.sub(r'(?m)^world\s*=\s*"(?!default")[^"]*"', f'world = "{world_path}"', text, count=1)
    path = os.path.join(tmp, "every_pair.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def replay_outputs(binary, scenario, trial, seed, horizon, tmp):
    """Trial `trial`'s output of every reported pair in month 0 and the last."""
    rows, _ = replay_rows(binary, scenario, trial, seed, horizon, tmp, "outputs")
    first, last = {}, {}
    for r in rows:
        for table, when in ((first, 0), (last, horizon - 1)):
            if int(r["month"]) == when:
                table[(r["country"], r["product"])] = num(r["output_t"])
    return trial, first, last


def check_concentration(chk, report, outputs, countries, products):
    """Each product's median shares and median HHI in month 0 and the last."""
    rows = {r["name"]: r for r in report["concentration"] if r["kind"] == "product"}
    for p in products:
        row = rows.get(p)
        chk.flag("concentration.product", p, row is not None, " (no row in the report)")
        if row is None:
            continue
        for when, index in (("first", 1), ("last", 2)):
            shares = {c: [] for c in countries}
            hhis = []
            for trial in outputs:
                made = [trial[index].get((c, p), 0.0) for c in countries]
                total = math.fsum(made)
                trial_shares = [m / total if total > 0 else 0.0 for m in made]
                for c, sh in zip(countries, trial_shares):
                    shares[c].append(sh)
                hhis.append(math.fsum((100 * sh) ** 2 for sh in trial_shares))
            where = f"{p} {when}"
            median_hhi = quantile7(sorted(hhis), 0.5)
            got = row[when]["hhi"]
            chk.flag("concentration.hhi (median of each trial's, within 1)", where,
                     abs(got - median_hhi) <= HHI_BIN + 1e-9,
                     f" (program {got!r}, median {median_hhi!r})")
            reported = {s["country"]: s["share"] for s in row[when]["shares"]}
            for c in countries:
                median = quantile7(sorted(shares[c]), 0.5)
                if median == 0.0:
                    chk.flag("concentration.share (0 median: absent)", f"{where} {c}",
                             c not in reported, f" (program {reported.get(c)!r})")
                else:
                    got = reported.get(c, 0.0)
                    chk.flag("concentration.share (median, within 0.001)", f"{where} {c}",
                             abs(got - median) <= SHARE_BIN + 1e-12,
                             f" (program {got!r}, median {median!r})")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("scenario")
    ap.add_argument("--trials", type=int)
    ap.add_argument("--json-in", help="check this report instead of running the scenario")
    ap.add_argument("--no-sensitivity", action="store_true")
    ap.add_argument("--no-concentration", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="report_check") as tmp:
        if args.json_in:
            with open(args.json_in) as f:
                report = json.load(f)
        else:
            path = os.path.join(tmp, "report.json")
            cmd = [args.binary, "run", args.scenario, "--json", path, "--quiet"]
            if args.trials is not None:
                cmd += ["--trials", str(args.trials)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                raise SetupError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
            with open(path) as f:
                report = json.load(f)

        scen = report["scenario"]
        n = report.get("manifest", {}).get("trials_run", scen["trials"])
        seed, horizon = scen["seed"], scen["horizon_months"]
        if args.trials is not None and n != args.trials:
            raise SetupError(f"the report ran {n} trials, not {args.trials}")
        pairs = [(r["country"], r["product"]) for r in report["results"]]
        print(f"{os.path.basename(args.scenario)}: {n} trials, seed {seed}, "
              f"{horizon} months, {len(pairs)} reported pairs")

        per_trial = [None] * n
        params = [None] * n
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(replay, args.binary, args.scenario, k, seed, horizon, pairs, tmp)
                       for k in range(n)]
            for fut in concurrent.futures.as_completed(futures):
                k, res, prm = fut.result()
                per_trial[k], params[k] = res, prm

        outputs = None
        if not args.no_concentration:
            world_path, countries, products = world_ids(args.scenario)
            wide = every_pair_scenario(args.scenario, world_path, countries, products, tmp)
            outputs = [None] * n
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
                futures = [pool.submit(replay_outputs, args.binary, wide, k, seed, horizon, tmp)
                           for k in range(n)]
                for fut in concurrent.futures.as_completed(futures):
                    k, first, last = fut.result()
                    outputs[k] = (k, first, last)

    chk = Checker()
    near = 0
    for res, pair in zip(report["results"], pairs):
        trials = [per_trial[k][pair] for k in range(n)]
        where = f"{pair[0]} {pair[1]}"
        check_pair(chk, where, res, trials, n)
        near += sum(t["near"] for t in trials)

    notes = []
    if near:
        notes.append(f"{near} month(s) within 1e-12 of the 1% short or 95% served threshold")

    if not args.no_sensitivity:
        focus = report.get("manifest", {}).get("focus")
        if not focus:
            raise SetupError("the report's manifest names no focus")
        declared, have_toml = scenario_focus(args.scenario)
        if have_toml:
            if declared is None:
                expect = (pairs[0][0], pairs[0][1], "shortfall")
            else:
                expect = (declared.get("country", "").upper(), declared.get("product", "").lower(),
                          declared.get("outcome", "shortfall"))
            got = (focus.get("country", "").upper(), focus.get("product", "").lower(),
                   focus.get("outcome"))
            chk.flag("manifest.focus", "scenario", got == expect,
                     f" (manifest {got}, scenario {expect})")
        fpair = (focus["country"], focus["product"])
        if fpair not in pairs:
            notes.append(f"focus {fpair} is not a reported pair: sensitivity not checked")
        else:
            exact_n, bounded_n = check_sensitivity(
                chk, report, per_trial, params, (*fpair, focus["outcome"]), n)
            notes.append(f"sensitivity ({focus['outcome']} of {fpair[0]} {fpair[1]}): "
                         f"{exact_n} parameters exact, {bounded_n} with tied printed values bounded")

    if outputs is not None:
        check_concentration(chk, report, outputs, countries, products)

    print(chk.table())
    for note in notes:
        print("note:", note)
    elapsed = time.monotonic() - started
    if chk.mismatches:
        print(f"{len(chk.mismatches)} MISMATCHES of {chk.count} figures ({elapsed:.1f} s):")
        for m in chk.mismatches:
            print("  MISMATCH", m)
        return 1
    print(f"all {chk.count} figures agree ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (SetupError, OSError, KeyError, ValueError) as e:
        print(f"report_check: cannot check: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
