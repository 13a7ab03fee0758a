//! # shortfall
//!
//! Monte Carlo simulation of risk in critical-mineral supply chains, rare earths
//! first. The model is written down in `MODEL.md` (shipped with the project's
//! shared documents); this crate implements it in one direction of flow:
//!
//! 1. [`input`] reads TOML with positions, so every error names file, line and
//!    column;
//! 2. [`world`] validates a world (products, processes, countries) into index-based
//!    structures, and [`World::default_world`] loads the embedded 2024/2025
//!    rare-earth world;
//! 3. [`scenario`] validates shocks and distributions against a world, turning every
//!    number into a [`scenario::Parameter`] sampled per trial;
//! 4. [`distributions`] samples them from a counter-based generator (Philox4x32-10),
//!    so trial `k` depends on `(seed, k)` alone.
//!
//! ```
//! use shortfall::{Scenario, World};
//!
//! let world = World::default_world();
//! let mining = world.concentration().stages.into_iter().find(|s| s.name == "mining").unwrap();
//! assert!(mining.share_of("CHN") > 0.6);
//!
//! let scenario = Scenario::from_path("scenarios/export_ban.toml")?;
//! assert_eq!(scenario.horizon_months, 36);
//! # Ok::<(), shortfall::scenario::ScenarioError>(())
//! ```

#![warn(missing_docs)]
// Input errors carry a location and a message with suggestions (~140 bytes).
// They are built once per failed parse, off every hot path; boxing them would
// buy nothing measurable and cost a layer of indirection in every match.
#![allow(clippy::result_large_err)]
// No panics on any input: `unwrap` and `expect` only where a comment says why
// they cannot fail, under an explicit `allow`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod distributions;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod math;
pub mod report;
pub mod scenario;
pub mod statistics;
pub mod world;

#[cfg(feature = "cli")]
pub mod cli;

pub use scenario::{Scenario, ScenarioError};
pub use world::{World, WorldError};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
