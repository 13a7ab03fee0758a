#!/usr/bin/env python3
"""Run the engine and the independent reference on scenarios and compare them.

Usage: compare.py ENGINE [SCENARIO.toml ...]   (default: scenarios/*.toml)

ENGINE is the `shortfall` binary. For each scenario, both write trial 0 month
by month (the engine through `shortfall replay --csv`); every figure of every
reported pair is compared, relative to max(|a|, |b|, 1e-3 x the product's
world output), so that tonnes agree to 1e-6 relative or 1e-9 of world output,
the resolution at which MODEL.md's routing settles (price multiples relative
to max(|a|, |b|)). Prints the largest difference per column and the first
(month, country, product, column) beyond 1e-6; exits with 1 if any scenario
has one.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

TOL = 1e-6


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {(int(r["month"]), r["country"], r["product"]): r for r in rows}


def compare(engine, scenario, out_dir):
    """Compares one scenario; returns the first difference beyond TOL, or None."""
    name = os.path.splitext(os.path.basename(scenario))[0]
    engine_csv = os.path.join(out_dir, f"{name}.engine.csv")
    reference_csv = os.path.join(out_dir, f"{name}.ref.csv")
    subprocess.run([engine, "replay", scenario, "--trial", "0", "--csv", engine_csv],
                   check=True, stdout=subprocess.DEVNULL)
    sc = reference.Scenario(scenario)
    rows = reference.Sim(sc).run()
    with open(reference_csv, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["trial", "month", "country", "product"] + reference.COLS)
        for t, row in rows:
            for (c, p) in sc.report:
                out.writerow([0, t, c, p] + [repr(float(row[(c, p)][k])) for k in reference.COLS])
    world_output = {p: sc.world.world_output(p) for p in sc.world.products}
    a_rows, b_rows = read(engine_csv), read(reference_csv)
    if set(a_rows) != set(b_rows):
        raise SystemExit(f"{name}: the engine and the reference report different rows")
    worst = {k: 0.0 for k in reference.COLS}
    first = None
    for key in sorted(a_rows):
        for col in reference.COLS:
            a, b = float(a_rows[key][col]), float(b_rows[key][col])
            floor = 1e-300 if col == "price_multiple" else 1e-3 * world_output[key[2]]
            d = abs(a - b) / max(abs(a), abs(b), floor)
            worst[col] = max(worst[col], d)
            if d > TOL and first is None:
                first = (key, col, a, b)
    print(f"== {name}")
    print("   " + "  ".join(f"{c[:-2] if c.endswith('_t') else 'price'}={worst[c]:.1e}"
                            for c in reference.COLS))
    if first:
        (t, c, p), col, a, b = first
        print(f"   FIRST > {TOL:g}: month {t} {c} {p} {col}: engine {a!r} reference {b!r}")
    else:
        print(f"   agree to {TOL:g}")
    return first


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    engine = sys.argv[1]
    scenarios = sys.argv[2:] or sorted(glob.glob(os.path.join(HERE, "scenarios", "*.toml")))
    with tempfile.TemporaryDirectory(prefix="shortfall-reference-") as out_dir:
        differing = [s for s in scenarios if compare(engine, s, out_dir) is not None]
    print(f"{len(scenarios) - len(differing)} of {len(scenarios)} scenarios agree to {TOL:g}")
    if differing:
        sys.exit(1)


if __name__ == "__main__":
    main()
