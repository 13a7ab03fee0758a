"""Generate xworld.toml: a small balanced test world (residuals close the balance)."""
g = 0.06
gam = (1 + g) ** (1 / 12) - 1

products = {
    "conc": dict(p_ref=10, e_short=0.15, e_long=0.6, tau_sub=18, sigma=0, kappa=0.06,
                 e_supply=0.2, home_weight=6, m_max=20, g=g, cover=1.5, restock=4),
    "ndpr_oxide": dict(p_ref=60, e_short=0.2, e_long=0.8, tau_sub=20, sigma=0, kappa=0.08,
                       e_supply=0.15, home_weight=8, d_min=0.7, m_max=15, g=g, cover=2, restock=3),
    "dytb_oxide": dict(p_ref=300, e_short=0.08, e_long=0.5, tau_sub=24, sigma=0, kappa=0.03,
                       e_supply=0.1, home_weight=5, d_min=0.8, m_max=25, g=g, cover=2.5, restock=3),
    "ndfeb_magnet": dict(p_ref=50, e_short=0.12, e_long=0.7, tau_sub=15, sigma=0, kappa=0.04,
                         e_supply=0.25, home_weight=12, d_min=0.75, m_max=5, g=g, cover=1, restock=2),
}
sep_out = {"ndpr_oxide": 0.3, "dytb_oxide": 0.04}
mag_in = {"ndpr_oxide": 0.18, "dytb_oxide": 0.02}
# plants: (cap0, avail)
plants = {
    "CHN": {"mine": (150000, 0.9), "separate": None, "magnet": (150000, 0.9)},
    "USA": {"mine": (15000, 1.0), "separate": (3000, 1.0), "magnet": (2000, 1.0)},
    "AUS": {"mine": (20000, 0.95), "separate": (8000, 0.9)},
    "JPN": {"magnet": (20000, 0.85)},
}
cover = {  # per-country overrides
    ("JPN", "ndfeb_magnet"): 2.0, ("USA", "ndpr_oxide"): 3.0, ("AUS", "conc"): 1.0,
}
restock = {("JPN", "ndfeb_magnet"): 3.0}
dref = {
    ("JPN", "ndpr_oxide"): 400, ("JPN", "dytb_oxide"): 50, ("USA", "dytb_oxide"): 40,
    ("CHN", "ndfeb_magnet"): 80000, ("JPN", "ndfeb_magnet"): 30000, ("AUS", "ndfeb_magnet"): 2000,
}
reserves = {("USA", "conc"): 20000, ("AUS", "conc"): 5.0e6}

def cov(c, p):
    return cover.get((c, p), products[p]["cover"])
def f(c, p):
    return 1 + cov(c, p) * gam
def thr(c, j):
    x = plants[c].get(j)
    return x[0] * x[1] if x else 0.0

countries = list(plants)
mine_out = sum(thr(c, "mine") for c in countries)
# conc balance: mine_out = sum_c sep_c * f(c, conc)
rest = sum(thr(c, "separate") * f(c, "conc") for c in countries if c != "CHN")
chn_sep_thr = (mine_out - rest) / f("CHN", "conc")
plants["CHN"]["separate"] = (chn_sep_thr / 0.95, 0.95)
sep_tot = sum(thr(c, "separate") for c in countries)
# oxides: CHN d_ref residual
for p in sep_out:
    out = sep_out[p] * sep_tot
    rest = sum((thr(c, "magnet") * mag_in[p] + dref.get((c, p), 0)) * f(c, p) for c in countries if c != "CHN")
    chn = (out - rest) / f("CHN", p) - thr("CHN", "magnet") * mag_in[p]
    dref[("CHN", p)] = chn
# magnets: USA d_ref residual
p = "ndfeb_magnet"
out = sum(thr(c, "magnet") for c in countries)
rest = sum(dref.get((c, p), 0) * f(c, p) for c in countries if c != "USA")
dref[("USA", p)] = (out - rest) / f("USA", p)

L = ['[world]', 'name = "xcheck test world"', 'description = "small balanced deterministic world for cross-checking"', '']
for p, d in products.items():
    L.append(f"[products.{p}]")
    for k, v in d.items():
        L.append(f"{k} = {v!r}")
    L.append("")
L += ['[processes.mine]', 'stage = "mining"', 'outputs = { conc = 1 }', 'growth = 0.06', '',
      '[processes.separate]', 'stage = "separation"', 'inputs = { conc = 1 }',
      'outputs = { ndpr_oxide = 0.3, dytb_oxide = 0.04 }', 'growth = 0.06', '',
      '[processes.magnet]', 'stage = "magnet"', 'inputs = { ndpr_oxide = 0.18, dytb_oxide = 0.02 }',
      'outputs = { ndfeb_magnet = 1 }', 'growth = 0.06', '']
for c in countries:
    L.append(f"[countries.{c}]")
    for j, x in plants[c].items():
        if x:
            L.append(f"processes.{j} = {{ cap0 = {x[0]!r}, avail = {x[1]!r} }}")
    for p in products:
        kv = {}
        if (c, p) in dref: kv["d_ref"] = dref[(c, p)]
        if (c, p) in cover: kv["cover"] = cover[(c, p)]
        if (c, p) in restock: kv["restock"] = restock[(c, p)]
        if (c, p) in reserves: kv["reserves"] = reserves[(c, p)]
        if kv:
            L.append(f"products.{p} = {{ " + ", ".join(f"{k} = {v!r}" for k, v in kv.items()) + " }")
    L.append("")
open("xworld.toml", "w").write("\n".join(L))
print("\n".join(L))
