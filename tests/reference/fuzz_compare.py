#!/usr/bin/env python3
"""Differential fuzzing of the deterministic month: random scenarios, engine
against reference.py.

Usage: fuzz_compare.py ENGINE [--count N] [--seed S] [--keep DIR] [--horizon H]
                       [--no-shrink] [--quiet]

Generates N random, valid, deterministic scenarios (every number fixed; the
test worlds' sigma = 0 is never changed; probability 1; no random outages)
over `xworld.toml` and `xworld2.toml`, each with 1-6 shocks drawn from every
kind MODEL.md section 4 lists (export restrictions in every mode, stacked on
one link; capacity, fixed outages, demand multipliers and growth, stockpiles,
`set` on product, process and country fields), and compares every figure of
every country, product and month with compare.py's own comparison
(`compare.compare`: `ENGINE replay SCENARIO --trial 0 --csv` against
`reference.Sim`, 1e-6 relative or 1e-9 of the product's world output).

A scenario that disagrees is shrunk (fewest shocks, shortest horizon, fewest
optional keys) and, with --keep DIR, written there with the original. The
same seed gives the same scenarios. Exit status 1 when any scenario
disagrees, is rejected by the engine (a generator bug) or makes the reference
fail.
"""
import argparse
import contextlib
import io
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import reference  # noqa: E402

WORLDS = ["xworld.toml", "xworld2.toml"]

# How often each rule of reference.py acted (Sim.cov), over every scenario run
# (shrinking included): shows what the random scenarios exercised.
COVERAGE = {}
_run = reference.Sim.run


def _counting_run(self):
    rows = _run(self)
    for k, n in self.cov.items():
        COVERAGE[k] = COVERAGE.get(k, 0) + n
    return rows


reference.Sim.run = _counting_run


# ---------------------------------------------------------------------------
# TOML writing (the scenarios are flat enough for a few lines)
# ---------------------------------------------------------------------------
def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        if "e" not in r and "." not in r and "inf" not in r and "nan" not in r:
            r += ".0"
        return r
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    raise TypeError(v)


def to_toml(sc):
    meta = sc["scenario"]
    out = ["[scenario]"]
    for k in ("name", "description", "world", "horizon_months", "trials", "seed"):
        out.append(f"{k} = {fmt(meta[k])}")
    out.append("report = [")
    for r in meta["report"]:
        out.append(f'  {{ country = "{r["country"]}", product = "{r["product"]}" }},')
    out.append("]")
    for s in sc.get("shock", []):
        out.append("")
        out.append("[[shock]]")
        for k, v in s.items():
            out.append(f"{k} = {fmt(v)}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------
def sig(x, n=4):
    """x rounded to n significant digits (readable files; still exact in both)."""
    if x == 0:
        return 0.0
    return float(f"{x:.{n}g}")


def dests(s, countries):
    to = s.get("to", "all")
    to = countries if to == "all" else reference.as_list(to)
    exc = reference.as_list(s.get("except", []))
    return {c for c in to if c not in exc and c != s["from"]}


def stacked_quota(s, earlier, countries):
    """Whether quota s covers a link (exporter, product, destination) that an
    earlier quota covers too (the engine applies only the first: see
    tests/reference/README.md, "Differential fuzzing")."""
    if s.get("mode") != "quota":
        return False
    return any(o.get("mode") == "quota" and o["from"] == s["from"]
               and set(reference.as_list(o["products"])) & set(reference.as_list(s["products"]))
               and dests(o, countries) & dests(s, countries) for o in earlier)


class Gen:
    def __init__(self, rng, world_file, horizon, avoid_known=False):
        self.avoid_known = avoid_known
        self.r = rng
        self.world_file = world_file
        self.horizon = horizon
        with open(os.path.join(HERE, world_file), "rb") as f:
            self.d = tomllib.load(f)
        self.w = reference.World(os.path.join(HERE, world_file))
        self.C = list(self.w.countries)
        self.P = list(self.w.products)
        self.J = list(self.w.processes)
        self.mined = [p for p in self.P
                      if any(p in self.w.outputs[j] and not self.w.inputs[j] for j in self.J)]
        # Half the shocks aim at one country and one product of the scenario, so
        # that shocks meet (a stockpile behind a ban, a surge on a quota'd link).
        users = [(c, p) for c in self.C for p in self.P if self.uses(c, p)]
        self.focus_c, self.focus_p = rng.choice(users)

    def pick_c(self):
        return self.focus_c if self.r.random() < 0.5 else self.r.choice(self.C)

    def pick_p(self):
        return self.focus_p if self.r.random() < 0.5 else self.r.choice(self.P)

    def uses(self, c, p):
        """Whether c has final demand for p or a plant using it."""
        return self.w.market[(c, p)]["d_ref"] > 0 or any(
            self.w.inputs[j].get(p) and self.plant_cap(c, j) > 0 for j in self.J)

    # -- common timing keys ---------------------------------------------------
    def timing(self, s, ramp=True):
        r, h = self.r, self.horizon
        s["start_month"] = 0 if r.random() < 0.3 else r.randrange(0, h)
        if r.random() < 0.55:
            s["duration_months"] = r.choice([0, 1, 1, 2, 3]) if r.random() < 0.2 \
                else r.randrange(1, h + 2)
        if ramp and r.random() < 0.4:
            s["ramp_months"] = r.choice([0, 1, 2, 3, 4, 6, 9])
        return s

    def wout(self, p):
        return self.w.world_output(p)  # t/month

    def some_countries(self, k_max=None):
        r = self.r
        k = r.randint(1, k_max or len(self.C))
        return r.sample(self.C, k)

    # -- export restrictions ------------------------------------------------------
    def restriction(self, prev=None):
        r = self.r
        s = {"kind": "export_restriction"}
        if prev is not None:
            # stack on a link an earlier restriction restricts
            s["from"] = prev["from"]
            s["products"] = reference.as_list(prev["products"])
        else:
            s["from"] = r.choice(self.C) if r.random() < 0.5 else "CHN"  # CHN makes most
            s["products"] = r.sample(self.P, r.choice([1, 1, 1, 2, 3]))
            if self.focus_p not in s["products"] and r.random() < 0.5:
                s["products"][0] = self.focus_p
        e = s["from"]
        others = [c for c in self.C if c != e]
        u = r.random()
        if u < 0.3:
            s["to"] = "all"
        elif u < 0.4:
            pass  # no `to`: every country
        else:
            to = r.sample(self.C, r.randint(1, len(self.C)))
            if self.focus_c not in to and r.random() < 0.5:
                to.append(self.focus_c)
            if all(c == e for c in to):
                to.append(r.choice(others))
            s["to"] = to
        dests = others if s.get("to", "all") == "all" else [c for c in s["to"] if c != e]
        if len(dests) > 1 and r.random() < 0.3:
            s["except"] = r.sample(dests, r.randint(1, len(dests) - 1))
        mode = r.choice(["ban", "license", "quota", "tariff"])
        s["mode"] = mode
        if mode == "license":
            s["approval"] = r.choice([0.0, 1.0]) if r.random() < 0.15 else sig(r.random(), 3)
            if r.random() < 0.7:
                s["delay_months"] = r.choice([0, 1, 2, 3, 5])
        elif mode == "quota":
            p = s["products"][0]
            yearly = 12 * self.wout(p)
            s["tonnes_per_year"] = 0.0 if r.random() < 0.1 else sig(yearly * r.uniform(0.005, 0.8))
        elif mode == "tariff":
            s["rate"] = sig(r.choice([0.0, r.uniform(0.05, 0.5), r.uniform(0.5, 4.0)]), 3)
        self.timing(s, ramp=(mode != "quota"))
        # MODEL.md: `products`, `to` (list or "all"), `except`: a single id
        # may also be written as a string
        for key in ("products", "to", "except"):
            if isinstance(s.get(key), list) and len(s[key]) == 1 and r.random() < 0.2:
                s[key] = s[key][0]
        return s

    # -- capacity and outages -------------------------------------------------------
    def plant_cap(self, c, j):
        return self.w.plant[(c, j)]["cap0"]

    def capacity(self):
        r = self.r
        c, j = self.pick_c(), r.choice(self.J)
        base = max(self.plant_cap(c, j), max(self.plant_cap(x, j) for x in self.C) * 0.1)
        ch = base * r.uniform(0.05, 1.2)
        if r.random() < 0.5:
            ch = -ch
        s = {"kind": "capacity", "country": c, "process": j, "change_tpa": sig(ch)}
        return self.timing(s)

    def outage(self):
        r = self.r
        # mostly where there is a plant
        plants = [(c, j) for c in self.C for j in self.J if self.plant_cap(c, j) > 0]
        makers = [(c, j) for (c, j) in plants if self.focus_p in self.w.outputs[j]]
        u = r.random()
        if u < 0.4 and makers:
            c, j = r.choice(makers)
        elif u < 0.9:
            c, j = r.choice(plants)
        else:
            c, j = r.choice(self.C), r.choice(self.J)
        loss = r.choice([1.0, sig(r.random(), 3)])
        s = {"kind": "outage", "country": c, "process": j, "loss": loss}
        return self.timing(s)

    # -- demand -------------------------------------------------------------------------
    def demand(self):
        r = self.r
        s = {"kind": "demand"}
        u = r.random()
        if u < 0.4:
            s["country"] = "all"
        elif u < 0.8:
            s["country"] = self.pick_c()
        else:
            s["country"] = self.some_countries(3)
        s["product"] = self.pick_p()
        if r.random() < 0.6:
            s["multiplier"] = sig(r.choice([r.uniform(0.2, 1.0), r.uniform(1.0, 3.0)]), 3)
        else:
            s["growth"] = sig(r.uniform(-0.5, 1.5), 3)
        return self.timing(s)

    # -- stockpiles -----------------------------------------------------------------------
    def stockpile(self):
        r = self.r
        c, p = self.pick_c(), self.pick_p()
        if not self.uses(c, p) and r.random() < 0.7:
            users = [(x, y) for x in self.C for y in self.P if self.uses(x, y)]
            c, p = r.choice([u for u in users if u[1] == p] or users)
        wo = self.wout(p)
        s = {"kind": "stockpile", "country": c, "product": p}
        kind = r.choice(["full", "buy", "hold", "release", "hold_release", "buy_release"])
        if kind in ("full", "hold", "hold_release"):
            s["tonnes"] = sig(wo * r.uniform(0.0, 1.5))
        if kind in ("full", "buy", "buy_release"):
            s["buy_tpa"] = sig(12 * wo * r.uniform(0.005, 0.3))
        if kind in ("full", "release", "hold_release", "buy_release"):
            s["release_below_fill"] = r.choice([1.0, sig(r.uniform(0.3, 1.0), 3)])
            if r.random() < 0.6:
                s["max_release_tpm"] = sig(wo * r.uniform(0.0, 0.5))
        return self.timing(s, ramp=False)

    def crisis(self):
        """A stockpile that holds and releases at the focus pair, and a ban or a
        tight licence on it from its largest supplier: stock and stockpile
        draws together."""
        r = self.r
        c, p = self.focus_c, self.focus_p
        makers = {}
        for x in self.C:
            for j in self.J:
                makers[x] = makers.get(x, 0.0) + self.plant_cap(x, j) * self.w.outputs[j].get(p, 0.0)
        e = max((x for x in self.C if x != c), key=lambda x: makers[x])
        wo = self.wout(p)
        sp = {"kind": "stockpile", "country": c, "product": p,
              "tonnes": sig(wo * r.uniform(0.1, 2.0)),
              "release_below_fill": sig(r.uniform(0.5, 1.0), 3)}
        if r.random() < 0.5:
            sp["max_release_tpm"] = sig(wo * r.uniform(0.01, 0.3))
        if r.random() < 0.3:
            sp["buy_tpa"] = sig(12 * wo * r.uniform(0.005, 0.1))
        self.timing(sp, ramp=False)
        if r.random() < 0.5:
            sp["start_month"] = 0
        ban = {"kind": "export_restriction", "from": e, "products": [p], "to": [c]}
        if r.random() < 0.6:
            ban["mode"] = "ban"
        else:
            ban["mode"] = "license"
            ban["approval"] = sig(r.uniform(0.0, 0.5), 3)
        self.timing(ban)
        return [sp, ban]

    # -- set ----------------------------------------------------------------------------------
    PRODUCT_FIELDS = {
        # field: value generator (kept inside the ranges MODEL.md and the engine
        # accept, with e_short <= e_long, d_min <= 1 <= d_max, m_min < m_max
        # whatever else is set)
        "p_ref": lambda r, base: sig(base * r.uniform(0.3, 3.0)),
        "e_short": lambda r, base: sig(r.uniform(0.03, 0.3), 3),
        "e_long": lambda r, base: sig(r.uniform(0.4, 1.2), 3),
        "tau_sub": lambda r, base: r.choice([1.0, sig(r.uniform(1.0, 36.0), 3)]),
        "kappa": lambda r, base: r.choice([0.0, sig(r.uniform(0.005, 0.5), 3), 1.0]),
        "e_supply": lambda r, base: r.choice([0.0, sig(r.uniform(0.0, 1.5), 3)]),
        "home_weight": lambda r, base: sig(r.choice([r.uniform(0.3, 1.0), r.uniform(1.0, 30.0)]), 3),
        "d_min": lambda r, base: sig(r.uniform(0.05, 0.99), 3),
        "d_max": lambda r, base: sig(r.uniform(1.01, 4.0), 3),
        "m_min": lambda r, base: sig(r.uniform(0.01, 0.5), 3),
        "m_max": lambda r, base: sig(r.choice([r.uniform(0.6, 1.0), r.uniform(1.0, 60.0)]), 3),
        "sigma": lambda r, base: 0.0,  # deterministic: stays 0
    }

    def set_shock(self):
        r = self.r
        u = r.random()
        if u < 0.35:
            p = r.choice(self.P)
            f = r.choice(list(self.PRODUCT_FIELDS))
            base = self.w.prod[p].get(f, 1.0)
            path, value = f"products.{p}.{f}", self.PRODUCT_FIELDS[f](r, base)
        elif u < 0.5:
            j = r.choice([j for j in self.J if self.w.inputs[j]] if r.random() < 0.6 else self.J)
            side = "inputs" if self.w.inputs[j] and r.random() < 0.6 else "outputs"
            coefs = self.w.inputs[j] if side == "inputs" else self.w.outputs[j]
            q = r.choice(list(coefs))
            v = 0.0 if side == "inputs" and r.random() < 0.1 else sig(coefs[q] * r.uniform(0.3, 3.0))
            path, value = f"processes.{j}.{side}.{q}", v
        elif u < 0.75:
            c, j = r.choice(self.C), r.choice(self.J)
            f = r.choice(["cap0", "avail", "growth"])
            if f == "cap0":
                base = max(self.plant_cap(c, j), max(self.plant_cap(x, j) for x in self.C) * 0.1)
                value = 0.0 if r.random() < 0.15 else sig(base * r.uniform(0.1, 2.0))
            elif f == "avail":
                value = r.choice([0.0, 1.0, sig(r.random(), 3)])
            else:
                value = sig(r.uniform(-0.6, 0.8), 3)
            path = f"countries.{c}.processes.{j}.{f}"
        else:
            c, p = r.choice(self.C), r.choice(self.P)
            f = r.choice(["d_ref", "g", "cover", "restock", "reserves"])
            mk = self.w.market[(c, p)]
            if f == "d_ref":
                base = mk["d_ref"] or 12 * self.wout(p) * 0.05
                value = 0.0 if r.random() < 0.15 else sig(base * r.uniform(0.1, 2.5))
            elif f == "g":
                value = sig(r.uniform(-0.4, 0.8), 3)
            elif f == "cover":
                value = r.choice([0.0, sig(r.uniform(0.0, 6.0), 3)])
            elif f == "restock":
                value = r.choice([1.0, sig(r.uniform(1.0, 12.0), 3)])
            else:
                if self.mined and r.random() < 0.8:
                    p = r.choice(self.mined)
                value = r.choice([0.0, sig(12 * self.wout(p) * r.uniform(0.01, 3.0))])
            path = f"countries.{c}.products.{p}.{f}"
        s = {"kind": "set", "path": path, "value": value}
        return self.timing(s, ramp=False)

    # -- one scenario --------------------------------------------------------------------------
    def scenario(self, name):
        r = self.r
        shocks = []
        for _ in range(r.randint(1, 6)):
            k = r.choice(["restriction", "restriction", "capacity", "outage", "demand",
                          "stockpile", "set", "set", "crisis"])
            if k == "crisis":
                shocks += self.crisis()
                continue
            if k == "restriction":
                prev = [s for s in shocks if s["kind"] == "export_restriction"]
                s = self.restriction(r.choice(prev) if prev and r.random() < 0.5 else None)
            else:
                s = getattr(self, {"set": "set_shock"}.get(k, k))()
            if self.avoid_known and stacked_quota(s, shocks, self.C):
                del s["tonnes_per_year"]
                s["mode"] = "license"
                s["approval"] = sig(r.random(), 3)
            shocks.append(s)
        shocks = shocks[:6]
        for k, s in enumerate(shocks):
            if r.random() < 0.3:
                shocks[k] = {"id": f"s{k + 1}", **s}
        return {
            "scenario": {
                "name": name,
                "description": "random deterministic scenario (fuzz_compare.py)",
                "world": self.world_file,
                "horizon_months": self.horizon,
                "trials": 1,
                "seed": 1,
                "report": [{"country": c, "product": p} for c in self.C for p in self.P],
            },
            "shock": shocks,
        }


def generate(seed, i, horizon, avoid_known=False):
    """Scenario i of the run with this seed (independent of the count)."""
    rng = random.Random(f"{seed}:{i}")
    world = WORLDS[rng.randrange(len(WORLDS))]
    h = horizon if horizon else rng.randint(18, 24)
    return Gen(rng, world, h, avoid_known).scenario(f"fuzz_{seed}_{i}")


# ---------------------------------------------------------------------------
# Running one scenario
# ---------------------------------------------------------------------------
def write(sc, path, world_dir):
    """Writes sc to path with its world resolved relative to world_dir."""
    sc = {**sc, "scenario": dict(sc["scenario"])}
    sc["scenario"]["world"] = os.path.relpath(os.path.join(HERE, sc["scenario"]["world"]), world_dir)
    with open(path, "w") as f:
        f.write(to_toml(sc))


def run_one(engine, sc, work):
    """('agree' | 'differ' | 'invalid' | 'reference-error', detail)."""
    path = os.path.join(work, sc["scenario"]["name"] + ".toml")
    write(sc, path, work)
    chk = subprocess.run([engine, "check", path], capture_output=True, text=True)
    if chk.returncode != 0:
        return "invalid", (chk.stderr or chk.stdout).strip()
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            first = compare.compare(engine, path, work)
    except subprocess.CalledProcessError as err:
        return "invalid", f"replay failed: {err}"
    except (Exception, SystemExit) as err:  # the reference could not run it
        return "reference-error", f"{type(err).__name__}: {err}"
    if first is None:
        return "agree", buf.getvalue()
    return "differ", (first, buf.getvalue())


def differs(engine, sc, work):
    status, _ = run_one(engine, sc, work)
    return status == "differ"


# ---------------------------------------------------------------------------
# Shrinking
# ---------------------------------------------------------------------------
OPTIONAL = ["ramp_months", "duration_months", "except", "delay_months", "id",
            "max_release_tpm", "tonnes", "buy_tpa", "release_below_fill", "to"]


def shrink(engine, sc, work, log=print):
    """A smaller scenario that still disagrees: fewest shocks, then the shortest
    horizon, then fewest optional keys and list entries."""
    sc = {"scenario": dict(sc["scenario"]), "shock": [dict(s) for s in sc["shock"]]}
    sc["scenario"]["name"] = sc["scenario"]["name"] + "_min"
    progress = True
    while progress:
        progress = False
        # drop shocks
        i = 0
        while i < len(sc["shock"]):
            cand = {**sc, "shock": sc["shock"][:i] + sc["shock"][i + 1:]}
            if differs(engine, cand, work):
                sc, progress = cand, True
            else:
                i += 1
        # shortest horizon: the first differing month + 1, then shorter still
        status, detail = run_one(engine, sc, work)
        if status == "differ":
            (t, _, _), _, _, _ = detail[0]
            if t + 1 < sc["scenario"]["horizon_months"]:
                cand = {**sc, "scenario": {**sc["scenario"], "horizon_months": t + 1}}
                if differs(engine, cand, work):
                    sc, progress = cand, True
        # optional keys, list entries, start months
        for k, s in enumerate(sc["shock"]):
            variants = []
            for key in OPTIONAL:
                if key in s:
                    v = dict(s)
                    del v[key]
                    variants.append(v)
            for key in ("products", "to", "except", "country"):
                if isinstance(s.get(key), list) and len(s[key]) > 1:
                    for x in s[key]:
                        v = dict(s)
                        v[key] = [y for y in s[key] if y != x]
                        variants.append(v)
            if s.get("start_month", 0) > 0:
                v = dict(s)
                v["start_month"] = 0
                variants.append(v)
            for v in variants:
                cand = {**sc, "shock": sc["shock"][:k] + [v] + sc["shock"][k + 1:]}
                st, _ = run_one(engine, cand, work)
                if st == "differ":
                    sc, progress = cand, True
                    break
            if progress:
                break
    return sc


# ---------------------------------------------------------------------------
def summary(detail):
    (t, c, p), col, a, b = detail
    rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
    return f"month {t} {c} {p} {col}: engine {a!r} reference {b!r} (rel {rel:.2e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("engine")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write disagreeing scenarios (and their shrunk forms) here")
    ap.add_argument("--horizon", type=int, default=0, help="months (default: 18-24 at random)")
    ap.add_argument("--first", type=int, default=0, help="index of the first scenario")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--avoid-known", action="store_true",
                    help="generate no two quotas on one link (a known engine departure, "
                         "scenarios_fuzz/quota_stack.toml)")
    ap.add_argument("--coverage", action="store_true", help="print the rule counts even with --quiet")
    ap.add_argument("--quiet", action="store_true", help="print only what fails and the summary")
    args = ap.parse_args()
    engine = os.path.abspath(args.engine) if os.path.exists(args.engine) else args.engine

    counts = {"agree": 0, "differ": 0, "invalid": 0, "reference-error": 0}
    kinds = {}
    failing = []
    with tempfile.TemporaryDirectory(prefix="shortfall-fuzz-") as work:
        for i in range(args.first, args.first + args.count):
            sc = generate(args.seed, i, args.horizon, args.avoid_known)
            for s in sc["shock"]:
                k = s["kind"] + (f":{s['mode']}" if "mode" in s else "")
                kinds[k] = kinds.get(k, 0) + 1
            status, detail = run_one(engine, sc, work)
            counts[status] += 1
            name = sc["scenario"]["name"]
            head = f"{name} ({sc['scenario']['world']}, {len(sc['shock'])} shocks, " \
                   f"{sc['scenario']['horizon_months']} months)"
            if status == "agree":
                if not args.quiet:
                    print(f"ok   {head}")
                continue
            failing.append(name)
            if status == "differ":
                print(f"DIFF {head}: {summary(detail[0])}")
            else:
                print(f"{status.upper()} {head}: {detail}")
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                write(sc, os.path.join(args.keep, name + ".toml"), args.keep)
            if status == "differ" and not args.no_shrink:
                small = shrink(engine, sc, work)
                st, det = run_one(engine, small, work)
                print(f"     shrunk to {len(small['shock'])} shock(s), "
                      f"{small['scenario']['horizon_months']} months: {summary(det[0])}")
                print("     " + to_toml(small).replace("\n", "\n     "))
                if args.keep:
                    write(small, os.path.join(args.keep, small["scenario"]["name"] + ".toml"), args.keep)
    if not args.quiet or args.coverage:
        print("rules exercised (reference.py's Sim.cov, summed): " +
              ", ".join(f"{k} {n}" for k, n in sorted(COVERAGE.items())))
    print("shocks generated: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(f"{counts['agree']} of {args.count} random scenarios agree to {compare.TOL:g} "
          f"(seed {args.seed}; {counts['differ']} differ, {counts['invalid']} rejected by the engine, "
          f"{counts['reference-error']} the reference could not run)")
    if failing:
        sys.exit(1)


if __name__ == "__main__":
    main()
