#!/usr/bin/env python3
"""An independent statistical check of how `shortfall` samples a scenario.

Usage: draws_check.py SHORTFALL_BINARY SCENARIO.toml [--trials N] [--workers 2]

Written from MODEL.md sections 3-5 and docs/MODEL_NOTES.md alone, without
reading the sampler. It reads the scenario with `tomllib`, replays trials
0..N-1 with `SHORTFALL replay SCENARIO --trial K` (two at a time; N defaults
to the scenario's `trials`), parses each trial's shocks ("happens" / "does not
happen") and its "Sampled parameters:" (`path value`, 4 decimals), and tests
every distribution the scenario's shocks give (the world's own parameters are
not checked) against the contract with its own CDFs (the regularized
incomplete beta by a continued fraction, the normal CDF by `math.erfc`):

- support: every draw inside its range (the clamp, or min..max), month counts
  whole, discrete draws among the values;
- continuous parameters (uniform, triangular, pert = Beta(1 + 4(mode-min)/
  (max-min), 1 + 4(max-mode)/(max-min)) on min..max, normal, lognormal, beta on
  0..1 or min..max): Kolmogorov-Smirnov statistic against the distribution,
  a clamp [lo, hi] turning the tails into point masses at lo and hi. The
  values are printed to 4 decimals, so each true draw lies within 5e-5 of
  its printed value: D is the smallest deviation any such draws could give,
  max_i max(Fn(v_i) - G(v_i + h), G(v_i - h)- - Fn(v_i-)), h = 5e-5. Critical
  value: the asymptotic Kolmogorov quantile at alpha = 1e-4,
  sqrt(ln(2/alpha)/2) / (sqrt(n) + 0.12 + 0.11/sqrt(n)) (conservative for
  point masses). Clamp point masses are also checked by count (4 sigma
  plus 1/n);
- discrete parameters: Pearson chi-square of the value frequencies against
  the normalised weights; month counts (start_month, duration_months,
  ramp_months, delay_months) rounded to whole months: chi-square of the
  frequencies of each whole month k against P(k - 1/2 <= draw < k + 1/2).
  Classes expected below 5 are merged with a neighbour. Critical value: the
  chi-square quantile at alpha = 1e-4 (incomplete gamma, by bisection);
- every `[[correlation]]`: Spearman rank correlation (average ranks for ties)
  within 4 standard errors of rho, SE = (1 - rho^2) sqrt((1 + rho^2/2)/(N - 3))
  (Bonett and Wright 2000; a little wider than (1 - rho^2)/sqrt(N - 1));
- pairs of the correlated parameters no entry names (uncorrelated normals,
  hence independent): |r_s| within 4/sqrt(N - 1) each; every other pair of
  the scenario's sampled parameters: the largest |r_s| within the Bonferroni
  bound z/sqrt(N - 1), z at a two-sided family alpha of 1e-4;
- each shock with a fixed probability p < 1: frequency within 4 sigma,
  4 sqrt(p(1-p)/N), of p; the members of a group draw one uniform and each
  happens when it is below its own probability (MODEL_NOTES), so members with
  equal probabilities happen together in every trial, and a member with a
  smaller probability never happens without one with a larger; draws of
  different shocks or groups are independent: phi coefficient of each pair
  within 4/sqrt(N).

Prints one line per check (PASS/FAIL, statistic, threshold); exits 1 if any
check fails or the replays fail, 2 on bad usage.
"""
import argparse
import concurrent.futures
import math
import re
import subprocess
import sys
import tomllib

from rank_stats import pearson, spearman

PERT_SHAPE = 4.0        # beta-PERT shape (MODEL.md section 5)
ALPHA = 1e-4            # KS and chi-square level per check
SIGMAS = 4.0            # binomial, Spearman and phi bounds
PRINT_HALF = 5e-5       # values are printed with 4 decimals
MONTH_KEYS = {"start_month", "duration_months", "ramp_months", "delay_months"}
# Drawn per event, not per trial: not in "Sampled parameters:".
PER_EVENT_KEYS = {"outage_months"}


# ---------------------------------------------------------------- special functions

def norm_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def norm_sf_inv(p):
    """z with P(Z > z) = p, by bisection on erfc (p in (0, 0.5])."""
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(mid / math.sqrt(2.0)) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _beta_cf(a, b, x):
    """Continued fraction of the incomplete beta (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(ln_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def gammaincc(s, x):
    """Regularized upper incomplete gamma Q(s, x)."""
    if x <= 0.0:
        return 1.0
    ln_front = -x + s * math.log(x) - math.lgamma(s)
    if x < s + 1.0:  # series for P
        term = total = 1.0 / s
        n = s
        for _ in range(100000):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return 1.0 - total * math.exp(ln_front)
    tiny = 1e-300  # continued fraction for Q (Lentz)
    b = x + 1.0 - s
    c, d = 1.0 / tiny, 1.0 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return math.exp(ln_front) * h


def chi2_sf(x, dof):
    return gammaincc(dof / 2.0, x / 2.0)


def chi2_critical(dof, alpha):
    lo, hi = 0.0, 10.0 * dof + 100.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if chi2_sf(mid, dof) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def ks_critical(n, alpha):
    return math.sqrt(math.log(2.0 / alpha) / 2.0) / (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n))


# ---------------------------------------------------------------- distributions

class Dist:
    """One distribution of the contract, with its clamp.

    cdf(x) = P(X <= x) and cdf_left(x) = P(X < x) of the clamped draw."""

    def __init__(self, spec, where):
        self.spec = spec
        self.where = where
        self.kind = spec["dist"]
        k = self.kind
        g = lambda name: float(spec[name])
        if k == "uniform":
            self.lo, self.hi = g("min"), g("max")
        elif k == "triangular":
            self.lo, self.mode, self.hi = g("min"), g("mode"), g("max")
        elif k == "pert":
            self.lo, self.mode, self.hi = g("min"), g("mode"), g("max")
            w = self.hi - self.lo
            self.a = 1.0 + PERT_SHAPE * (self.mode - self.lo) / w
            self.b = 1.0 + PERT_SHAPE * (self.hi - self.mode) / w
        elif k == "normal":
            self.mean, self.sd = g("mean"), g("sd")
            self.lo, self.hi = -math.inf, math.inf
        elif k == "lognormal":
            self.median, self.sd_log = g("median"), g("sd_log")
            self.lo, self.hi = 0.0, math.inf
        elif k == "beta":
            self.a, self.b = g("alpha"), g("beta")
            self.lo = float(spec.get("min", 0.0))
            self.hi = float(spec.get("max", 1.0))
        elif k == "discrete":
            values = [float(v) for v in spec["values"]]
            weights = [float(w) for w in spec["weights"]]
            total = sum(weights)
            pmf = {}
            for v, w in zip(values, weights):
                pmf[v] = pmf.get(v, 0.0) + w / total
            self.pmf = pmf
            self.lo, self.hi = min(values), max(values)
        else:
            raise ValueError(f"{where}: unknown dist {k!r}")
        self.clamp = None
        if "clamp" in spec:
            c_lo, c_hi = (float(v) for v in spec["clamp"])
            self.clamp = (c_lo, c_hi)
            if k == "discrete":
                pmf = {}
                for v, p in self.pmf.items():
                    v = min(max(v, c_lo), c_hi)
                    pmf[v] = pmf.get(v, 0.0) + p
                self.pmf = pmf
        # The support of the clamped draw.
        self.s_lo = max(self.lo, self.clamp[0]) if self.clamp else self.lo
        self.s_hi = min(self.hi, self.clamp[1]) if self.clamp else self.hi

    def describe(self):
        keys = [k for k in self.spec if k not in ("dist", "source", "note")]
        return f"{self.kind}(" + ", ".join(f"{k} {self.spec[k]}" for k in keys) + ")"

    def raw_cdf(self, x):
        """P(X <= x) of the unclamped continuous distribution."""
        k = self.kind
        if k == "uniform":
            if x <= self.lo:
                return 0.0
            if x >= self.hi:
                return 1.0
            return (x - self.lo) / (self.hi - self.lo)
        if k == "triangular":
            a, c, b = self.lo, self.mode, self.hi
            if x <= a:
                return 0.0
            if x >= b:
                return 1.0
            if x <= c:
                return (x - a) ** 2 / ((b - a) * (c - a))
            return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))
        if k in ("pert", "beta"):
            return betainc(self.a, self.b, (x - self.lo) / (self.hi - self.lo))
        if k == "normal":
            return norm_cdf((x - self.mean) / self.sd)
        if k == "lognormal":
            if x <= 0.0:
                return 0.0
            return norm_cdf((math.log(x) - math.log(self.median)) / self.sd_log)
        raise ValueError(k)

    def cdf(self, x):
        if self.kind == "discrete":
            return sum(p for v, p in self.pmf.items() if v <= x)
        if self.clamp:
            if x < self.clamp[0]:
                return 0.0
            if x >= self.clamp[1]:
                return 1.0
        return self.raw_cdf(x)

    def cdf_left(self, x):
        if self.kind == "discrete":
            return sum(p for v, p in self.pmf.items() if v < x)
        if self.clamp:
            if x <= self.clamp[0]:
                return 0.0
            if x > self.clamp[1]:
                return 1.0
        return self.raw_cdf(x)  # continuous: no atoms inside

    def atoms(self):
        """The clamp's point masses [(bound, mass)] of a continuous draw."""
        if self.kind == "discrete" or not self.clamp:
            return []
        out = []
        lo, hi = self.clamp
        if lo > self.lo:
            out.append((lo, self.raw_cdf(lo)))
        if hi < self.hi:
            out.append((hi, 1.0 - self.raw_cdf(hi)))
        # A bound the distribution (almost) never reaches has nothing to count.
        return [(b, m) for b, m in out if m > 1e-9]


# ---------------------------------------------------------------- replays

SHOCK_LINE = re.compile(r"^\s+(\S+)\s+(happens|does not happen):")
PARAM_LINE = re.compile(r"^\s+(\S+)\s+(-?[0-9][0-9,]*\.[0-9]+|-?inf|NaN)\s*$")


def replay(binary, scenario, trial):
    out = subprocess.run([binary, "replay", scenario, "--trial", str(trial)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"replay --trial {trial} failed ({out.returncode}): {out.stderr.strip()}")
    shocks, params = {}, {}
    section = None
    for line in out.stdout.splitlines():
        if line.startswith("Shocks:"):
            section = "shocks"
            continue
        if line.startswith("Sampled parameters:"):
            section = "params"
            continue
        if not line.strip():
            if section == "params" and params:
                section = None
            continue
        if section == "shocks":
            m = SHOCK_LINE.match(line)
            if m:
                shocks[m.group(1)] = m.group(2) == "happens"
        elif section == "params":
            m = PARAM_LINE.match(line)
            if not m:
                section = None
                continue
            params[m.group(1)] = float(m.group(2).replace(",", ""))
    if not params:
        raise RuntimeError(f"replay --trial {trial}: no 'Sampled parameters:' found")
    return shocks, params


# ---------------------------------------------------------------- statistics

def ks_printed(values, dist, h=PRINT_HALF):
    """The smallest KS deviation any true draws within h of the printed values give."""
    xs = sorted(values)
    n = len(xs)
    d = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and xs[j + 1] == xs[i]:
            j += 1
        v = xs[i]
        hv = h * (1.0 + 1e-9) + 1e-12 * abs(v)
        below = i / n          # printed values < v
        upto = (j + 1) / n     # printed values <= v
        d = max(d, upto - dist.cdf(v + hv), dist.cdf_left(v - hv) - below)
        i = j + 1
    return d


def chi_square(observed, probs, n):
    """Pearson chi-square over classes, merging neighbours expected below 5."""
    classes = []  # [obs, exp, labels]
    for (label, p), o in zip(probs, observed):
        classes.append([o, p * n, [label]])
    merged = []
    for c in classes:
        if merged and merged[-1][1] < 5.0:
            merged[-1][0] += c[0]
            merged[-1][1] += c[1]
            merged[-1][2] += c[2]
        else:
            merged.append(c)
    while len(merged) > 1 and merged[-1][1] < 5.0:
        last = merged.pop()
        merged[-1][0] += last[0]
        merged[-1][1] += last[1]
        merged[-1][2] += last[2]
    stat = sum((o - e) ** 2 / e for o, e, _ in merged if e > 0.0)
    return stat, len(merged) - 1, merged


# ---------------------------------------------------------------- the check

class Report:
    def __init__(self):
        self.failures = 0
        self.checks = 0

    def line(self, ok, what, detail):
        self.checks += 1
        if not ok:
            self.failures += 1
        if not ok:  # the threshold was exceeded
            detail = detail.replace(" <= ", " > ", 1)
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {detail}", flush=True)


def close(a, b):
    return abs(a - b) <= PRINT_HALF * (1.0 + 1e-9) + 1e-12 * abs(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("scenario")
    ap.add_argument("--trials", type=int)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    with open(args.scenario, "rb") as f:
        sc = tomllib.load(f)
    n = args.trials or int(sc["scenario"]["trials"])
    if n < 20:
        print(f"error: --trials {n}: at least 20 are needed", file=sys.stderr)
        return 2

    # What the scenario samples, and its shocks' probabilities.
    params = {}   # path -> (Dist, is_month)
    shocks = []   # (id, probability or None, group or None)
    for i, shock in enumerate(sc.get("shock", []), start=1):
        sid = shock.get("id", f"{shock['kind']}.{i}")
        for key, value in shock.items():
            if isinstance(value, dict) and "dist" in value and key not in PER_EVENT_KEYS:
                path = f"shock.{sid}.{key}"
                params[path] = (Dist(value, path), key in MONTH_KEYS)
        p = shock.get("probability", 1.0)
        shocks.append((sid, float(p) if not isinstance(p, dict) else None, shock.get("group")))
    correlations = [(c["between"][0], c["between"][1], float(c["rho"]))
                    for c in sc.get("correlation", [])]

    print(f"{args.scenario}: {n} trials, {len(params)} sampled parameters, "
          f"{len(correlations)} correlations, {len(shocks)} shocks", flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        try:
            trials = list(pool.map(lambda k: replay(args.binary, args.scenario, k), range(n)))
        except RuntimeError as e:
            print(f"FAIL  replay: {e}")
            return 1

    rep = Report()
    values = {}
    for path in list(params) + [p for c in correlations for p in c[:2]]:
        if path in values:
            continue
        missing = [k for k, (_, ps) in enumerate(trials) if path not in ps]
        if missing:
            rep.line(False, f"{path} printed", f"missing from trial {missing[0]} ({len(missing)} trials)")
            continue
        values[path] = [ps[path] for _, ps in trials]

    ks_crit = ks_critical(n, ALPHA)
    for path, (dist, is_month) in params.items():
        if path not in values:
            continue
        xs = values[path]
        # Support.
        bad = [x for x in xs if x < dist.s_lo - PRINT_HALF * 1.000001 or x > dist.s_hi + PRINT_HALF * 1.000001]
        if is_month:
            bad += [x for x in xs if x != round(x)]
        elif dist.kind == "discrete":
            bad += [x for x in xs if not any(close(x, v) for v in dist.pmf)]
        rep.line(not bad, f"support {path}",
                 f"{len(bad)} of {n} draws outside [{dist.s_lo:g}, {dist.s_hi:g}]"
                 + (" or not whole" if is_month else "")
                 + (" or not among the values" if dist.kind == "discrete" else "")
                 + (f" (e.g. {bad[0]})" if bad else ""))

        if is_month:
            # Whole months k: P(k - 1/2 <= draw < k + 1/2), the end classes open.
            if dist.kind == "discrete":
                mp = {}
                for v, p in dist.pmf.items():
                    mp[round(v)] = mp.get(round(v), 0.0) + p
                ks = sorted(mp)
                probs = [(k, mp[k]) for k in ks]
            else:
                k_lo = math.floor(dist.s_lo + 0.5) if math.isfinite(dist.s_lo) else None
                k_hi = math.floor(dist.s_hi + 0.5) if math.isfinite(dist.s_hi) else None
                if k_lo is None:  # unbounded below: out to a tail of 1e-9
                    k_lo = 0
                    while dist.cdf(k_lo - 0.5) > 1e-9:
                        k_lo -= 1
                if k_hi is None:  # unbounded above
                    k_hi = max(k_lo, 0)
                    while 1.0 - dist.cdf_left(k_hi + 0.5) > 1e-9:
                        k_hi += 1
                ks = list(range(k_lo, k_hi + 1))
                probs = []
                for k in ks:
                    lo = 0.0 if k == k_lo else dist.cdf_left(k - 0.5)
                    hi = 1.0 if k == k_hi else dist.cdf_left(k + 0.5)
                    probs.append((k, hi - lo))
            observed = [sum(1 for x in xs if round(x) == k) for k in ks]
            stat, dof, merged = chi_square(observed, probs, n)
            crit = chi2_critical(dof, ALPHA)
            counts = ", ".join(f"{c[2][0] if len(c[2]) == 1 else str(c[2][0]) + '..' + str(c[2][-1])}: "
                               f"{c[0]}/{c[1]:.1f}" for c in merged)
            rep.line(stat <= crit, f"months {path} ~ round({dist.describe()})",
                     f"chi2 = {stat:.2f} <= {crit:.2f} (dof {dof}, alpha {ALPHA:g}); observed/expected {counts}")
        elif dist.kind == "discrete":
            vs = sorted(dist.pmf)
            probs = [(v, dist.pmf[v]) for v in vs]
            observed = [sum(1 for x in xs if close(x, v)) for v in vs]
            stat, dof, merged = chi_square(observed, probs, n)
            crit = chi2_critical(dof, ALPHA)
            counts = ", ".join(f"{'+'.join(f'{v:g}' for v in c[2])}: {c[0]}/{c[1]:.1f}" for c in merged)
            rep.line(stat <= crit, f"discrete {path} ~ {dist.describe()}",
                     f"chi2 = {stat:.2f} <= {crit:.2f} (dof {dof}, alpha {ALPHA:g}); observed/expected {counts}")
        else:
            d = ks_printed(xs, dist)
            extra = ""
            if dist.kind == "pert":
                extra = f" = Beta({dist.a:.4g}, {dist.b:.4g}) on {dist.lo:g}..{dist.hi:g}"
            rep.line(d <= ks_crit, f"KS {path} ~ {dist.describe()}{extra}",
                     f"D = {dist_fmt(d)} <= {dist_fmt(ks_crit)} (n {n}, alpha {ALPHA:g})")
            for bound, mass in dist.atoms():
                at = sum(1 for x in xs if close(x, bound))
                tol = SIGMAS * math.sqrt(mass * (1.0 - mass) / n) + 1.0 / n
                rep.line(abs(at / n - mass) <= tol, f"clamp mass {path} at {bound:g}",
                         f"{at / n:.4f} vs {mass:.4f}, |diff| {abs(at / n - mass):.4f} <= {tol:.4f} (4 sigma + 1/n)")

    # Correlations.
    named = set()
    for a, b, rho in correlations:
        named.add(frozenset((a, b)))
        if a not in values or b not in values:
            continue
        r = spearman(values[a], values[b])
        se = (1.0 - rho * rho) * math.sqrt((1.0 + rho * rho / 2.0) / (n - 3))
        rep.line(abs(r - rho) <= SIGMAS * se, f"spearman {a} ~ {b}",
                 f"r_s = {r:.4f}, target {rho:g}, |diff| {abs(r - rho):.4f} <= {SIGMAS * se:.4f} (4 SE)")
    correlated = sorted({p for a, b, _ in correlations for p in (a, b) if p in values})
    for i, a in enumerate(correlated):
        for b in correlated[i + 1:]:
            if frozenset((a, b)) in named:
                continue
            r = spearman(values[a], values[b])
            tol = SIGMAS / math.sqrt(n - 1)
            rep.line(abs(r) <= tol, f"spearman {a} ~ {b} (not named: independent)",
                     f"r_s = {r:.4f}, |r_s| <= {tol:.4f} (4/sqrt(N-1))")
    others = []
    scen_paths = [p for p in values if p in params]
    for i, a in enumerate(scen_paths):
        for b in scen_paths[i + 1:]:
            if frozenset((a, b)) in named or (a in correlated and b in correlated):
                continue
            others.append((abs(spearman(values[a], values[b])), a, b))
    if others:
        z = norm_sf_inv(ALPHA / (2 * len(others)))
        tol = z / math.sqrt(n - 1)
        worst = max(others)
        rep.line(worst[0] <= tol, f"spearman of the other {len(others)} pairs (independent)",
                 f"largest |r_s| = {worst[0]:.4f} ({worst[1]} ~ {worst[2]}) <= {tol:.4f} "
                 f"({z:.2f}/sqrt(N-1), Bonferroni, family alpha {ALPHA:g})")

    # Shocks: probabilities, groups, independence.
    happen = {}
    for sid, _, _ in shocks:
        missing = [k for k, (ss, _) in enumerate(trials) if sid not in ss]
        if missing:
            rep.line(False, f"shock {sid} printed", f"missing from trial {missing[0]} ({len(missing)} trials)")
            continue
        happen[sid] = [ss[sid] for ss, _ in trials]
    certain = [sid for sid, p, _ in shocks if sid in happen and p is not None and p >= 1.0]
    if certain:
        never = [sid for sid in certain if not all(happen[sid])]
        rep.line(not never, f"{len(certain)} shocks of probability 1",
                 "happen in every trial" if not never else f"{', '.join(never)} do not always happen")
    for sid, p, group in shocks:
        if sid not in happen or p is None or p >= 1.0:
            continue
        count = sum(happen[sid])
        tol = SIGMAS * math.sqrt(p * (1.0 - p) / n)
        rep.line(abs(count / n - p) <= tol,
                 f"shock {sid} probability" + (f" (group {group})" if group else ""),
                 f"{count}/{n} = {count / n:.4f} vs {p:g}, |diff| {abs(count / n - p):.4f} <= {tol:.4f} (4 sigma)")
    groups = {}
    for sid, p, group in shocks:
        if group is not None and sid in happen and p is not None:
            groups.setdefault(group, []).append((sid, p))
    for group, members in groups.items():
        for i, (a, pa) in enumerate(members):
            for b, pb in members[i + 1:]:
                ha, hb = happen[a], happen[b]
                if pa == pb:
                    diff = sum(1 for x, y in zip(ha, hb) if x != y)
                    rep.line(diff == 0, f"group {group}: {a} and {b} together",
                             f"differ in {diff} of {n} trials (must be 0)")
                else:
                    (lo, hi) = (ha, hb) if pa < pb else (hb, ha)
                    diff = sum(1 for x, y in zip(lo, hi) if x and not y)
                    rep.line(diff == 0, f"group {group}: {a} ({pa:g}) and {b} ({pb:g}) nested",
                             f"the less likely happens without the other in {diff} of {n} trials (must be 0)")
    # One occurrence draw per ungrouped shock and per group.
    units = []
    seen_groups = set()
    for sid, p, group in shocks:
        if sid not in happen or p is None or p >= 1.0:
            continue
        if group is None:
            units.append((f"shock {sid}", happen[sid]))
        elif group not in seen_groups:
            seen_groups.add(group)
            units.append((f"group {group} ({sid})", happen[sid]))
    for i, (a, ha) in enumerate(units):
        for b, hb in units[i + 1:]:
            phi = pearson([float(x) for x in ha], [float(y) for y in hb])
            tol = SIGMAS / math.sqrt(n)
            rep.line(abs(phi) <= tol, f"independent: {a} ~ {b}",
                     f"phi = {phi:.4f}, |phi| <= {tol:.4f} (4/sqrt(N))")

    print(f"{rep.checks - rep.failures} of {rep.checks} checks pass"
          + (f"; {rep.failures} FAIL" if rep.failures else ""))
    return 1 if rep.failures else 0


def dist_fmt(x):
    return f"{x:.4f}"


if __name__ == "__main__":
    sys.exit(main())
