//! The `shortfall` command: argument parsing, dispatch and exit codes.
//!
//! Everything here is presentation: the work is done by the library. Output
//! goes to stdout, errors to stderr; the exit code is 0 on success and 1 on bad
//! input.

mod check;
mod merge;
mod run;
mod world;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::Shard;

/// Monte Carlo simulation of shortfalls and prices in rare-earth supply chains.
#[derive(Debug, Parser)]
#[command(name = "shortfall", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a world: each stage's, process's and product's country shares and
    /// HHI, the reserves with their sources, and how far it is from balanced.
    World {
        /// A world file (default: the embedded 2024/2025 rare-earth world).
        #[arg(long, value_name = "FILE")]
        world: Option<PathBuf>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Parse and validate a scenario and its world, and print what it resolved.
    Check {
        /// The scenario file.
        file: PathBuf,
    },
    /// Run a scenario's Monte Carlo trials and report shortfalls, prices,
    /// concentration and sensitivity.
    Run {
        /// The scenario file.
        file: PathBuf,
        /// Trials to run (default: the scenario's).
        #[arg(long)]
        trials: Option<u32>,
        /// Seed of the random streams (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: one per core); results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Months to simulate (default: the scenario's).
        #[arg(long)]
        horizon: Option<u32>,
        #[command(flatten)]
        outputs: run::Outputs,
        /// Run only shard K of M of the trials (K from 1 to M), to be merged
        /// with `shortfall merge`; needs --partial.
        #[arg(long, value_name = "K/M", value_parser = parse_shard, requires = "partial")]
        shard: Option<Shard>,
        /// Write the run's mergeable statistics to PATH (a partial result)
        /// instead of a report; without --shard, the whole run as shard 1/1.
        #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "csv", "svg"])]
        partial: Option<PathBuf>,
        /// Add trials batch by batch until the focus outcome's relative
        /// standard error is at most X (e.g. 0.01); --trials (default: the
        /// scenario's) is the most it runs.
        #[arg(long, value_name = "X", conflicts_with_all = ["shard", "partial"])]
        precision: Option<f64>,
        /// Lift the size limits on trials, horizon and work (file and world
        /// size limits stay): for studies that are meant to be huge.
        #[arg(long)]
        allow_large: bool,
    },
    /// Merge the partial results of a sharded run into its report, the same
    /// byte for byte as the single run's.
    Merge {
        /// The partial results, one per shard, in any order.
        #[arg(required = true, value_name = "PARTIALS")]
        partials: Vec<PathBuf>,
        #[command(flatten)]
        outputs: run::Outputs,
    },
    /// Print one trial month by month: the numbers it contributed to the run.
    Replay {
        /// The scenario file.
        file: PathBuf,
        /// The trial to replay (from 0).
        #[arg(long)]
        trial: u32,
        /// Seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Months to simulate (default: the scenario's).
        #[arg(long)]
        horizon: Option<u32>,
        /// Also write every month row at full precision as tidy CSV to PATH
        /// (`-`: to stdout, instead of the table).
        #[arg(long, value_name = "PATH")]
        csv: Option<PathBuf>,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    // Usage errors are bad input like any other: exit 1 (clap's default is 2);
    // --help and --version still print and exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::World { world, json } => world::run(world.as_deref(), json),
        Command::Check { file } => check::run(&file),
        Command::Run {
            file,
            trials,
            seed,
            threads,
            horizon,
            outputs,
            shard,
            partial,
            precision,
            allow_large,
        } => run::run(run::RunArgs {
            file,
            trials,
            seed,
            threads,
            horizon,
            outputs,
            shard,
            partial,
            precision,
            allow_large,
        }),
        Command::Merge { partials, outputs } => merge::run(&partials, &outputs),
        Command::Replay {
            file,
            trial,
            seed,
            horizon,
            csv,
        } => run::replay(&file, trial, seed, horizon, csv.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// Parses `K/M` (shard K of M, K from 1) into the engine's 0-based [`Shard`].
fn parse_shard(text: &str) -> Result<Shard, String> {
    let (k, m) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not K/M (shard K of M, e.g. 2/8)"))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{text}` is not K/M: `{s}` is not a whole number"))
    };
    let (k, m) = (parse(k)?, parse(m)?);
    if m == 0 || k == 0 || k > m {
        return Err(format!("`{text}`: K must be from 1 to M, and M at least 1"));
    }
    Ok(Shard {
        index: k - 1,
        count: m,
    })
}

/// Writes `text` to stdout. A closed pipe (`shortfall run ... | head`) is not
/// an error: the reader has what it wanted.
pub(crate) fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// Writes `text` to `path` atomically (a temporary file renamed into place).
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    crate::report::write_atomic(dir, name, text)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Formats tonnes with thousands separators (`1,234,567`).
pub(crate) fn tonnes(x: f64) -> String {
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}
