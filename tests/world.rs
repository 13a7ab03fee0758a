//! The default world: it loads, it is balanced, and its computed shares and
//! reserves match the published figures it was built from.

use shortfall::world::{World, WorldError};

fn stage_share(world: &World, stage: &str, country: &str) -> f64 {
    world
        .concentration()
        .stages
        .iter()
        .find(|s| s.name == stage)
        .unwrap_or_else(|| panic!("no stage {stage}"))
        .share_of(country)
}

#[test]
fn default_world_has_the_required_countries_products_and_processes() {
    let world = World::default_world();
    for id in [
        "CHN", "USA", "AUS", "MMR", "MYS", "LAO", "VNM", "THA", "IND", "BRA", "RUS", "JPN", "KOR",
        "EU27", "PAK", "GRL", "TZA", "ZAF", "CAN", "ROW",
    ] {
        assert!(world.countries.iter().any(|c| c.id == id), "missing {id}");
    }
    for id in [
        "conc_light",
        "conc_ionic",
        "ndpr_oxide",
        "dytb_oxide",
        "y_oxide",
        "ndfeb_magnet",
    ] {
        assert!(world.product_index(id).is_some(), "missing product {id}");
    }
    for id in [
        "mine_light",
        "mine_ionic",
        "separate_light",
        "separate_ionic",
        "magnet",
    ] {
        assert!(world.process_index(id).is_some(), "missing process {id}");
    }
}

#[test]
fn china_shares_match_the_sources() {
    let world = World::default_world();
    // USGS MCS2025: ~70% of mining (60-72% across sources and years).
    let mining = stage_share(&world, "mining", "CHN");
    assert!((0.60..=0.72).contains(&mining), "mining {mining}");
    // IEA GCMO 2024/2025: 91-92% of refined output (85-95% across sources).
    let separation = stage_share(&world, "separation", "CHN");
    assert!(
        (0.85..=0.95).contains(&separation),
        "separation {separation}"
    );
    // Seed reporting 89%, IEA 94%: 85-96%.
    let magnet = stage_share(&world, "magnet", "CHN");
    assert!((0.85..=0.96).contains(&magnet), "magnet {magnet}");
}

#[test]
fn hhi_is_consistent_with_the_shares() {
    let world = World::default_world();
    for s in world.concentration().stages {
        let total: f64 = s.shares.iter().map(|x| x.share).sum();
        assert!(
            (total - 1.0).abs() < 1e-12,
            "{} shares sum to {total}",
            s.name
        );
        let hhi: f64 = s.shares.iter().map(|x| (100.0 * x.share).powi(2)).sum();
        assert!((hhi - s.hhi).abs() < 1e-9);
        // China's share alone puts every stage above the 2,500 threshold.
        assert!(s.hhi > 2500.0, "{} HHI {}", s.name, s.hhi);
        assert!(s.shares.windows(2).all(|w| w[0].share >= w[1].share));
    }
}

#[test]
fn reserves_match_usgs_mcs2025() {
    let world = World::default_world();
    let reserves = world.concentration().reserves;
    let of = |id: &str| {
        reserves
            .iter()
            .find(|r| r.country == id)
            .unwrap_or_else(|| panic!("no reserves for {id}"))
    };
    for (id, tonnes) in [
        ("CHN", 44.0e6),
        ("BRA", 21.0e6),
        ("IND", 6.9e6),
        ("AUS", 5.7e6),
        ("RUS", 3.8e6),
        ("VNM", 3.5e6),
        ("USA", 1.9e6),
    ] {
        assert_eq!(of(id).tonnes, tonnes, "{id}");
        assert!(
            of(id).source.contains("USGS"),
            "{id} source: {}",
            of(id).source
        );
    }
    assert_eq!(reserves[0].country, "CHN");
}

#[test]
fn default_world_is_balanced_in_every_month() {
    let world = World::default_world();
    let balance = world.balance(120);
    for row in &balance.rows {
        assert!(
            row.gap_share.abs() < 1e-9,
            "{}: {}",
            row.product,
            row.gap_share
        );
        assert!(
            row.gap_share_last.abs() < 1e-9,
            "{}: {}",
            row.product,
            row.gap_share_last
        );
        assert!(row.output_tpm > 0.0, "{} has no output", row.product);
    }
}

#[test]
fn every_figure_of_the_default_world_has_a_source() {
    use shortfall::world::{CountryProductField, PlantField, ProductField, WorldField};
    let world = World::default_world();
    // Figures left at MODEL.md's defaults (home_weight, d_min, ...) and unit
    // coefficients (a mine makes 1 t of its concentrate per t) need no source;
    // everything the file states does.
    let needs_source = |field: WorldField, value: f64| match field {
        WorldField::Product(_, f) => !matches!(
            f,
            ProductField::HomeWeight | ProductField::DMin | ProductField::DMax | ProductField::MMin
        ),
        WorldField::Input(..) | WorldField::Output(..) => value != 1.0,
        WorldField::Plant(_, _, f) => f == PlantField::Cap0,
        WorldField::Market(_, _, f) => f != CountryProductField::DRef || value > 0.0,
    };
    let unsourced: Vec<String> = world
        .fields()
        .filter(|(field, f)| needs_source(*field, f.central()) && f.provenance.is_none())
        .map(|(field, f)| format!("{} = {}", field.path(&world), f.central()))
        .collect();
    assert!(
        unsourced.is_empty(),
        "figures without a source:\n{}",
        unsourced.join("\n")
    );
}

#[test]
fn countries_are_found_by_id_name_and_alias_ignoring_case() {
    let world = World::default_world();
    let china = world.country_index("CHN").unwrap();
    assert_eq!(world.country_index("china"), Some(china));
    assert_eq!(world.country_index("PRC"), Some(china));
    assert_eq!(world.country_index("burma"), world.country_index("MMR"));
    assert_eq!(world.country_index("Atlantis"), None);
}

#[test]
fn a_cycle_in_the_process_graph_is_named() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bad_scenarios/worlds/cycle.toml"
    );
    match World::from_path(path) {
        Err(WorldError::Cycle { cycle, location }) => {
            assert_eq!(cycle.first(), cycle.last());
            assert!(
                cycle.contains(&"refine".to_string()) && cycle.contains(&"recycle".to_string())
            );
            assert!(location.line > 1);
        }
        other => panic!("expected a cycle error, got {other:?}"),
    }
}
