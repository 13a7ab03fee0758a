//! Reading TOML with positions: the front end shared by world and scenario files.
//!
//! Both file formats are read by walking a spanned TOML tree by hand rather than
//! through `serde`, so that every error can name the file, line and column, say
//! what was expected and what was found, and suggest the nearest valid key or id.
//! This module owns that walking ([`Source`], [`Table`], [`Value`]), the error type
//! for it ([`InputError`]) and the reading of numbers that may be uncertain
//! ([`Figure`]: a [`Quantity`] with its provenance).

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::distributions::{Distribution, DistributionError, Quantity};

/// Resource limits, checked before anything is allocated, so that a careless
/// or hostile file cannot make the program eat all memory or run for days.
///
/// The defaults leave room for studies far larger than the default world (100x
/// its countries, a million trials of a century); a program or the command line
/// can raise them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest scenario or world file read, bytes.
    pub max_file_bytes: u64,
    /// Most countries in a world.
    pub max_countries: usize,
    /// Most products in a world.
    pub max_products: usize,
    /// Most processes in a world.
    pub max_processes: usize,
    /// Most shocks in a scenario.
    pub max_shocks: usize,
    /// Most report entries in a scenario.
    pub max_report_entries: usize,
    /// Most correlations in a scenario.
    pub max_correlations: usize,
    /// Most trials.
    pub max_trials: u32,
    /// Longest horizon, months.
    pub max_horizon_months: u32,
    /// Most work: trials x months x countries x (products + processes).
    pub max_work: f64,
    /// Most price-fan cells kept in memory: report entries x months.
    pub max_fan_cells: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 4 << 20,
            max_countries: 2_000,
            max_products: 500,
            max_processes: 500,
            max_shocks: 10_000,
            max_report_entries: 2_000,
            max_correlations: 1_000,
            max_trials: 50_000_000,
            max_horizon_months: 1_200,
            max_work: 1e13,
            max_fan_cells: 500_000,
        }
    }
}

impl Limits {
    /// These limits without the ones on a run's size (trials, horizon, work,
    /// fan cells): for a study meant to be huge. File and world sizes stay.
    pub fn with_run_size_lifted(self) -> Limits {
        Limits {
            max_trials: u32::MAX,
            max_horizon_months: u32::MAX,
            max_work: f64::INFINITY,
            max_fan_cells: u64::MAX,
            ..self
        }
    }
}

/// A limit an input exceeds.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}{what}: {found} exceeds the limit of {limit}{}", location.as_ref().map_or(String::new(), |l| format!("{l}: ")), hint.map_or(String::new(), |h| format!(" ({h})")))]
pub struct LimitError {
    /// Where, when the input names it.
    pub location: Option<Location>,
    /// What was counted.
    pub what: String,
    /// How much was found.
    pub found: String,
    /// The limit.
    pub limit: String,
    /// How to raise it, where that makes sense.
    pub hint: Option<&'static str>,
}

impl LimitError {
    /// Fails when `found` entries (of a list or table at `location`) exceed
    /// `limit`, before any of them is read.
    pub(crate) fn check_count(
        location: Location,
        what: &str,
        found: usize,
        limit: usize,
    ) -> Result<(), LimitError> {
        if found <= limit {
            return Ok(());
        }
        Err(LimitError {
            location: Some(location),
            what: format!("number of {what}"),
            found: found.to_string(),
            limit: limit.to_string(),
            hint: None,
        })
    }
}

/// Reads a file of at most `limits.max_file_bytes`, checking its size before
/// reading (and while reading, should it grow).
pub fn read_limited(path: &Path, limits: &Limits) -> std::io::Result<Result<String, LimitError>> {
    use std::io::Read;
    let too_large = |found: u64| LimitError {
        location: None,
        what: format!("{} size", path.display()),
        found: format!("{found} bytes"),
        limit: format!("{} bytes", limits.max_file_bytes),
        hint: None,
    };
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Ok(Err(too_large(size)));
    }
    let mut text = String::new();
    file.take(limits.max_file_bytes + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > limits.max_file_bytes {
        return Ok(Err(too_large(text.len() as u64)));
    }
    Ok(Ok(text))
}

/// A position in an input file, 1-based, as editors show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it (or `<default world>` for the embedded one).
    pub file: PathBuf,
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters, counting from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A problem at one place of an input file.
///
/// The message says what was expected and what was found; where the input named
/// something that does not exist, it suggests the nearest valid name.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct InputError {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub kind: InputErrorKind,
}

/// The kinds of [`InputError`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The file is not valid TOML.
    #[error("invalid TOML: {message}")]
    Syntax {
        /// The parser's description.
        message: String,
    },
    /// A key that this table does not have.
    #[error(
        "unknown key `{key}` in {context}; expected one of {}{}",
        list(expected),
        did_you_mean(suggestion)
    )]
    UnknownKey {
        /// The key found.
        key: String,
        /// The table it was found in.
        context: String,
        /// The keys this table takes.
        expected: Vec<String>,
        /// The nearest valid key, if one is close.
        suggestion: Option<String>,
    },
    /// A required key is absent.
    #[error("{context} needs `{key}` ({what})")]
    MissingKey {
        /// The missing key.
        key: String,
        /// The table that lacks it.
        context: String,
        /// What the key is for.
        what: String,
    },
    /// A value of the wrong TOML type.
    #[error("{context}: expected {expected}, found {found}")]
    WrongType {
        /// The key path of the value.
        context: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A name that does not refer to anything in the world.
    #[error("{context}: unknown {what} `{found}`{}", did_you_mean(suggestion))]
    UnknownId {
        /// The key path of the value.
        context: String,
        /// What kind of thing was named (country, product, ...).
        what: &'static str,
        /// The name found.
        found: String,
        /// The nearest valid id.
        suggestion: Option<String>,
    },
    /// A value of the right type that the model cannot accept.
    #[error("{context}: expected {expected}, found {found}")]
    OutOfRange {
        /// The key path of the value.
        context: String,
        /// What would be accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// Distribution parameters that do not describe a distribution.
    #[error("{context}: invalid distribution: {source}")]
    Distribution {
        /// The key path of the distribution.
        context: String,
        /// What is wrong with it.
        source: DistributionError,
    },
    /// Anything else, stated in full.
    #[error("{context}: {message}")]
    Invalid {
        /// The key path concerned.
        context: String,
        /// The whole message.
        message: String,
    },
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// The text of one input file and how to turn byte offsets into lines and columns.
#[derive(Debug)]
pub struct Source {
    name: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps `text`, read from the file shown to users as `name`.
    pub fn new(name: impl Into<PathBuf>, text: impl Into<String>) -> Source {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The file name shown in messages.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column of a byte offset.
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }

    /// Parses the text as a TOML document and hands its root table to `read`.
    pub fn read<T, E: From<InputError>>(
        &self,
        read: impl FnOnce(Table<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let root = DeTable::parse(&self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_string();
            InputError {
                location: self.location(offset),
                kind: InputErrorKind::Syntax { message },
            }
        });
        let root = root?;
        read(Table {
            source: self,
            context: String::from("the top level"),
            span: root.span(),
            entries: root.get_ref(),
        })
    }

    fn error(&self, span: &std::ops::Range<usize>, kind: InputErrorKind) -> InputError {
        InputError {
            location: self.location(span.start),
            kind,
        }
    }
}

/// A TOML table being read, with the key path that leads to it.
#[derive(Clone)]
pub struct Table<'a> {
    source: &'a Source,
    context: String,
    span: std::ops::Range<usize>,
    entries: &'a DeTable<'a>,
}

impl<'a> Table<'a> {
    /// The key path of this table, for messages (`countries.CHN`, `shock[2]`).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The table under another name in messages (`shock[2] (export_ban)`).
    pub fn renamed(mut self, context: impl Into<String>) -> Table<'a> {
        self.context = context.into();
        self
    }

    /// Fails on the first key that is not in `allowed`, suggesting the nearest.
    pub fn expect_keys(&self, allowed: &[&str]) -> Result<(), InputError> {
        for (key, _) in self.entries.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let found = key.get_ref().to_string();
                return Err(self.source.error(
                    &key.span(),
                    InputErrorKind::UnknownKey {
                        suggestion: nearest(&found, allowed.iter().copied()),
                        key: found,
                        context: self.context.clone(),
                        expected: allowed.iter().map(|s| s.to_string()).collect(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// The value under `key`, if present.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.entries.get_key_value(key).map(|(k, v)| Value {
            source: self.source,
            context: self.child_context(k.get_ref()),
            key_span: k.span(),
            value: v,
        })
    }

    /// The value under `key`, or an error saying what it is for.
    pub fn require(&self, key: &str, what: &str) -> Result<Value<'a>, InputError> {
        self.get(key).ok_or_else(|| {
            self.source.error(
                &self.span,
                InputErrorKind::MissingKey {
                    key: key.to_string(),
                    context: self.context.clone(),
                    what: what.to_string(),
                },
            )
        })
    }

    /// The entries in file order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + '_ {
        self.entries.iter().map(|(k, v)| {
            (
                k.get_ref().as_ref(),
                Value {
                    source: self.source,
                    context: self.child_context(k.get_ref()),
                    key_span: k.span(),
                    value: v,
                },
            )
        })
    }

    /// Where the table starts.
    pub fn location(&self) -> Location {
        self.source.location(self.span.start)
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// An error about this table as a whole.
    pub fn error(&self, kind: InputErrorKind) -> InputError {
        self.source.error(&self.span, kind)
    }

    /// An [`InputErrorKind::Invalid`] error about this table.
    pub fn invalid(&self, message: impl Into<String>) -> InputError {
        self.error(InputErrorKind::Invalid {
            context: self.context.clone(),
            message: message.into(),
        })
    }

    fn child_context(&self, key: &str) -> String {
        if self.context == "the top level" {
            key.to_string()
        } else {
            format!("{}.{key}", self.context)
        }
    }
}

/// One TOML value being read, with its key path.
#[derive(Clone)]
pub struct Value<'a> {
    source: &'a Source,
    context: String,
    key_span: std::ops::Range<usize>,
    value: &'a Spanned<DeValue<'a>>,
}

impl<'a> Value<'a> {
    /// The key path of this value, for messages.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Where the value starts.
    pub fn location(&self) -> Location {
        self.source.location(self.value.span().start)
    }

    /// Where the key of this value starts (its value's position if it has no key).
    pub fn key_location(&self) -> Location {
        self.source.location(self.key_span.start)
    }

    /// An error at this value.
    pub fn error(&self, kind: InputErrorKind) -> InputError {
        self.source.error(&self.value.span(), kind)
    }

    /// An [`InputErrorKind::Invalid`] error at this value.
    pub fn invalid(&self, message: impl Into<String>) -> InputError {
        self.error(InputErrorKind::Invalid {
            context: self.context.clone(),
            message: message.into(),
        })
    }

    /// An [`InputErrorKind::OutOfRange`] error at this value.
    pub fn out_of_range(
        &self,
        expected: impl Into<String>,
        found: impl fmt::Display,
    ) -> InputError {
        self.error(InputErrorKind::OutOfRange {
            context: self.context.clone(),
            expected: expected.into(),
            found: found.to_string(),
        })
    }

    /// An [`InputErrorKind::UnknownId`] error at this value, suggesting the nearest
    /// of `valid`.
    pub fn unknown_id<'v>(
        &self,
        what: &'static str,
        found: &str,
        valid: impl IntoIterator<Item = &'v str>,
    ) -> InputError {
        self.error(InputErrorKind::UnknownId {
            context: self.context.clone(),
            what,
            found: found.to_string(),
            suggestion: nearest(found, valid),
        })
    }

    fn wrong_type(&self, expected: &str) -> InputError {
        self.error(InputErrorKind::WrongType {
            context: self.context.clone(),
            expected: expected.to_string(),
            found: describe(self.value.get_ref()),
        })
    }

    /// The same value under another key path (an array element, say).
    fn child(&self, context: String, value: &'a Spanned<DeValue<'a>>) -> Value<'a> {
        Value {
            source: self.source,
            context,
            key_span: value.span(),
            value,
        }
    }

    /// The value as a string.
    pub fn as_str(&self) -> Result<&'a str, InputError> {
        match self.value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// The value as a finite number (TOML integer or float).
    pub fn as_f64(&self) -> Result<f64, InputError> {
        let x = match self.value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(|i| i as f64)
                .map_err(|_| self.out_of_range("an integer that fits in 64 bits", i))?,
            DeValue::Float(f) => {
                // TOML floats are already checked by the parser; a failure here
                // means an exotic spelling, reported rather than trusted.
                f.as_str()
                    .replace('_', "")
                    .parse::<f64>()
                    .map_err(|_| self.wrong_type("a number"))?
            }
            _ => return Err(self.wrong_type("a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.out_of_range("a finite number", x))
        }
    }

    /// The value as a non-negative integer.
    pub fn as_u64(&self) -> Result<u64, InputError> {
        match self.value.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.out_of_range("a non-negative integer", i)),
            _ => Err(self.wrong_type("an integer")),
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self) -> Result<bool, InputError> {
        match self.value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.wrong_type("true or false")),
        }
    }

    /// The value as a table.
    pub fn as_table(&self) -> Result<Table<'a>, InputError> {
        match self.value.get_ref() {
            DeValue::Table(t) => Ok(Table {
                source: self.source,
                context: self.context.clone(),
                span: self.value.span(),
                entries: t,
            }),
            _ => Err(self.wrong_type("a table")),
        }
    }

    /// Whether the value is a table.
    pub fn is_table(&self) -> bool {
        matches!(self.value.get_ref(), DeValue::Table(_))
    }

    /// Whether the value is a string.
    pub fn is_str(&self) -> bool {
        matches!(self.value.get_ref(), DeValue::String(_))
    }

    /// The elements of an array, each with its index in the key path.
    pub fn as_array(&self) -> Result<Vec<Value<'a>>, InputError> {
        match self.value.get_ref() {
            DeValue::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| self.child(format!("{}[{}]", self.context, i + 1), v))
                .collect()),
            _ => Err(self.wrong_type("an array")),
        }
    }

    /// A list of strings, accepting a single string as a list of one.
    pub fn as_str_list(&self) -> Result<Vec<(&'a str, Value<'a>)>, InputError> {
        if let DeValue::String(s) = self.value.get_ref() {
            return Ok(vec![(s.as_ref(), self.clone())]);
        }
        self.as_array()
            .map_err(|_| self.wrong_type("a string or an array of strings"))?
            .into_iter()
            .map(|v| Ok((v.as_str()?, v)))
            .collect()
    }

    /// A number that may be uncertain, with its provenance: a plain number, a
    /// distribution table (`{ dist = "pert", min, mode, max }`, see
    /// [`crate::distributions`]), or `{ value = ..., source, year, note }`.
    /// Its support must lie in `domain`.
    pub fn figure(&self, domain: Domain) -> Result<Figure, InputError> {
        let figure = match self.value.get_ref() {
            DeValue::Table(_) => self.figure_table()?,
            _ => Figure {
                quantity: Quantity::fixed(self.as_f64().map_err(|e| self.explain_number(e))?),
                provenance: None,
            },
        };
        domain
            .check(&figure.quantity)
            .map_err(|expected| self.out_of_range(expected, figure.quantity.to_string()))?;
        Ok(figure)
    }

    fn explain_number(&self, e: InputError) -> InputError {
        match e.kind {
            InputErrorKind::WrongType { .. } => self.wrong_type(
                "a number, a distribution table such as { dist = \"pert\", min = 1, mode = 2, max = 3 }, or { value = 1, source = \"...\" }",
            ),
            _ => e,
        }
    }

    fn figure_table(&self) -> Result<Figure, InputError> {
        let table = self.as_table()?;
        let provenance = Provenance::read(&table)?;
        let quantity = if let Some(value) = table.get("value") {
            table.expect_keys(&["value", "source", "year", "note", "range"])?;
            if value.is_table() {
                // A sourced distribution: `value = { dist = ... }`.
                value.distribution_table()?
            } else {
                let x = value.as_f64()?;
                if let Some((lo, hi)) = provenance.as_ref().and_then(|p| p.range) {
                    if !(lo <= x && x <= hi) {
                        return Err(table.invalid(format!(
                            "the value {x} lies outside its range [{lo}, {hi}]"
                        )));
                    }
                }
                Quantity::fixed(x)
            }
        } else if table.get("dist").is_some() {
            self.distribution_table()?
        } else {
            return Err(table.error(InputErrorKind::MissingKey {
                key: "dist".into(),
                context: self.context.clone(),
                what: "a number table needs `dist = \"...\"` (a distribution) or `value = ...`"
                    .into(),
            }));
        };
        Ok(Figure {
            quantity,
            provenance,
        })
    }

    fn distribution_table(&self) -> Result<Quantity, InputError> {
        const KINDS: [&str; 7] = [
            "uniform",
            "triangular",
            "pert",
            "normal",
            "lognormal",
            "beta",
            "discrete",
        ];
        const PROVENANCE: [&str; 3] = ["source", "year", "note"];
        let table = self.as_table()?;
        let dist_value = table.require("dist", "the name of a distribution")?;
        let kind = dist_value.as_str()?;
        let params: &[&str] = match kind {
            "uniform" => &["min", "max"],
            "triangular" | "pert" => &["min", "mode", "max"],
            "normal" => &["mean", "sd"],
            "lognormal" => &["median", "sd_log"],
            "beta" => &["alpha", "beta"],
            "discrete" => &["values", "weights"],
            _ => return Err(dist_value.unknown_id("distribution", kind, KINDS)),
        };
        let optional: &[&str] = if kind == "beta" { &["min", "max"] } else { &[] };
        let allowed: Vec<&str> = ["dist", "clamp"]
            .iter()
            .chain(params)
            .chain(optional)
            .chain(PROVENANCE.iter())
            .copied()
            .collect();
        table.expect_keys(&allowed)?;
        let number = |key: &str| -> Result<f64, InputError> {
            table
                .require(key, &format!("a parameter of the {kind} distribution"))?
                .as_f64()
        };
        let numbers = |key: &str| -> Result<Vec<f64>, InputError> {
            table
                .require(key, &format!("a parameter of the {kind} distribution"))?
                .as_array()?
                .iter()
                .map(Value::as_f64)
                .collect()
        };
        let distribution = match kind {
            "uniform" => Distribution::uniform(number("min")?, number("max")?),
            "triangular" => {
                Distribution::triangular(number("min")?, number("mode")?, number("max")?)
            }
            "pert" => Distribution::pert(number("min")?, number("mode")?, number("max")?),
            "normal" => Distribution::normal(number("mean")?, number("sd")?),
            "lognormal" => Distribution::lognormal(number("median")?, number("sd_log")?),
            "beta" => {
                let (alpha, beta) = (number("alpha")?, number("beta")?);
                match (table.get("min"), table.get("max")) {
                    (None, None) => Distribution::beta(alpha, beta),
                    (Some(lo), Some(hi)) => {
                        Distribution::beta_on(alpha, beta, lo.as_f64()?, hi.as_f64()?)
                    }
                    _ => {
                        return Err(table.invalid(
                            "a beta distribution takes both `min` and `max`, or neither (0..1)",
                        ))
                    }
                }
            }
            _ => Distribution::discrete(numbers("values")?, numbers("weights")?),
        }
        .map_err(|source| {
            self.error(InputErrorKind::Distribution {
                context: self.context.clone(),
                source,
            })
        })?;
        let clamp = match table.get("clamp") {
            None => None,
            Some(c) => {
                let bounds = c.as_array()?;
                if bounds.len() != 2 {
                    return Err(c.error(InputErrorKind::WrongType {
                        context: c.context().to_string(),
                        expected: "two numbers [lo, hi]".into(),
                        found: format!("an array of {}", bounds.len()),
                    }));
                }
                Some((bounds[0].as_f64()?, bounds[1].as_f64()?))
            }
        };
        Quantity::new(distribution, clamp).map_err(|source| {
            self.error(InputErrorKind::Distribution {
                context: self.context.clone(),
                source,
            })
        })
    }
}

/// Where a figure comes from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    /// The publication, data set or reasoning it rests on.
    pub source: Option<String>,
    /// The year the figure describes.
    pub year: Option<i64>,
    /// Anything a reader needs to weigh it (revisions, ranges, estimates).
    pub note: Option<String>,
    /// Where sources disagree on a figure the model keeps fixed: the low and
    /// high values they give (`range = [lo, hi]`).
    pub range: Option<(f64, f64)>,
}

impl Provenance {
    fn read(table: &Table<'_>) -> Result<Option<Provenance>, InputError> {
        let text = |key| {
            table
                .get(key)
                .map(|v| v.as_str().map(str::to_string))
                .transpose()
        };
        let range = match table.get("range") {
            None => None,
            Some(v) => {
                let bounds = v.as_array()?;
                let pair = match bounds.as_slice() {
                    [lo, hi] => (lo.as_f64()?, hi.as_f64()?),
                    _ => {
                        return Err(v.out_of_range(
                            "two numbers [lo, hi]",
                            format!("an array of {}", bounds.len()),
                        ))
                    }
                };
                if pair.0 > pair.1 {
                    return Err(v.out_of_range(
                        "[lo, hi] with lo <= hi",
                        format!("[{}, {}]", pair.0, pair.1),
                    ));
                }
                Some(pair)
            }
        };
        let provenance = Provenance {
            source: text("source")?,
            note: text("note")?,
            year: table
                .get("year")
                .map(|v| v.as_u64().map(|y| y as i64))
                .transpose()?,
            range,
        };
        Ok((provenance != Provenance::default()).then_some(provenance))
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = &self.source {
            parts.push(s.clone());
        }
        if let Some(y) = self.year {
            parts.push(y.to_string());
        }
        if let Some((lo, hi)) = self.range {
            parts.push(format!("sources range {lo} to {hi}"));
        }
        if let Some(n) = &self.note {
            parts.push(n.clone());
        }
        f.write_str(&parts.join("; "))
    }
}

/// A number of the model, possibly uncertain, with where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// The value or its distribution.
    pub quantity: Quantity,
    /// Its source, if the input gave one.
    pub provenance: Option<Provenance>,
}

impl Figure {
    /// A fixed figure without a source (a model default).
    pub fn fixed(x: f64) -> Figure {
        Figure {
            quantity: Quantity::fixed(x),
            provenance: None,
        }
    }

    /// The single number that stands for the figure (see [`Quantity::central`]).
    pub fn central(&self) -> f64 {
        self.quantity.central()
    }
}

/// The largest magnitude any number of a world or scenario may have.
pub const MAX_MAGNITUDE: f64 = 1e12;
/// The smallest magnitude of a number that must be positive (elasticities,
/// speeds, prices): smaller ones would overflow ratios such as `kappa / e_short`.
pub const MIN_MAGNITUDE: f64 = 1e-9;

/// The values a field accepts; a distribution must keep all its draws inside.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Any finite number.
    Any,
    /// `x >= 0`: capacities, tonnes, months, rates.
    NonNegative,
    /// `x > 0`: multipliers, prices, speeds.
    Positive,
    /// `0 <= x <= 1`: shares and probabilities.
    Share,
    /// `x >= lo`.
    AtLeast(f64),
    /// `lo <= x <= hi`.
    Between(f64, f64),
}

impl Domain {
    /// Checks that every value `q` can take lies in the domain; on failure, says
    /// what the domain is.
    pub fn check(self, q: &Quantity) -> Result<(), String> {
        let (lo, hi) = q.support();
        // Magnitudes beyond any physical figure (world rare-earth output is
        // 4e5 t a year) would only overflow the engine's products and sums.
        let beyond = |x: f64| x.is_finite() && x.abs() > MAX_MAGNITUDE;
        if beyond(lo)
            || beyond(hi)
            || (lo != 0.0 && lo.abs() < MIN_MAGNITUDE && self == Domain::Positive)
        {
            return Err(format!(
                "a number of magnitude between {MIN_MAGNITUDE:e} and {MAX_MAGNITUDE:e}"
            ));
        }
        let (ok, expected) = match self {
            Domain::Any => (true, String::new()),
            Domain::NonNegative => (lo >= 0.0, "a number >= 0".to_string()),
            // A lognormal's support is open at 0: every draw is positive.
            Domain::Positive => (
                lo > 0.0 || (lo == 0.0 && open_at_zero(q)),
                "a number > 0".to_string(),
            ),
            Domain::Share => (lo >= 0.0 && hi <= 1.0, "a share in 0..1".to_string()),
            Domain::AtLeast(min) => (lo >= min, format!("a number >= {min}")),
            Domain::Between(min, max) => {
                (lo >= min && hi <= max, format!("a number in {min}..{max}"))
            }
        };
        if ok {
            Ok(())
        } else if !q.is_uncertain() {
            Err(expected)
        } else if !(lo.is_finite() && hi.is_finite()) {
            Err(format!(
                "{expected} for every draw (an unbounded distribution needs `clamp = [lo, hi]`)"
            ))
        } else {
            Err(format!("{expected} for every draw"))
        }
    }
}

/// Whether a quantity's lowest value is 0 only as an open bound (a lognormal
/// not clamped at 0): no draw is 0.
fn open_at_zero(q: &Quantity) -> bool {
    matches!(q.distribution, Distribution::LogNormal { .. })
        && q.clamp.is_none_or(|(lo, _)| lo > 0.0)
}

/// Describes a TOML value's type for "found ..." messages.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(f) => format!("the number {f}"),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(a) => format!("an array of {}", a.len()),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// The candidate closest to `found` by edit distance, ignoring case; a
/// candidate that extends `found` (or that `found` extends) counts as one edit.
///
/// Always returns the nearest candidate when there is one: a user who mistyped
/// an id is better served by the closest real one than by none.
pub fn nearest<'v>(found: &str, candidates: impl IntoIterator<Item = &'v str>) -> Option<String> {
    let found = found.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let candidate = c.to_lowercase();
            // A truncated name (`horizon` for `horizon_months`) is one edit away.
            let truncated = candidate.starts_with(&found) || found.starts_with(&candidate);
            let distance = edit_distance(&found, &candidate);
            (if truncated { distance.min(1) } else { distance }, c)
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters_from_one() {
        let src = Source::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!((src.location(0).line, src.location(0).column), (1, 1));
        let at = src.text().find("= 2").unwrap();
        assert_eq!((src.location(at).line, src.location(at).column), (2, 4));
    }

    #[test]
    fn nearest_ignores_case_and_prefers_small_edits() {
        let ids = ["CHN", "USA", "JPN", "EU27"];
        assert_eq!(nearest("chn", ids).as_deref(), Some("CHN"));
        assert_eq!(nearest("JPM", ids).as_deref(), Some("JPN"));
        assert_eq!(nearest("EU28", ids).as_deref(), Some("EU27"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let keys = ["loss", "peak_price", "shortfall"];
        assert_eq!(nearest("peak", keys).as_deref(), Some("peak_price"));
    }
}
