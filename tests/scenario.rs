//! The scenario language: every shock kind resolves to what MODEL.md section 4
//! says, ids and names resolve to indices, and the draws of a trial behave.

use shortfall::distributions::{Distribution, StreamId};
use shortfall::scenario::{
    DemandChange, Outage, Outcome, Restriction, Rounding, Scenario, ShockKind, Target,
};
use shortfall::world::{PlantField, ProductField, WorldField};

fn every_shock() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/every_shock.toml"
    );
    Scenario::from_path(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn top_level_fields_and_names_resolve() {
    let s = every_shock();
    let w = &s.world;
    assert_eq!((s.horizon_months, s.trials, s.seed), (24, 10, 7));
    assert_eq!(s.report.len(), 2);
    assert_eq!(w.countries[s.report[0].country].id, "JPN");
    assert_eq!(w.countries[s.report[1].country].id, "USA");
    assert_eq!(s.focus.outcome, Outcome::Loss);
    assert_eq!(s.shocks.len(), 12);
    // Default ids: kind and 1-based position.
    assert_eq!(s.shocks[2].id, "export_restriction.3");
    assert_eq!(s.shocks[5].id, "outage.6");
}

#[test]
fn export_restrictions_resolve_destinations_and_modes() {
    let s = every_shock();
    let w = &s.world;
    let id = |c: usize| w.countries[c].id.as_str();
    let ShockKind::ExportRestriction {
        from,
        products,
        destinations,
        restriction,
    } = &s.shocks[0].kind
    else {
        panic!("not a restriction");
    };
    assert_eq!(id(*from), "CHN");
    assert_eq!(products.len(), 1);
    // `to = "all"` minus `except` minus the exporter itself.
    assert_eq!(destinations.len(), w.countries.len() - 3);
    assert!(!destinations
        .iter()
        .any(|&c| ["CHN", "KOR", "JPN"].contains(&id(c))));
    assert_eq!(*restriction, Restriction::Ban);
    assert!(s.shocks[0].ramp_months.is_some());

    let ShockKind::ExportRestriction {
        destinations,
        restriction:
            Restriction::License {
                approval,
                delay_months,
            },
        ..
    } = &s.shocks[1].kind
    else {
        panic!("not a licence");
    };
    assert_eq!(
        destinations.iter().map(|&c| id(c)).collect::<Vec<_>>(),
        ["USA", "EU27"]
    );
    assert!(matches!(
        s.parameter(*approval).quantity.distribution,
        Distribution::Beta { .. }
    ));
    assert_eq!(s.parameter(*delay_months).rounding, Rounding::Months);
    assert!(matches!(
        &s.shocks[2].kind,
        ShockKind::ExportRestriction {
            restriction: Restriction::Quota { .. },
            ..
        }
    ));
    assert!(matches!(
        &s.shocks[3].kind,
        ShockKind::ExportRestriction {
            restriction: Restriction::Tariff { .. },
            ..
        }
    ));
    // Tariffs do not split markets, so only three pairs can be split.
    assert_eq!(s.restricted_pairs().len(), 4);
}

#[test]
fn other_kinds_resolve() {
    let s = every_shock();
    assert!(matches!(s.shocks[4].kind, ShockKind::Capacity { .. }));
    assert!(matches!(
        s.shocks[5].kind,
        ShockKind::Outage {
            outage: Outage::Loss(_),
            ..
        }
    ));
    let ShockKind::Outage {
        outage: Outage::Random { stream, .. },
        ..
    } = &s.shocks[6].kind
    else {
        panic!("not a random outage");
    };
    assert_eq!(*stream, StreamId::named("shock.outage.7.outage_months"));
    let ShockKind::Demand {
        countries,
        change: DemandChange::Multiplier(_),
        ..
    } = &s.shocks[7].kind
    else {
        panic!("not a demand multiplier");
    };
    assert_eq!(countries.len(), s.world.countries.len());
    assert!(
        matches!(&s.shocks[8].kind, ShockKind::Demand { change: DemandChange::Growth(_), countries, .. } if countries.len() == 2)
    );
    let ShockKind::Stockpile {
        tonnes,
        buy_tpa,
        release_below_fill,
        max_release_tpm,
        ..
    } = s.shocks[9].kind
    else {
        panic!("not a stockpile");
    };
    assert!(
        tonnes.is_some()
            && buy_tpa.is_some()
            && release_below_fill.is_some()
            && max_release_tpm.is_some()
    );
    let ndpr = s.world.product_index("ndpr_oxide").unwrap();
    assert!(
        matches!(s.shocks[10].kind, ShockKind::Set { field: WorldField::Product(p, ProductField::EShort), .. } if p == ndpr)
    );
    let china = s.world.country_index("CHN").unwrap();
    let magnet = s.world.process_index("magnet").unwrap();
    assert!(
        matches!(s.shocks[11].kind, ShockKind::Set { field: WorldField::Plant(c, j, PlantField::Avail), .. } if c == china && j == magnet)
    );
}

#[test]
fn uncertain_parameters_are_listed_with_their_paths() {
    let s = every_shock();
    let scenario_paths: Vec<&str> = s
        .uncertain_parameters()
        .filter(|p| p.target == Target::Shock)
        .map(|p| p.path.as_str())
        .collect();
    for path in [
        "shock.ban.duration_months",
        "shock.licence.approval",
        "shock.licence.delay_months",
        "shock.export_restriction.3.tonnes_per_year",
        "shock.export_restriction.4.probability",
        "shock.new_mine.change_tpa",
        "shock.new_mine.start_month",
        "shock.set.11.value",
    ] {
        assert!(
            scenario_paths.contains(&path),
            "{path} missing from {scenario_paths:?}"
        );
    }
    // The world's uncertain figures come along, named by their set paths.
    assert!(s
        .uncertain_parameters()
        .any(|p| p.path == "products.ndpr_oxide.e_short" && matches!(p.target, Target::World(_))));
}

#[test]
fn draws_respect_distributions_rounding_and_groups() {
    let s = every_shock();
    let index = |path: &str| s.parameters.iter().position(|p| p.path == path).unwrap();
    let (start, delay) = (
        index("shock.new_mine.start_month"),
        index("shock.licence.delay_months"),
    );
    let mut occurs_ban = 0;
    for trial in 0..400 {
        let draw = s.draw(trial);
        assert_eq!(
            draw,
            s.draw(trial),
            "draws are a pure function of the trial"
        );
        let start = draw.values[start];
        assert!(
            start == start.round() && (0.0..=24.0).contains(&start),
            "{start}"
        );
        assert!([1.0, 2.0, 3.0].contains(&draw.values[delay]));
        // The ban (probability 1) and the licence (0.7) share the group's one
        // draw: whenever the licence happens, so does the ban.
        if draw.occurs[1] {
            assert!(draw.occurs[0]);
        }
        occurs_ban += usize::from(draw.occurs[0]);
    }
    assert_eq!(occurs_ban, 400);
}

#[test]
fn shared_parameters_draw_the_same_values_across_scenarios() {
    // Common random numbers: the same path and seed give the same draw.
    let a = every_shock();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/every_shock.toml"
    ))
    .unwrap();
    let b = Scenario::from_toml(
        "changed.toml",
        text.replace("multiplier = 1.2", "multiplier = 1.5"),
        ".",
    )
    .unwrap();
    let path = "shock.ban.duration_months";
    let ia = a.parameters.iter().position(|p| p.path == path).unwrap();
    let ib = b.parameters.iter().position(|p| p.path == path).unwrap();
    for trial in 0..50 {
        assert_eq!(a.draw(trial).values[ia], b.draw(trial).values[ib]);
    }
}

#[test]
fn a_world_path_is_resolved_relative_to_the_scenario() {
    let dir = std::env::temp_dir().join(format!("shortfall-world-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("worlds")).unwrap();
    std::fs::write(
        dir.join("worlds/mine.toml"),
        shortfall::world::DEFAULT_WORLD_TOML,
    )
    .unwrap();
    let scenario = "[scenario]\nworld = \"worlds/mine.toml\"\nhorizon_months = 3\ntrials = 1\nseed = 0\nreport = [{ country = \"USA\", product = \"y_oxide\" }]\n";
    std::fs::write(dir.join("s.toml"), scenario).unwrap();
    let s = Scenario::from_path(dir.join("s.toml")).unwrap();
    assert_eq!(s.world.file, dir.join("worlds/mine.toml"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn more_quota_restrictions_than_the_engine_holds_are_refused_at_the_one_too_many() {
    let quota = |k: usize| {
        format!(
            "[[shock]]\nkind = \"export_restriction\"\nfrom = \"CHN\"\nproducts = [\"y_oxide\"]\n\
             mode = \"quota\"\ntonnes_per_year = {k}\nstart_month = 0\n"
        )
    };
    let text = |n: usize| {
        let mut text = String::from(
            "[scenario]\nhorizon_months = 2\ntrials = 1\nseed = 1\n\
             report = [{ country = \"USA\", product = \"y_oxide\" }]\n",
        );
        (0..n).for_each(|k| text.push_str(&quota(k)));
        text
    };
    assert!(Scenario::from_toml("quotas.toml", text(64), ".").is_ok());
    let error = Scenario::from_toml("quotas.toml", text(65), ".")
        .expect_err("65 quotas")
        .to_string();
    assert!(
        error.contains("at most 64 quota restrictions") && error.contains("export_restriction.65"),
        "{error}"
    );
}
