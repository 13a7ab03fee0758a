//! Partial results: one shard of a run, written to disk so that shards run on
//! different machines merge into exactly the single run's report.
//!
//! This module owns the partial file format, checking that a set of partials
//! belongs together, and merging them; the statistics' own encoding is
//! [`crate::statistics`]'s.
//!
//! # The file
//!
//! A partial is UTF-8 text, one record per line: a tag, then space-separated
//! tokens. Integers are decimal; every float is its IEEE 754 bit pattern in
//! hex, so statistics round-trip bit for bit; text is the rest of its line,
//! with `\`, newline and carriage return escaped as `\\`, `\n`, `\r`.
//!
//! ```text
//! shortfall-partial 2                 format tag and version (FORMAT_VERSION)
//! crate_version 0.1.0                 the shortfall that wrote it
//! scenario_hash 5c0f...               FNV-1a 64 of the scenario text
//! world_hash 9a31...                  FNV-1a 64 of the world text
//! seed 2025
//! trials 1000000                      the whole run's trials
//! horizon_months 36
//! shard 2 3                           shard K of M, K from 1
//! trial_range 333312 666624           the trials it holds, start..end
//! threads 2                           informational
//! scenario_file scenarios/ban.toml    the scenario as named, for messages
//! scenario_text [scenario]\nname = ...   the scenario file itself
//! world default                       or `world file`, `world_file NAME`,
//!                                     `world_text TEXT`
//! statistics ...                      the statistics, many lines
//! checksum 0123456789abcdef           FNV-1a 64 of every byte above this line
//! ```
//!
//! The scenario and world texts travel in the file, so a merge needs nothing
//! but the partials; their hashes are checked against the header. The
//! checksum catches accidental damage (any changed byte changes it), not
//! tampering.
//!
//! Merging ([`merge`]) refuses partials from different scenarios, worlds,
//! seeds, trial counts, horizons or versions, a shard given twice, a missing
//! shard, and a damaged file, each with a [`PartialError`] naming the files.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::engine::{RunResult, Shard, Stop};
use crate::scenario::{Scenario, ScenarioError, WorldSource};
use crate::statistics::codec::{DecodeError, Decoder, Encoder};
use crate::statistics::{RunStatistics, SENSITIVITY_TRIALS};
use crate::world::{fnv1a64, World, WorldError};

/// The tag on a partial file's first line.
pub const FORMAT_TAG: &str = "shortfall-partial";

/// The version of the partial format this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// Why a partial could not be written, read, or merged with others.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file is not a partial result at all.
    #[error("{} is not a shortfall partial result (it does not start with `{FORMAT_TAG}`)", path.display())]
    NotAPartial {
        /// The file.
        path: PathBuf,
    },
    /// A partial written in a format version this build does not read.
    #[error("{} is in partial format version {found}; this shortfall reads version {FORMAT_VERSION}", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The version it declares.
        found: u32,
    },
    /// A partial that cannot be parsed: damaged or truncated.
    #[error("{} is corrupted: line {line}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line where it stops making sense.
        line: usize,
        /// What was wrong there.
        reason: String,
    },
    /// A partial whose contents do not match its checksum.
    #[error("{} is corrupted: its checksum says {written:016x} but its contents hash to {computed:016x}", path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The checksum the file carries.
        written: u64,
        /// The hash of its contents.
        computed: u64,
    },
    /// A partial that parses but contradicts itself (its trials, statistics
    /// or embedded files do not agree with its header).
    #[error("{} is inconsistent: {reason}", path.display())]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What disagrees.
        reason: String,
    },
    /// Two partials that do not belong to the same run.
    #[error(
        "{} and {} come from different {what}: {} against {}",
        path.display(),
        first.display(),
        value,
        first_value
    )]
    Mismatch {
        /// What differs, plural (`seeds`, `scenarios`, `crate versions`).
        what: &'static str,
        /// The file that differs.
        path: PathBuf,
        /// Its value.
        value: String,
        /// The first file given, which the others are compared with.
        first: PathBuf,
        /// The first file's value.
        first_value: String,
    },
    /// The same shard given twice.
    #[error("shard {shard}/{count} is given twice: {} and {}", first.display(), second.display())]
    DuplicateShard {
        /// The shard, from 1.
        shard: u32,
        /// Shards in the run.
        count: u32,
        /// The first file holding it.
        first: PathBuf,
        /// The second.
        second: PathBuf,
    },
    /// Shards missing from the set.
    #[error("missing {}: given {}", shard_list(missing, *count), given.join(", "))]
    MissingShards {
        /// The missing shards, from 1.
        missing: Vec<u32>,
        /// Shards in the run.
        count: u32,
        /// `K/M (FILE)` for each shard given.
        given: Vec<String>,
    },
    /// No partials to merge.
    #[error("no partial results given")]
    Empty,
    /// A run that is not a whole shard (stopped early or cancelled) cannot be
    /// written as a partial.
    #[error("only a complete shard can be written as a partial: {reason}")]
    Incomplete {
        /// What is missing.
        reason: String,
    },
    /// The scenario or world text differs from the one that was run (the
    /// file changed on disk while it ran).
    #[error("{} changed since it was read; run again", path.display())]
    SourceChanged {
        /// The file.
        path: PathBuf,
    },
    /// The scenario embedded in a partial does not load.
    #[error("{}: the embedded scenario does not load: {source}", path.display())]
    Scenario {
        /// The partial.
        path: PathBuf,
        /// Why.
        source: Box<ScenarioError>,
    },
    /// The world embedded in a partial does not load.
    #[error("{}: the embedded world does not load: {source}", path.display())]
    World {
        /// The partial.
        path: PathBuf,
        /// Why.
        source: Box<WorldError>,
    },
}

/// `shard 2/3` or `shards 2/5, 4/5`.
fn shard_list(shards: &[u32], count: u32) -> String {
    let list: Vec<String> = shards.iter().map(|k| format!("{k}/{count}")).collect();
    let noun = if shards.len() == 1 { "shard" } else { "shards" };
    format!("{noun} {}", list.join(", "))
}

/// What identifies the run a partial belongs to, and which part it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialHeader {
    /// The crate version that wrote it.
    pub crate_version: String,
    /// FNV-1a 64 of the scenario text.
    pub scenario_hash: u64,
    /// FNV-1a 64 of the world text.
    pub world_hash: u64,
    /// Seed of the run.
    pub seed: u64,
    /// Trials of the whole run.
    pub trials: u32,
    /// Months simulated.
    pub horizon_months: u32,
    /// The shard (0-based `index`, as the engine counts; files and messages
    /// say `index + 1`).
    pub shard: Shard,
    /// The trials it holds.
    pub trial_range: Range<u32>,
    /// Worker threads it ran on (informational: results do not depend on it).
    pub threads: usize,
}

/// The world a scenario ran against, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldText {
    /// The embedded default world of this build.
    Default,
    /// A world file.
    File {
        /// Its name, for messages.
        name: PathBuf,
        /// Its text.
        text: String,
    },
}

/// The texts a run was built from, carried in the partial so that a merge
/// can rebuild the scenario without the original files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    /// The scenario file's name, for messages.
    pub scenario_name: PathBuf,
    /// The scenario file's text.
    pub scenario_text: String,
    /// Its world.
    pub world: WorldText,
}

impl Sources {
    /// Reads the files `scenario` was loaded from (its scenario file, and its
    /// world file unless it uses the default world), checking that they still
    /// hash to what was loaded.
    pub fn of(scenario: &Scenario) -> Result<Sources, PartialError> {
        let read = |path: &Path, hash: u64| -> Result<String, PartialError> {
            let text = std::fs::read_to_string(path).map_err(|source| PartialError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            if fnv1a64(text.as_bytes()) != hash {
                return Err(PartialError::SourceChanged {
                    path: path.to_path_buf(),
                });
            }
            Ok(text)
        };
        let world = match &scenario.world_source {
            WorldSource::Default => WorldText::Default,
            WorldSource::File(path) => WorldText::File {
                name: path.clone(),
                text: read(path, scenario.world.hash)?,
            },
        };
        Ok(Sources {
            scenario_name: scenario.file.clone(),
            scenario_text: read(&scenario.file, scenario.hash)?,
            world,
        })
    }

    /// Whether the texts hash to `scenario_hash` and `world_hash`.
    fn check(&self, scenario_hash: u64, world_hash: u64) -> Result<(), String> {
        if fnv1a64(self.scenario_text.as_bytes()) != scenario_hash {
            return Err("the embedded scenario does not match its hash".into());
        }
        match &self.world {
            WorldText::File { text, .. } if fnv1a64(text.as_bytes()) != world_hash => {
                Err("the embedded world does not match its hash".into())
            }
            _ => Ok(()),
        }
    }
}

/// One shard of a run: what identifies it, the texts it ran, and its
/// statistics.
#[derive(Debug)]
pub struct Partial {
    /// Run identity and shard.
    pub header: PartialHeader,
    /// The scenario and world texts.
    pub sources: Sources,
    /// The shard's statistics.
    pub statistics: RunStatistics,
}

impl Partial {
    /// The partial of shard `shard` of a run of `scenario` (with
    /// `scenario.trials` trials in all) that produced `result`.
    ///
    /// Refuses a result that does not hold exactly the shard's trials
    /// (stopped early or cancelled), and sources that do not hash to what
    /// the scenario was loaded from.
    pub fn new(
        scenario: &Scenario,
        sources: Sources,
        shard: Shard,
        result: RunResult,
    ) -> Result<Partial, PartialError> {
        let expected = shard.trials(scenario.trials);
        if result.stop != Stop::Complete
            || result.trials != expected
            || result.statistics.trials() as usize != expected.len()
        {
            return Err(PartialError::Incomplete {
                reason: format!(
                    "shard {}/{} holds trials {}..{}, the run covered {}..{} ({:?})",
                    shard.index + 1,
                    shard.count,
                    expected.start,
                    expected.end,
                    result.trials.start,
                    result.trials.end,
                    result.stop
                ),
            });
        }
        if let Err(reason) = sources.check(scenario.hash, scenario.world.hash) {
            return Err(PartialError::Inconsistent {
                path: sources.scenario_name.clone(),
                reason,
            });
        }
        Ok(Partial {
            header: PartialHeader {
                crate_version: env!("CARGO_PKG_VERSION").to_string(),
                scenario_hash: scenario.hash,
                world_hash: scenario.world.hash,
                seed: scenario.seed,
                trials: scenario.trials,
                horizon_months: scenario.horizon_months,
                shard,
                trial_range: expected,
                threads: result.threads,
            },
            sources,
            statistics: result.statistics,
        })
    }

    /// Writes the partial to `path` atomically (see
    /// [`super::write_atomic_with`]), streaming it: the statistics are never
    /// held as text in memory.
    pub fn write(&self, path: &Path) -> Result<(), PartialError> {
        let failed = |source| PartialError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            failed(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        })?;
        super::write_atomic_with(dir, name, |out| {
            let mut enc = Encoder::new(out);
            self.encode(&mut enc);
            enc.checksum_line("checksum");
            enc.finish()
        })
        .map(|_| ())
        .map_err(failed)
    }

    fn encode(&self, enc: &mut Encoder<'_>) {
        let h = &self.header;
        enc.tag(FORMAT_TAG).u64(u64::from(FORMAT_VERSION));
        enc.tag("crate_version").text(&h.crate_version);
        enc.tag("scenario_hash").hex64(h.scenario_hash);
        enc.tag("world_hash").hex64(h.world_hash);
        enc.tag("seed").u64(h.seed);
        enc.tag("trials").u64(u64::from(h.trials));
        enc.tag("horizon_months").u64(u64::from(h.horizon_months));
        enc.tag("shard")
            .u64(u64::from(h.shard.index) + 1)
            .u64(u64::from(h.shard.count));
        enc.tag("trial_range")
            .u64(u64::from(h.trial_range.start))
            .u64(u64::from(h.trial_range.end));
        enc.tag("threads").u64(h.threads as u64);
        let s = &self.sources;
        enc.tag("scenario_file")
            .text(&s.scenario_name.to_string_lossy());
        enc.tag("scenario_text").text(&s.scenario_text);
        match &s.world {
            WorldText::Default => {
                enc.tag("world").text("default");
            }
            WorldText::File { name, text } => {
                enc.tag("world").text("file");
                enc.tag("world_file").text(&name.to_string_lossy());
                enc.tag("world_text").text(text);
            }
        }
        self.statistics.encode(enc);
    }

    /// Reads a partial and checks it: format and version, every line, the
    /// checksum, and that its trials, statistics and embedded texts agree
    /// with its header. Whether it fits with other partials is [`merge`]'s
    /// business.
    pub fn read(path: &Path) -> Result<Partial, PartialError> {
        let file = File::open(path).map_err(|source| PartialError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut input = BufReader::new(file);
        // Look before reading lines, so that a large file of something else
        // is refused without being read.
        let starts_right = input
            .fill_buf()
            .map_err(|source| PartialError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .starts_with(format!("{FORMAT_TAG} ").as_bytes());
        if !starts_right {
            return Err(PartialError::NotAPartial {
                path: path.to_path_buf(),
            });
        }
        let corrupt = |e: DecodeError| match e {
            DecodeError::Io(source) => PartialError::Read {
                path: path.to_path_buf(),
                source,
            },
            DecodeError::Malformed { line, message } => PartialError::Corrupt {
                path: path.to_path_buf(),
                line,
                reason: message,
            },
        };
        let mut dec = Decoder::new(input);
        let version = {
            let mut f = dec.expect(FORMAT_TAG).map_err(corrupt)?;
            f.u32().map_err(corrupt)?
        };
        if version != FORMAT_VERSION {
            return Err(PartialError::UnsupportedFormat {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let partial = decode_rest(&mut dec).map_err(corrupt)?;
        match dec.checksum("checksum").map_err(corrupt)? {
            Ok(()) => {}
            Err((written, computed)) => {
                return Err(PartialError::Checksum {
                    path: path.to_path_buf(),
                    written,
                    computed,
                })
            }
        }
        partial.check_itself(path)?;
        Ok(partial)
    }

    /// The checks a partial can make on its own.
    fn check_itself(&self, path: &Path) -> Result<(), PartialError> {
        let h = &self.header;
        let inconsistent = |reason: String| PartialError::Inconsistent {
            path: path.to_path_buf(),
            reason,
        };
        if h.shard.count == 0 || h.shard.index >= h.shard.count {
            return Err(inconsistent(format!(
                "shard {}/{} does not exist",
                h.shard.index + 1,
                h.shard.count
            )));
        }
        let expected = h.shard.trials(h.trials);
        if h.trial_range != expected {
            return Err(inconsistent(format!(
                "shard {}/{} of {} trials holds trials {}..{}, not {}..{}",
                h.shard.index + 1,
                h.shard.count,
                h.trials,
                expected.start,
                expected.end,
                h.trial_range.start,
                h.trial_range.end
            )));
        }
        if self.statistics.trials() as usize != expected.len()
            || self.statistics.horizon_months() != h.horizon_months
        {
            return Err(inconsistent(format!(
                "its statistics hold {} trials of {} months, its header says {} of {}",
                self.statistics.trials(),
                self.statistics.horizon_months(),
                expected.len(),
                h.horizon_months
            )));
        }
        // The rank correlations' values: those of the shard's trials below
        // the limit, so that shards concatenate into the run's prefix.
        let kept = (expected.end.min(SENSITIVITY_TRIALS)).saturating_sub(expected.start);
        if self.statistics.uncertain_parameters() > 0
            && self.statistics.sensitivity_trials() != kept as usize
        {
            return Err(inconsistent(format!(
                "it keeps parameter values for {} trials, not {kept}",
                self.statistics.sensitivity_trials()
            )));
        }
        self.sources
            .check(h.scenario_hash, h.world_hash)
            .map_err(inconsistent)
    }

    /// The scenario this partial ran, rebuilt from its embedded texts with
    /// the run's seed, horizon and trials (which the command line may have
    /// overridden).
    pub fn scenario(&self, path: &Path) -> Result<Scenario, PartialError> {
        let h = &self.header;
        let s = &self.sources;
        let world = match &s.world {
            WorldText::Default => World::default_world(),
            WorldText::File { name, text } => World::from_toml(name.clone(), text.clone())
                .map_err(|source| PartialError::World {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?,
        };
        if world.hash != h.world_hash {
            return Err(PartialError::Inconsistent {
                path: path.to_path_buf(),
                reason: format!(
                    "it ran on world {:016x}, but this shortfall's default world is {:016x}",
                    h.world_hash, world.hash
                ),
            });
        }
        let mut scenario =
            Scenario::from_toml_with_world(s.scenario_name.clone(), s.scenario_text.clone(), world)
                .map_err(|source| PartialError::Scenario {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?;
        scenario.seed = h.seed;
        scenario.horizon_months = h.horizon_months;
        scenario.trials = h.trials;
        Ok(scenario)
    }
}

/// Everything after the format line, up to the checksum.
fn decode_rest<R: BufRead>(dec: &mut Decoder<R>) -> Result<Partial, DecodeError> {
    fn one<R: BufRead, T>(
        dec: &mut Decoder<R>,
        tag: &str,
        read: impl FnOnce(&mut crate::statistics::codec::Fields<'_>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut f = dec.expect(tag)?;
        let value = read(&mut f)?;
        f.end()?;
        Ok(value)
    }
    fn text<R: BufRead>(dec: &mut Decoder<R>, tag: &str) -> Result<String, DecodeError> {
        dec.expect(tag)?.text()
    }
    let crate_version = text(dec, "crate_version")?;
    let scenario_hash = one(dec, "scenario_hash", |f| f.hex64())?;
    let world_hash = one(dec, "world_hash", |f| f.hex64())?;
    let seed = one(dec, "seed", |f| f.u64())?;
    let trials = one(dec, "trials", |f| f.u32())?;
    let horizon_months = one(dec, "horizon_months", |f| f.u32())?;
    let (k, count) = one(dec, "shard", |f| Ok((f.u32()?, f.u32()?)))?;
    if k == 0 || k > count {
        return Err(dec.error(format!("shard {k}/{count} does not exist")));
    }
    let (start, end) = one(dec, "trial_range", |f| Ok((f.u32()?, f.u32()?)))?;
    let threads = one(dec, "threads", |f| f.usize())?;
    let scenario_name = PathBuf::from(text(dec, "scenario_file")?);
    let scenario_text = text(dec, "scenario_text")?;
    let world = match text(dec, "world")?.as_str() {
        "default" => WorldText::Default,
        "file" => WorldText::File {
            name: PathBuf::from(text(dec, "world_file")?),
            text: text(dec, "world_text")?,
        },
        other => {
            let shown: String = other.chars().take(24).collect();
            return Err(dec.error(format!(
                "expected `world default` or `world file`, found `world {shown}`"
            )));
        }
    };
    let statistics = RunStatistics::decode(dec)?;
    Ok(Partial {
        header: PartialHeader {
            crate_version,
            scenario_hash,
            world_hash,
            seed,
            trials,
            horizon_months,
            shard: Shard {
                index: k - 1,
                count,
            },
            trial_range: start..end,
            threads,
        },
        sources: Sources {
            scenario_name,
            scenario_text,
            world,
        },
        statistics,
    })
}

/// The statistics of a whole run, merged from its partials.
#[derive(Debug)]
pub struct Merged {
    /// The scenario, rebuilt from the partials with the run's seed, horizon
    /// and trials.
    pub scenario: Scenario,
    /// The run's statistics: the shards' merged in shard order, identical to
    /// a single run's.
    pub statistics: RunStatistics,
    /// The most worker threads any shard ran on (informational).
    pub threads: usize,
    /// Shards merged.
    pub shards: u32,
}

/// Reads every file with [`Partial::read`] and [`merge`]s them.
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, PartialError> {
    let partials = paths
        .iter()
        .map(|p| Partial::read(p).map(|partial| (p.clone(), partial)))
        .collect::<Result<Vec<_>, _>>()?;
    merge(partials)
}

/// Merges the partials of one run, given in any order, into the run's
/// statistics; each comes with the file it was read from, for messages.
///
/// Refuses, naming the files: partials of different format or crate
/// versions, scenarios, worlds, seeds, trial counts, horizons or shard
/// counts; a shard given twice; a missing shard; and statistics not shaped
/// like the scenario's.
pub fn merge(partials: Vec<(PathBuf, Partial)>) -> Result<Merged, PartialError> {
    let Some((first_path, first)) = partials.first() else {
        return Err(PartialError::Empty);
    };
    let first_header = first.header.clone();
    let first_path = first_path.clone();
    for (path, p) in &partials {
        same_run(&first_path, &first_header, path, &p.header)?;
    }

    let count = first_header.shard.count;
    let mut by_shard: Vec<Option<usize>> = vec![None; count as usize];
    for (i, (path, p)) in partials.iter().enumerate() {
        let k = p.header.shard.index as usize;
        // `check_itself` keeps the index below the count; a partial built by
        // hand might not have been through it.
        let Some(slot) = by_shard.get_mut(k) else {
            return Err(PartialError::Inconsistent {
                path: path.clone(),
                reason: format!("shard {}/{count} does not exist", k + 1),
            });
        };
        if let Some(j) = *slot {
            return Err(PartialError::DuplicateShard {
                shard: k as u32 + 1,
                count,
                first: partials[j].0.clone(),
                second: path.clone(),
            });
        }
        *slot = Some(i);
    }
    let missing: Vec<u32> = (1..=count)
        .filter(|&k| by_shard[k as usize - 1].is_none())
        .collect();
    if !missing.is_empty() {
        let mut given: Vec<(u32, String)> = partials
            .iter()
            .map(|(path, p)| {
                let k = p.header.shard.index + 1;
                (k, format!("{k}/{count} ({})", path.display()))
            })
            .collect();
        given.sort();
        return Err(PartialError::MissingShards {
            missing,
            count,
            given: given.into_iter().map(|(_, s)| s).collect(),
        });
    }

    let scenario = first.scenario(&first_path)?;
    let shape = RunStatistics::new(&scenario);
    for (path, p) in &partials {
        p.check_itself(path)?;
        if !p.statistics.same_shape(&shape) {
            return Err(PartialError::Inconsistent {
                path: path.clone(),
                reason: "its statistics are not shaped like its scenario's".into(),
            });
        }
    }

    let threads = partials
        .iter()
        .map(|(_, p)| p.header.threads)
        .max()
        .unwrap_or(1);
    let mut slots: Vec<Option<Partial>> = partials.into_iter().map(|(_, p)| Some(p)).collect();
    let mut statistics: Option<RunStatistics> = None;
    // In shard order: merging is exact only in trial order.
    for i in by_shard.into_iter().flatten() {
        if let Some(p) = slots.get_mut(i).and_then(Option::take) {
            match statistics.as_mut() {
                None => statistics = Some(p.statistics),
                Some(s) => s.merge(p.statistics),
            }
        }
    }
    Ok(Merged {
        statistics: statistics.unwrap_or(shape),
        scenario,
        threads,
        shards: count,
    })
}

/// Checks that `header` (from `path`) belongs to the same run as the first.
fn same_run(
    first_path: &Path,
    first: &PartialHeader,
    path: &Path,
    header: &PartialHeader,
) -> Result<(), PartialError> {
    let mismatch = |what: &'static str, value: String, first_value: String| {
        Err(PartialError::Mismatch {
            what,
            path: path.to_path_buf(),
            value,
            first: first_path.to_path_buf(),
            first_value,
        })
    };
    let hex = |x: u64| format!("{x:016x}");
    if header.crate_version != first.crate_version {
        return mismatch(
            "crate versions",
            format!("shortfall {}", header.crate_version),
            format!("shortfall {}", first.crate_version),
        );
    }
    if header.scenario_hash != first.scenario_hash {
        return mismatch(
            "scenarios",
            format!("scenario {}", hex(header.scenario_hash)),
            format!("scenario {}", hex(first.scenario_hash)),
        );
    }
    if header.world_hash != first.world_hash {
        return mismatch(
            "worlds",
            format!("world {}", hex(header.world_hash)),
            format!("world {}", hex(first.world_hash)),
        );
    }
    if header.seed != first.seed {
        return mismatch(
            "seeds",
            format!("seed {}", header.seed),
            format!("seed {}", first.seed),
        );
    }
    if header.trials != first.trials {
        return mismatch(
            "trial counts",
            format!("{} trials", header.trials),
            format!("{} trials", first.trials),
        );
    }
    if header.horizon_months != first.horizon_months {
        return mismatch(
            "horizons",
            format!("{} months", header.horizon_months),
            format!("{} months", first.horizon_months),
        );
    }
    if header.shard.count != first.shard.count {
        return mismatch(
            "shard counts",
            format!("{} shards", header.shard.count),
            format!("{} shards", first.shard.count),
        );
    }
    Ok(())
}
