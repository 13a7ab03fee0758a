//! A line-oriented text encoding for mergeable statistics, with a running
//! checksum: the body format of partial results ([`crate::report::partial`]).
//!
//! Each line is a tag followed by space-separated tokens. Integers are
//! decimal; every `f64` is its IEEE 754 bit pattern in lowercase hex without
//! leading zeros (`0` for `+0.0`), so values round-trip bit for bit, NaN
//! payloads and the sign of zero included. Text (names, file contents) is
//! the rest of its line with `\`, newline and carriage return escaped as
//! `\\`, `\n` and `\r`.
//!
//! Both sides keep an FNV-1a 64 hash of every byte written or read, so a file
//! can end with a checksum of everything before it. It guards against
//! accidental corruption (a truncated copy, a flipped bit: any single changed
//! byte always changes it), not against deliberate tampering.
//!
//! Decoding never panics and never trusts a length it reads for more than a
//! bounded preallocation: a corrupted file is an error naming its line.

use std::io::{self, BufRead, Write};

/// FNV-1a 64 offset basis (the same hash as [`crate::world`]'s file hashes).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64 prime.
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// At most this many elements are reserved ahead of reading them, whatever
/// count a line claims.
const MAX_PREALLOCATION: usize = 1 << 16;

fn fnv_update(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The bytes could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A line is not what the format says should be there.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
}

/// Writes lines of tokens to `out`, hashing every byte.
///
/// Write errors are kept and the rest of the writing is skipped;
/// [`Encoder::finish`] returns the first one.
pub(crate) struct Encoder<'a> {
    out: &'a mut dyn Write,
    hash: u64,
    started: bool,
    error: Option<io::Error>,
}

impl<'a> Encoder<'a> {
    /// An encoder writing to `out`.
    pub(crate) fn new(out: &'a mut dyn Write) -> Encoder<'a> {
        Encoder {
            out,
            hash: FNV_OFFSET,
            started: false,
            error: None,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.hash = fnv_update(self.hash, bytes);
        if let Err(e) = self.out.write_all(bytes) {
            self.error = Some(e);
        }
    }

    /// Ends the current line, if any.
    fn end_line(&mut self) {
        if self.started {
            self.raw(b"\n");
            self.started = false;
        }
    }

    /// Starts a new line with `tag`.
    pub(crate) fn tag(&mut self, tag: &str) -> &mut Self {
        self.end_line();
        self.raw(tag.as_bytes());
        self.started = true;
        self
    }

    fn token(&mut self, token: std::fmt::Arguments<'_>) -> &mut Self {
        // Small tokens: formatting into a stack-sized String costs little
        // next to the write, and keeps the hash in step with the bytes.
        let text = format!(" {token}");
        self.raw(text.as_bytes());
        self
    }

    /// A whole number.
    pub(crate) fn u64(&mut self, x: u64) -> &mut Self {
        self.token(format_args!("{x}"))
    }

    /// 64 bits as 16 hex digits (hashes).
    pub(crate) fn hex64(&mut self, x: u64) -> &mut Self {
        self.token(format_args!("{x:016x}"))
    }

    /// A float, as its bits.
    pub(crate) fn f64(&mut self, x: f64) -> &mut Self {
        self.token(format_args!("{:x}", x.to_bits()))
    }

    /// A count followed by that many floats.
    pub(crate) fn f64s(&mut self, xs: &[f64]) -> &mut Self {
        self.u64(xs.len() as u64);
        for &x in xs {
            self.f64(x);
        }
        self
    }

    /// A pair of whole numbers as one token, `A:B`.
    pub(crate) fn pair(&mut self, a: u64, b: u64) -> &mut Self {
        self.token(format_args!("{a}:{b}"))
    }

    /// A count followed by that many whole numbers.
    pub(crate) fn u32s(&mut self, xs: &[u32]) -> &mut Self {
        self.u64(xs.len() as u64);
        for &x in xs {
            self.u64(u64::from(x));
        }
        self
    }

    /// Text, escaped, as the rest of the line.
    pub(crate) fn text(&mut self, s: &str) -> &mut Self {
        let mut escaped = String::with_capacity(s.len() + 1);
        escaped.push(' ');
        for c in s.chars() {
            match c {
                '\\' => escaped.push_str("\\\\"),
                '\n' => escaped.push_str("\\n"),
                '\r' => escaped.push_str("\\r"),
                c => escaped.push(c),
            }
        }
        self.raw(escaped.as_bytes());
        self
    }

    /// Ends the current line and writes the line `tag HASH`, where `HASH`
    /// (16 hex digits) is the hash of every byte before that line.
    pub(crate) fn checksum_line(&mut self, tag: &str) -> &mut Self {
        self.end_line();
        let hash = self.hash;
        self.raw(tag.as_bytes());
        self.started = true;
        self.token(format_args!("{hash:016x}"))
    }

    /// Ends the last line and reports the first write error.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.end_line();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

/// Reads lines of tokens, hashing every byte.
pub(crate) struct Decoder<R> {
    input: R,
    buf: Vec<u8>,
    line: usize,
    hash: u64,
    /// The hash of the bytes before the line last read.
    hash_before: u64,
}

impl<R: BufRead> Decoder<R> {
    /// A decoder reading from `input`.
    pub(crate) fn new(input: R) -> Decoder<R> {
        Decoder {
            input,
            buf: Vec::new(),
            line: 0,
            hash: FNV_OFFSET,
            hash_before: FNV_OFFSET,
        }
    }

    /// An error at the line last read.
    pub(crate) fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError::Malformed {
            line: self.line,
            message: message.into(),
        }
    }

    /// Reads the next line; `None` at the end of the input.
    fn read_line(&mut self) -> Result<Option<&str>, DecodeError> {
        self.buf.clear();
        let n = self.input.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.hash_before = self.hash;
        self.hash = fnv_update(self.hash, &self.buf);
        if self.buf.last() != Some(&b'\n') {
            return Err(self.error("the file ends in the middle of a line (truncated?)"));
        }
        self.buf.pop();
        let line = self.line;
        std::str::from_utf8(&self.buf)
            .map(Some)
            .map_err(|_| DecodeError::Malformed {
                line,
                message: "not UTF-8 text".to_string(),
            })
    }

    /// Reads the next line, which must start with `tag`, and returns its
    /// tokens.
    pub(crate) fn expect(&mut self, tag: &str) -> Result<Fields<'_>, DecodeError> {
        let line = self.line + 1;
        let Some(text) = self.read_line()? else {
            return Err(DecodeError::Malformed {
                line,
                message: format!("expected `{tag}`, found the end of the file (truncated?)"),
            });
        };
        let (found, rest) = text.split_once(' ').unwrap_or((text, ""));
        if found != tag {
            let shown: String = found.chars().take(40).collect();
            return Err(DecodeError::Malformed {
                line,
                message: format!("expected `{tag}`, found `{shown}`"),
            });
        }
        Ok(Fields {
            rest,
            tokens: if rest.is_empty() {
                None
            } else {
                Some(rest.split(' '))
            },
            line,
        })
    }

    /// Reads the checksum line `tag HASH`, checks it against the hash of
    /// every byte before it and that nothing follows. Returns `(written,
    /// computed)` when they differ.
    pub(crate) fn checksum(&mut self, tag: &str) -> Result<Result<(), (u64, u64)>, DecodeError> {
        let mut fields = self.expect(tag)?;
        let written = fields.hex64()?;
        fields.end()?;
        let computed = self.hash_before;
        if self.read_line()?.is_some() {
            return Err(self.error("unexpected text after the checksum"));
        }
        Ok(if written == computed {
            Ok(())
        } else {
            Err((written, computed))
        })
    }
}

/// The tokens of one line.
pub(crate) struct Fields<'a> {
    rest: &'a str,
    tokens: Option<std::str::Split<'a, char>>,
    line: usize,
}

impl<'a> Fields<'a> {
    /// An error at this line.
    pub(crate) fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError::Malformed {
            line: self.line,
            message: message.into(),
        }
    }

    fn next(&mut self, what: &str) -> Result<&'a str, DecodeError> {
        match self.tokens.as_mut().and_then(Iterator::next) {
            Some(t) => Ok(t),
            None => Err(self.error(format!("missing {what}"))),
        }
    }

    /// A whole number.
    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        let t = self.next("a number")?;
        t.parse()
            .map_err(|_| self.error(format!("`{}` is not a whole number", short(t))))
    }

    /// A whole number that fits 32 bits.
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let x = self.u64()?;
        u32::try_from(x).map_err(|_| self.error(format!("{x} is out of range")))
    }

    /// A whole number used as a length or index.
    pub(crate) fn usize(&mut self) -> Result<usize, DecodeError> {
        let x = self.u64()?;
        usize::try_from(x).map_err(|_| self.error(format!("{x} is out of range")))
    }

    /// 64 bits in hex.
    pub(crate) fn hex64(&mut self) -> Result<u64, DecodeError> {
        let t = self.next("a hex number")?;
        if t.is_empty() || t.len() > 16 {
            return Err(self.error(format!("`{}` is not a 64-bit hex number", short(t))));
        }
        u64::from_str_radix(t, 16)
            .map_err(|_| self.error(format!("`{}` is not a 64-bit hex number", short(t))))
    }

    /// A float, from its bits.
    pub(crate) fn f64(&mut self) -> Result<f64, DecodeError> {
        self.hex64().map(f64::from_bits)
    }

    /// A count and that many floats.
    pub(crate) fn f64s(&mut self) -> Result<Vec<f64>, DecodeError> {
        let n = self.usize()?;
        let mut xs = Vec::with_capacity(n.min(MAX_PREALLOCATION));
        for _ in 0..n {
            xs.push(self.f64()?);
        }
        Ok(xs)
    }

    /// The next `A:B` token, or `None` at the end of the line.
    pub(crate) fn pair(&mut self) -> Result<Option<(u64, u64)>, DecodeError> {
        let Some(t) = self.tokens.as_mut().and_then(Iterator::next) else {
            return Ok(None);
        };
        let parsed = t
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
        match parsed {
            Some(pair) => Ok(Some(pair)),
            None => Err(self.error(format!("`{}` is not a pair `A:B`", short(t)))),
        }
    }

    /// A count and that many 32-bit whole numbers.
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>, DecodeError> {
        let n = self.usize()?;
        let mut xs = Vec::with_capacity(n.min(MAX_PREALLOCATION));
        for _ in 0..n {
            xs.push(self.u32()?);
        }
        Ok(xs)
    }

    /// The rest of the line as unescaped text (the line must have no other
    /// tokens read from it).
    pub(crate) fn text(self) -> Result<String, DecodeError> {
        let mut out = String::with_capacity(self.rest.len());
        let mut chars = self.rest.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                _ => return Err(self.error("a bad escape in text")),
            }
        }
        Ok(out)
    }

    /// Checks that every token was read.
    pub(crate) fn end(mut self) -> Result<(), DecodeError> {
        match self.tokens.as_mut().and_then(Iterator::next) {
            None => Ok(()),
            Some(t) => Err(self.error(format!("unexpected `{}` at the end", short(t)))),
        }
    }
}

/// At most 24 characters of a token, for messages.
fn short(t: &str) -> String {
    let mut s: String = t.chars().take(24).collect();
    if s.len() < t.len() {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_bit_for_bit() {
        let floats = [
            0.0,
            -0.0,
            1.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
            0.1 + 0.2,
        ];
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out);
        enc.tag("xs").f64s(&floats);
        enc.tag("n").u64(u64::MAX).u64(7);
        enc.tag("t").text("a \\ b\nc\r\n");
        enc.checksum_line("checksum");
        enc.finish().unwrap();

        let mut dec = Decoder::new(&out[..]);
        let xs = dec.expect("xs").unwrap().f64s().unwrap();
        assert_eq!(
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            floats.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let mut n = dec.expect("n").unwrap();
        assert_eq!(n.u64().unwrap(), u64::MAX);
        assert_eq!(n.u32().unwrap(), 7);
        n.end().unwrap();
        assert_eq!(dec.expect("t").unwrap().text().unwrap(), "a \\ b\nc\r\n");
        assert!(dec.checksum("checksum").unwrap().is_ok());
    }

    #[test]
    fn a_changed_byte_fails_the_checksum() {
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out);
        enc.tag("n").u64(12345);
        enc.checksum_line("checksum");
        enc.finish().unwrap();
        out[3] = b'9';
        let mut dec = Decoder::new(&out[..]);
        dec.expect("n").unwrap();
        assert!(dec.checksum("checksum").unwrap().is_err());
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for text in [
            "",
            "xs",
            "xs 3 1 2",
            "xs 1 zz",
            "xs 99999999999999999999",
            "xs 1 11111111111111111",
        ] {
            let input = format!("{text}\n");
            let mut dec = Decoder::new(input.as_bytes());
            let got = dec.expect("xs").and_then(|mut f| f.f64s());
            assert!(got.is_err(), "{text:?}");
        }
        let mut dec = Decoder::new(&b"xs 0"[..]);
        assert!(dec.expect("xs").is_err(), "no final newline");
    }
}
