//! The JSON Lines driver shared by the machine-readable subcommands (`shared/DESIGN.md` §4).
//!
//! Each input line is one JSON object; each output line answers it, in input order, echoing its `id`.
//! A line that fails gives `{"id": …, "error": "…"}` on stdout (id null when unreadable) and a message on
//! stderr, and the run goes on. Memory stays bounded whatever the input size: lines are read in chunks of
//! [`CHUNK_LINES`] (or [`CHUNK_BYTES`]) into reused buffers, each line at most [`MAX_LINE_BYTES`] long
//! (longer lines are skipped without being held in memory and answered with an error); with more than one
//! thread the next chunk is read while this one is answered, never further ahead. The lines of a chunk are answered in pieces of [`PIECE_LINES`] on the worker threads
//! ([`JsonlArgs::threads`]), each piece into its own reused output buffer; the buffers are written out
//! in input order.
//!
//! A line is read in one of two ways ([`Handler`]):
//! - the fast path: the line read by [`scan`] (one forward pass over the common line shape: known keys,
//!   plain numbers and strings) or, when that reader gives up, a typed request deserialized straight
//!   from the line by `serde_json` ([`Request`], strings borrowed from it); answered, and written with `serde_json`'s own float formatting (`zmij`, shortest round-trip digits) into the piece's buffer, with no
//!   allocation on the way;
//! - when the fast path cannot read the line (bad JSON, a missing or mistyped field, a duplicate key, an
//!   `id` that is an array or object…), the general path: the line parsed as a JSON value and its fields
//!   looked up one by one, in the order that decides which problem an error line names. Both paths
//!   answer a readable line identically; the general one gives the error messages.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub mod scan;

#[cfg(test)]
mod alloc_tests;

/// Longest accepted input line, bytes (1 MiB: far above any valid request).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Lines read and processed together.
pub const CHUNK_LINES: usize = 8192;
/// A chunk is also closed once its lines hold this many bytes (so memory stays a few MiB per chunk
/// whatever the lines' lengths, two chunks at a time).
pub const CHUNK_BYTES: usize = 4 << 20;
/// Lines answered by one task of a worker thread.
pub const PIECE_LINES: usize = 256;

/// The options every JSON Lines command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JsonlArgs {
    /// Worker threads answering lines (default: the RAYON_NUM_THREADS environment variable when set,
    /// else one per core). Output lines come in input order whatever the number; 1 answers every line
    /// on the main thread.
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

impl JsonlArgs {
    /// The number of worker threads: `--threads`, else `RAYON_NUM_THREADS` (a positive integer), else
    /// the number of cores.
    pub fn thread_count(&self) -> usize {
        if let Some(n) = self.threads {
            return n.get();
        }
        if let Some(n) = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
        {
            return n;
        }
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
    }
}

/// Summary of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Lines answered.
    pub lines: u64,
    /// Lines answered with an error.
    pub failed: u64,
}

/// A machine-readable command: how to read a request (fast and general paths) and answer it.
pub trait Handler: Sync {
    /// The request, ready to answer: every field read and checked as far as reading goes.
    type Request<'a>;

    /// The fast path: the request deserialized straight from `line`, with its `id`; `None` when that
    /// fails for any reason (the general path then reads the line and names the problem).
    fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, Self::Request<'a>)>;

    /// The fast path with one more outcome: a line it read completely (one JSON object of the command's
    /// fields, each of the right type) that lacks a field the general path would ask for, named as the
    /// general path names it ([`Fast::Missing`]). By default [`Handler::fast`] alone.
    fn fast_line<'a>(&self, line: &'a str) -> Fast<'a, Self::Request<'a>> {
        match self.fast(line) {
            Some((id, req)) => Fast::Read(id, req),
            None => Fast::Unread,
        }
    }

    /// The general path: the request from the fields of a parsed object, looked up in the order that
    /// decides which problem an error names.
    fn general<'a>(&self, obj: &'a Map<String, Value>) -> Result<Self::Request<'a>, String>;

    /// Answers a request: writes the answer's fields (after `id`) to `out`, or returns the error message
    /// (what was written is then discarded).
    fn answer(&self, req: &Self::Request<'_>, out: &mut Out<'_>) -> Result<(), String>;
}

/// What the fast path makes of a line ([`Handler::fast_line`]).
#[derive(Debug)]
pub enum Fast<'a, R> {
    /// The line's `id` and its request.
    Read(Id<'a>, R),
    /// The line's `id`, and the field that the general path would find missing first: the line is
    /// answered with the general path's error `missing field `…``, without parsing it again.
    Missing(Id<'a>, &'static str),
    /// Not read here: the general path reads the line and names the problem.
    Unread,
}

/// An error message of a failed line, for stderr.
#[derive(Debug)]
enum Msg {
    /// Any message.
    Text(String),
    /// `missing field `…``.
    Missing(&'static str),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Msg::Text(s) => f.write_str(s),
            Msg::Missing(key) => write!(f, "missing field `{key}`"),
        }
    }
}

/// A request as the fast path reads it: the line's `id` and the command's fields `F`.
#[derive(Debug)]
pub struct Request<'de, F> {
    /// The line's `id` (null when absent).
    pub id: Id<'de>,
    /// The command's fields.
    pub fields: F,
}

/// The fields of a command's request, read from the keys of a JSON object.
pub trait Fields<'de>: Default {
    /// Reads the value of `key` from `map` when it is one of the fields (`Ok(true)`); `Ok(false)` for a
    /// key that is not. A field seen twice is an error (see [`set`]).
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Stores the next value of `map` in `slot`; an error when the slot is full (a duplicate key, which the
/// general path resolves as JSON values do: the last one wins).
pub fn set<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::custom("duplicate field"));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de, F: Fields<'de>> Deserialize<'de> for Request<'de, F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<F>(PhantomData<F>);
        impl<'de, F: Fields<'de>> Visitor<'de> for V<F> {
            type Value = Request<'de, F>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut id = None;
                let mut fields = F::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let key: &str = &key.0;
                    if key == "id" {
                        set(&mut id, &mut map)?;
                    } else if !fields.field(key, &mut map)? {
                        map.next_value::<Strict>()?;
                    }
                }
                Ok(Request {
                    id: id.unwrap_or(Id::Null),
                    fields,
                })
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A key of an object, borrowed from the line unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value, checked exactly as parsing it into a `serde_json::Value` would (numbers in range,
/// strings well formed) and dropped: the value of a key that is not a field.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_none<E>(self) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                while seq.next_element::<Strict>()?.is_some() {}
                Ok(Strict)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                while map.next_key::<Strict>()?.is_some() {
                    map.next_value::<Strict>()?;
                }
                Ok(Strict)
            }
        }
        d.deserialize_any(V)
    }
}

/// A line's `id` as the fast path reads it. Strings with escapes and arrays or objects are left to the
/// general path (which echoes any JSON value), so every variant is written back exactly as
/// `serde_json` writes the value it parses.
#[derive(Debug, Clone, PartialEq)]
pub enum Id<'a> {
    /// `null` or absent.
    Null,
    /// A boolean.
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Any other number.
    F64(f64),
    /// A string without escapes, as it appears in the line.
    Str(&'a str),
}

impl<'de> Deserialize<'de> for Id<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Id<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar id")
            }
            fn visit_unit<E>(self) -> Result<Id<'de>, E> {
                Ok(Id::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Id<'de>, E> {
                Ok(Id::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Id<'de>, E> {
                Ok(Id::U64(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Id<'de>, E> {
                Ok(Id::I64(n))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Id<'de>, E> {
                Ok(Id::F64(x))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Id<'de>, E> {
                Ok(Id::Str(s))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Id<'de>, E> {
                Err(E::custom("an id with escapes"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Where an answer's fields are written: the output buffer of a piece, after `{"id":…`.
pub struct Out<'a> {
    buf: &'a mut Vec<u8>,
}

impl Out<'_> {
    /// Starts a field: `,"key":`. Keys are plain ASCII names (no escapes needed).
    #[inline]
    pub fn key(&mut self, key: &str) {
        self.buf.extend_from_slice(b",\"");
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A number field (null when not finite, as `serde_json` writes it).
    #[inline]
    pub fn num(&mut self, key: &str, x: f64) {
        self.key(key);
        self.f64(x);
    }

    /// A number field that may be null.
    pub fn opt_num(&mut self, key: &str, x: Option<f64>) {
        self.key(key);
        match x {
            Some(x) => self.f64(x),
            None => self.buf.extend_from_slice(b"null"),
        }
    }

    /// A field holding an array of three numbers.
    #[inline]
    pub fn vec3(&mut self, key: &str, v: [f64; 3]) {
        self.key(key);
        self.array3(v);
    }

    /// An array of three numbers.
    #[inline]
    pub fn array3(&mut self, v: [f64; 3]) {
        self.buf.push(b'[');
        self.f64(v[0]);
        self.buf.push(b',');
        self.f64(v[1]);
        self.buf.push(b',');
        self.f64(v[2]);
        self.buf.push(b']');
    }

    /// A number, as `serde_json` writes an `f64`: the shortest representation that reads back exactly,
    /// by the formatter `serde_json` itself uses (`zmij`, of the `ryu` family), `null` when not finite.
    #[inline]
    pub fn f64(&mut self, x: f64) {
        if x.is_finite() {
            let mut b = zmij::Buffer::new();
            self.buf.extend_from_slice(b.format_finite(x).as_bytes());
        } else {
            self.buf.extend_from_slice(b"null");
        }
    }

    /// An unsigned integer.
    pub fn u64(&mut self, n: u64) {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(n).as_bytes());
    }

    /// A string with no characters that JSON escapes (checked in debug builds).
    pub fn plain_str(&mut self, s: &str) {
        debug_assert!(!s.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\'));
        self.buf.push(b'"');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'"');
    }

    /// Raw JSON punctuation.
    pub fn raw(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }
}

fn write_id(buf: &mut Vec<u8>, id: &Id<'_>) {
    let mut out = Out { buf };
    match *id {
        Id::Null => out.raw(b"null"),
        Id::Bool(true) => out.raw(b"true"),
        Id::Bool(false) => out.raw(b"false"),
        Id::U64(n) => out.u64(n),
        Id::I64(n) => {
            let mut b = itoa::Buffer::new();
            out.raw(b.format(n).as_bytes());
        }
        Id::F64(x) => out.f64(x),
        Id::Str(s) => out.plain_str(s),
    }
}

/// One raw input line: a byte range of the chunk buffer, or a line too long to keep.
#[derive(Debug, Clone, Copy)]
enum Line {
    Text { start: usize, end: usize },
    TooLong(usize),
}

/// Parses a line as a JSON object and returns its `id` (null when absent) and the object.
fn parse_object(text: &str) -> Result<(Value, Map<String, Value>), (Value, String)> {
    if text.trim().is_empty() {
        return Err((Value::Null, "empty line: expected a JSON object".to_string()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => {
            let id = map.get("id").cloned().unwrap_or(Value::Null);
            Ok((id, map))
        }
        Ok(other) => Err((
            Value::Null,
            format!("expected a JSON object, got {}", kind_name(&other)),
        )),
        Err(e) => {
            Err(unreadable_numbers(text).unwrap_or_else(|| (Value::Null, format!("not valid JSON: {e}"))))
        }
    }
}

/// Spellings of non-finite numbers that some JSON writers emit (JSON itself has none).
const NONFINITE: [&str; 6] = ["NaN", "nan", "Infinity", "infinity", "inf", "Inf"];
/// Markers substituted (as JSON strings) for a non-finite literal and for a number too large for a
/// 64-bit float, so that the rest of the line can still be read: their JSON spelling, then their value
/// once parsed.
const NONFINITE_MARK_JSON: &str = "\\u0001non-finite:";
const NONFINITE_MARK: &str = "\u{1}non-finite:";
const HUGE_MARK_JSON: &str = "\\u0001out-of-range:";
const HUGE_MARK: &str = "\u{1}out-of-range:";

/// For a line that is not JSON only because it holds bare `NaN`/`Infinity` literals (outside strings),
/// or numbers beyond the largest 64-bit float (`1e400`; JSON allows them, a 64-bit reader cannot hold
/// them), the error that names the offending fields and echoes the line's `id`. `None` when the line has
/// other problems too.
fn unreadable_numbers(text: &str) -> Option<(Value, String)> {
    let mut patched = String::with_capacity(text.len() + 32);
    let (mut nonfinite, mut huge) = (false, false);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    fn mark(patched: &mut String, marker: &str, literal: &str) {
        patched.push('"');
        patched.push_str(marker);
        patched.push_str(literal);
        patched.push('"');
    }
    while let Some(c) = rest.chars().next() {
        if in_string {
            patched.push(c);
            rest = &rest[c.len_utf8()..];
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if c == '-' || c == '+' || c.is_ascii_alphabetic() {
            let sign = usize::from(c == '-' || c == '+');
            if let Some(word) = NONFINITE.iter().find(|w| {
                rest[sign..].starts_with(*w)
                    && !rest[sign + w.len()..].starts_with(|n: char| n.is_ascii_alphanumeric())
            }) {
                let len = sign + word.len();
                mark(&mut patched, NONFINITE_MARK_JSON, &rest[..len]);
                rest = &rest[len..];
                nonfinite = true;
                continue;
            }
        }
        if c == '-' || c.is_ascii_digit() {
            // A number token: its characters up to the next delimiter.
            let len = rest
                .find(|n: char| !(n.is_ascii_digit() || matches!(n, '-' | '+' | '.' | 'e' | 'E')))
                .unwrap_or(rest.len());
            let token = &rest[..len];
            if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                mark(&mut patched, HUGE_MARK_JSON, token);
                huge = true;
            } else {
                patched.push_str(token);
            }
            rest = &rest[len..];
            continue;
        }
        patched.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !(nonfinite || huge) {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&patched) else {
        return None;
    };
    let named = |marker: &str| {
        let named: Vec<String> = map
            .iter()
            .filter(|(_, v)| holds_mark(v, marker))
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        if named.is_empty() {
            "a value".to_string()
        } else {
            format!("field {}", named.join(", "))
        }
    };
    // An id that held such a number cannot be echoed as it was written: null, as for a line not read.
    let id = map
        .get("id")
        .filter(|v| !holds_mark(v, NONFINITE_MARK) && !holds_mark(v, HUGE_MARK))
        .cloned()
        .unwrap_or(Value::Null);
    let mut problems = Vec::new();
    if nonfinite {
        problems.push(format!(
            "{} is NaN or infinite (not valid JSON): expected a finite number",
            named(NONFINITE_MARK)
        ));
    }
    if huge {
        problems.push(format!(
            "{} is out of range (beyond ±1.8e308, the largest 64-bit float): expected a finite number",
            named(HUGE_MARK)
        ));
    }
    Some((id, problems.join("; ")))
}

/// Whether `v`, or anything nested in it, is a string that starts with `marker`.
fn holds_mark(v: &Value, marker: &str) -> bool {
    match v {
        Value::String(s) => s.starts_with(marker),
        Value::Array(a) => a.iter().any(|x| holds_mark(x, marker)),
        Value::Object(o) => o.values().any(|x| holds_mark(x, marker)),
        _ => false,
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The answers to a piece of a chunk: output lines, and the failed lines' messages (index in the
/// chunk, message) for stderr. Reused from chunk to chunk.
#[derive(Debug, Default)]
struct Piece {
    out: Vec<u8>,
    errors: Vec<(usize, Msg)>,
}

/// Writes the error line `{"id": id, "error": msg}` (id a JSON value) to `buf`.
fn write_error(buf: &mut Vec<u8>, id: IdRef<'_, '_>, msg: &str) -> io::Result<()> {
    buf.extend_from_slice(b"{\"id\":");
    match id {
        IdRef::Fast(id) => write_id(buf, id),
        IdRef::Value(v) => serde_json::to_writer(&mut *buf, v)?,
    }
    buf.extend_from_slice(b",\"error\":");
    serde_json::to_writer(&mut *buf, msg)?;
    buf.extend_from_slice(b"}\n");
    Ok(())
}

#[derive(Clone, Copy)]
enum IdRef<'a, 'b> {
    Fast(&'a Id<'b>),
    Value(&'a Value),
}

/// Answers one line into `piece`: `text` is the line, or its bytes when they are not valid UTF-8.
fn answer_line<H: Handler>(
    handler: &H,
    text: Result<&str, &[u8]>,
    index: usize,
    piece: &mut Piece,
) -> io::Result<()> {
    let Ok(text) = text.or_else(std::str::from_utf8) else {
        piece
            .errors
            .push((index, Msg::Text("line is not valid UTF-8".to_string())));
        return write_error(
            &mut piece.out,
            IdRef::Value(&Value::Null),
            "line is not valid UTF-8",
        );
    };
    let start = piece.out.len();
    match handler.fast_line(text) {
        Fast::Read(id, req) => {
            piece.out.extend_from_slice(b"{\"id\":");
            write_id(&mut piece.out, &id);
            let result = handler.answer(&req, &mut Out { buf: &mut piece.out });
            return match result {
                Ok(()) => {
                    piece.out.extend_from_slice(b"}\n");
                    Ok(())
                }
                Err(msg) => {
                    piece.out.truncate(start);
                    write_error(&mut piece.out, IdRef::Fast(&id), &msg)?;
                    piece.errors.push((index, Msg::Text(msg)));
                    Ok(())
                }
            };
        }
        Fast::Missing(id, key) => {
            // What `write_error` writes for this message: the key and its backquotes need no escape.
            debug_assert!(!key.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\'));
            piece.out.extend_from_slice(b"{\"id\":");
            write_id(&mut piece.out, &id);
            piece.out.extend_from_slice(b",\"error\":\"missing field `");
            piece.out.extend_from_slice(key.as_bytes());
            piece.out.extend_from_slice(b"`\"}\n");
            piece.errors.push((index, Msg::Missing(key)));
            return Ok(());
        }
        Fast::Unread => {}
    }
    let (id, msg) = match parse_object(text) {
        Ok((id, obj)) => {
            let id_ref = IdRef::Value(&id);
            piece.out.extend_from_slice(b"{\"id\":");
            serde_json::to_writer(&mut piece.out, &id)?;
            match handler
                .general(&obj)
                .and_then(|req| handler.answer(&req, &mut Out { buf: &mut piece.out }))
            {
                Ok(()) => {
                    piece.out.extend_from_slice(b"}\n");
                    return Ok(());
                }
                Err(msg) => {
                    piece.out.truncate(start);
                    write_error(&mut piece.out, id_ref, &msg)?;
                    piece.errors.push((index, Msg::Text(msg)));
                    return Ok(());
                }
            }
        }
        Err(e) => e,
    };
    write_error(&mut piece.out, IdRef::Value(&id), &msg)?;
    piece.errors.push((index, Msg::Text(msg)));
    Ok(())
}

/// Answers the lines `lines` of the chunk buffer `text` (whose first line has index `first` in the
/// chunk) into `piece`.
fn answer_piece<H: Handler>(
    handler: &H,
    text: &[u8],
    lines: &[Line],
    first: usize,
    piece: &mut Piece,
) -> io::Result<()> {
    piece.out.clear();
    piece.errors.clear();
    // One UTF-8 check for the piece's text (lines begin and end at ASCII bytes, see [`Chunk`]); when it
    // fails, each line is checked on its own.
    let bounds = |l: &Line| match *l {
        Line::Text { start, end } => Some((start, end)),
        Line::TooLong(_) => None,
    };
    let lo = lines.iter().find_map(bounds).map_or(0, |(s, _)| s);
    let hi = lines.iter().rev().find_map(bounds).map_or(0, |(_, e)| e);
    let whole = std::str::from_utf8(&text[lo..hi]).ok();
    // Room for the answers at once (an answer is rarely longer than twice its line), rather than
    // growing the buffer step by step; a buffer too small is replaced, not grown (growing would copy
    // the old bytes, which are no longer needed), with a quarter to spare for the next pieces.
    let need = 2 * (hi - lo) + 64 * lines.len();
    if piece.out.capacity() < need {
        piece.out = Vec::with_capacity(need + need / 4);
    }
    for (k, line) in lines.iter().enumerate() {
        match *line {
            Line::Text { start, end } => {
                let line = whole
                    .and_then(|w| w.get(start - lo..end - lo))
                    .ok_or(&text[start..end]);
                answer_line(handler, line, first + k, piece)?;
            }
            Line::TooLong(n) => {
                let msg = format!("line is {n} bytes long, longer than the {MAX_LINE_BYTES}-byte limit");
                write_error(&mut piece.out, IdRef::Value(&Value::Null), &msg)?;
                piece.errors.push((first + k, Msg::Text(msg)));
            }
        }
    }
    Ok(())
}

/// A chunk of input: up to [`CHUNK_LINES`] lines (and about [`CHUNK_BYTES`] bytes) in one buffer.
///
/// The input is read a block at a time (what `fill_buf` holds): the lines that end in a block are found
/// by one `memchr` pass and copied to the chunk together, line feeds included, and a line that goes on
/// into the next block is carried over. Every line in `text` is followed by its `\n` (the last one may end
/// the text instead), so lines begin and end at ASCII bytes: a range of lines that is valid UTF-8 as a
/// whole is valid line by line, and [`answer_piece`] checks a piece's bytes once rather than each line's.
#[derive(Debug, Default)]
struct Chunk {
    text: Vec<u8>,
    lines: Vec<Line>,
}

/// A line begun in one block that goes on in the next: where it starts in the chunk's text, and its
/// length so far once it is longer than [`MAX_LINE_BYTES`] (its bytes are then no longer kept).
#[derive(Debug, Clone, Copy)]
struct Open {
    start: usize,
    too_long: Option<usize>,
}

impl Chunk {
    /// Adds `bytes` to the open line `open`.
    fn extend_open(&mut self, open: &mut Open, bytes: &[u8]) {
        match &mut open.too_long {
            Some(n) => *n += bytes.len(),
            None => {
                let len = self.text.len() - open.start + bytes.len();
                if len > MAX_LINE_BYTES {
                    self.text.truncate(open.start);
                    open.too_long = Some(len);
                } else {
                    self.text.extend_from_slice(bytes);
                }
            }
        }
    }

    /// Ends the open line `open` at the end of `text` (a line feed ends it, or the end of the input).
    fn close_open(&mut self, open: Open, newline: bool) {
        match open.too_long {
            Some(n) => self.lines.push(Line::TooLong(n)),
            None => {
                if newline {
                    self.text.push(b'\n');
                }
                let mut end = self.text.len() - usize::from(newline);
                if end > open.start && self.text[end - 1] == b'\r' {
                    end -= 1;
                }
                self.lines.push(Line::Text {
                    start: open.start,
                    end,
                });
            }
        }
    }

    /// Whether the chunk holds enough lines or bytes.
    fn full(&self) -> bool {
        self.lines.len() >= CHUNK_LINES || self.text.len() >= CHUNK_BYTES
    }

    /// Refills the chunk from `input`; it is empty at the end of the input.
    fn fill(&mut self, input: &mut impl BufRead) -> io::Result<()> {
        self.text.clear();
        self.lines.clear();
        let mut open: Option<Open> = None;
        loop {
            let block = input.fill_buf()?;
            if block.is_empty() {
                if let Some(o) = open {
                    self.close_open(o, false);
                }
                return Ok(());
            }
            let mut line_start = 0;
            if let Some(mut o) = open.take() {
                let Some(nl) = memchr::memchr(b'\n', block) else {
                    self.extend_open(&mut o, block);
                    let n = block.len();
                    input.consume(n);
                    open = Some(o);
                    continue;
                };
                self.extend_open(&mut o, &block[..nl]);
                self.close_open(o, true);
                line_start = nl + 1;
                if self.full() {
                    input.consume(line_start);
                    return Ok(());
                }
            }
            // The lines that end in this block: `block[run..line_start]` is still to be copied, to
            // `text[base..]`.
            let (mut run, mut base) = (line_start, self.text.len());
            let from = line_start;
            let mut full = false;
            for i in memchr::memchr_iter(b'\n', &block[from..]) {
                let nl = from + i;
                let len = nl - line_start;
                if len > MAX_LINE_BYTES {
                    // Not kept: the lines before it are copied, the run starts again after it.
                    self.text.extend_from_slice(&block[run..line_start]);
                    self.lines.push(Line::TooLong(len));
                    (run, base) = (nl + 1, self.text.len());
                } else {
                    let cr = usize::from(len > 0 && block[nl - 1] == b'\r');
                    self.lines.push(Line::Text {
                        start: base + (line_start - run),
                        end: base + (nl - cr - run),
                    });
                }
                line_start = nl + 1;
                if self.lines.len() >= CHUNK_LINES || base + (line_start - run) >= CHUNK_BYTES {
                    full = true;
                    break;
                }
            }
            self.text.extend_from_slice(&block[run..line_start]);
            if full {
                input.consume(line_start);
                return Ok(());
            }
            // The rest of the block begins a line.
            if line_start < block.len() {
                let mut o = Open {
                    start: self.text.len(),
                    too_long: None,
                };
                self.extend_open(&mut o, &block[line_start..]);
                open = Some(o);
            }
            let n = block.len();
            input.consume(n);
        }
    }
}

/// Where the answers go, in input order, and the count so far.
struct Sink<W, E> {
    output: W,
    errors: E,
    summary: Summary,
    pieces: Vec<Piece>,
}

impl<W: Write, E: Write> Sink<W, E> {
    /// Answers the lines of `chunk` (on `pool`'s threads, or this one) and writes the answers.
    fn answer<H: Handler>(
        &mut self,
        chunk: &Chunk,
        handler: &H,
        pool: Option<&rayon::ThreadPool>,
    ) -> io::Result<()> {
        let n_pieces = chunk.lines.len().div_ceil(PIECE_LINES);
        if self.pieces.len() < n_pieces {
            self.pieces.resize_with(n_pieces, Piece::default);
        }
        let work = &mut self.pieces[..n_pieces];
        let (text, lines) = (&chunk.text[..], &chunk.lines[..]);
        let do_piece = |(i, piece): (usize, &mut Piece)| {
            let first = i * PIECE_LINES;
            let last = (first + PIECE_LINES).min(lines.len());
            answer_piece(handler, text, &lines[first..last], first, piece)
        };
        match pool {
            Some(pool) => pool.install(|| work.par_iter_mut().enumerate().try_for_each(do_piece))?,
            None => work.iter_mut().enumerate().try_for_each(do_piece)?,
        }
        for piece in work.iter() {
            for (index, msg) in &piece.errors {
                writeln!(
                    self.errors,
                    "line {}: {msg}",
                    self.summary.lines + *index as u64 + 1
                )?;
            }
            self.summary.failed += piece.errors.len() as u64;
            self.output.write_all(&piece.out)?;
        }
        self.summary.lines += lines.len() as u64;
        self.errors.flush()?;
        self.output.flush()
    }
}

/// Runs `handler` over every line of `input` with `threads` worker threads, writing answers to `output`
/// and messages to `errors`. With one thread every line is read, answered and written on this thread;
/// with more, a reader thread reads the next chunk while the workers answer this one.
pub fn run<H: Handler>(
    input: impl BufRead + Send,
    output: impl Write,
    errors: impl Write,
    handler: &H,
    threads: usize,
) -> io::Result<Summary> {
    let mut sink = Sink {
        output,
        errors,
        summary: Summary::default(),
        pieces: Vec::new(),
    };
    let mut input = input;
    if threads <= 1 {
        let mut chunk = Chunk::default();
        loop {
            chunk.fill(&mut input)?;
            if chunk.lines.is_empty() {
                return Ok(sink.summary);
            }
            sink.answer(&chunk, handler, None)?;
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(io::Error::other)?;
    std::thread::scope(|s| {
        // Two chunk buffers go round: the reader fills one while the workers answer the other.
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Chunk>>(1);
        let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
        for _ in 0..2 {
            empty_tx
                .send(Chunk::default())
                .map_err(|_| io::Error::other("the input reader stopped"))?;
        }
        let reader = s.spawn(move || {
            while let Ok(mut chunk) = empty_rx.recv() {
                let filled = chunk.fill(&mut input).map(|()| chunk);
                let last = !matches!(&filled, Ok(c) if !c.lines.is_empty());
                if full_tx.send(filled).is_err() || last {
                    break;
                }
            }
        });
        let result = (|| -> io::Result<Summary> {
            loop {
                let chunk = full_rx
                    .recv()
                    .map_err(|_| io::Error::other("the input reader stopped"))??;
                if chunk.lines.is_empty() {
                    return Ok(sink.summary);
                }
                sink.answer(&chunk, handler, Some(&pool))?;
                if empty_tx.send(chunk).is_err() {
                    // The reader has finished (it sent the end of the input): it needs no more buffers.
                    continue;
                }
            }
        })();
        // Unblock the reader whatever happened, then wait for it.
        drop(full_rx);
        drop(empty_tx);
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })
}

/// Runs `handler` from stdin to stdout (messages on stderr) and maps the outcome to the contract's exit
/// status: 2 when any line failed, 0 otherwise.
pub fn run_stdio<H: Handler>(handler: &H, args: &JsonlArgs) -> io::Result<std::process::ExitCode> {
    let stdin = io::BufReader::with_capacity(1 << 16, io::stdin());
    let stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let stderr = io::BufWriter::new(io::stderr().lock());
    let summary = run(stdin, stdout, stderr, handler, args.thread_count())?;
    Ok(if summary.failed > 0 {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// The fast path's reading of a line: the [`Request`] with fields `F`, or `None`.
pub fn fast_request<'a, F: Fields<'a>>(line: &'a str) -> Option<Request<'a, F>> {
    serde_json::from_str(line).ok()
}

/// The fast path's reading of a line into the fields `F`: [`scan::request`], else [`fast_request`].
pub fn fast_fields<'a, F: Fields<'a> + scan::Scan<'a>>(line: &'a str) -> Option<(Id<'a>, F)> {
    scan::request::<F>(line).or_else(|| fast_request::<F>(line).map(|r| (r.id, r.fields)))
}

/// Reads a required finite number field.
pub fn num(obj: &Map<String, Value>, key: &str) -> Result<f64, String> {
    match obj.get(key) {
        None => Err(format!("missing field `{key}`")),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(format!("field `{key}` is not a finite number")),
        },
        Some(Value::String(s)) if s.eq_ignore_ascii_case("nan") || s.to_ascii_lowercase().contains("inf") => {
            Err(format!("field `{key}` must be a finite number, got \"{s}\""))
        }
        Some(other) => Err(format!(
            "field `{key}` must be a number, got {}",
            kind_name(other)
        )),
    }
}

/// Reads a required string field.
pub fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match obj.get(key) {
        None => Err(format!("missing field `{key}`")),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "field `{key}` must be a string, got {}",
            kind_name(other)
        )),
    }
}

/// The differential tests of one command's handler: proptest lines built from `$fields` (each request
/// field with a valid value) through both readers, `$cases` cases, and a plain request that the fast path
/// must answer.
#[cfg(test)]
macro_rules! differential_tests {
    ($handler:expr, $fields_type:ty, $cases:expr, $fields:expr) => {
        #[cfg(test)]
        mod tests {
            use super::*;
            use crate::jsonl::differential::{assert_paths_agree, assert_readers_agree, line, plain_line};
            use proptest::prelude::*;

            /// The request's fields with a valid value each (the generator swaps in tricky ones).
            const FIELDS: &[(&str, &str)] = $fields;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases($cases))]
                /// Whatever the line, the fast reader and the general one give the same bytes out.
                #[test]
                fn fast_and_general_paths_agree(lines in proptest::collection::vec(line(FIELDS), 1..10)) {
                    assert_paths_agree(&$handler, &lines.join("\n"));
                }
            }

            #[test]
            fn the_fast_path_answers_a_plain_request() {
                let plain = format!(
                    "{{\"id\":1,{}}}",
                    FIELDS
                        .iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                assert_eq!(assert_paths_agree(&$handler, &plain), 1, "{plain}");
                assert!(
                    assert_readers_agree::<$fields_type>(&plain),
                    "the scanner left {plain}"
                );
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases($cases))]
                /// Lines of the common shape (every field, numbers in every spelling, keys in any order,
                /// now and then one fault): the scanner, serde_json's typed reader and the general reader
                /// give the same fields and the same bytes out.
                #[test]
                fn plain_lines_read_alike(lines in proptest::collection::vec(plain_line(FIELDS), 1..10)) {
                    for l in &lines {
                        assert_readers_agree::<$fields_type>(l);
                    }
                    assert_paths_agree(&$handler, &lines.join("\n"));
                }
            }

            /// The generated plain lines do exercise the scanner (the tests above are not vacuous).
            #[test]
            fn the_scanner_reads_most_plain_lines() {
                use proptest::strategy::ValueTree;
                let mut runner = proptest::test_runner::TestRunner::deterministic();
                let strategy = plain_line(FIELDS);
                let n = 400;
                let read = (0..n)
                    .filter(|_| {
                        let l = strategy.new_tree(&mut runner).unwrap().current();
                        assert_readers_agree::<$fields_type>(&l)
                    })
                    .count();
                assert!(read >= n / 2, "the scanner read {read} of {n} plain lines");
            }
        }
    };
}
#[cfg(test)]
pub(crate) use differential_tests;

/// Differential checks of the two readers: every line must be answered with the same bytes whether the
/// fast path reads it or only the general path does.
#[cfg(test)]
pub(crate) mod differential {
    use super::*;
    use proptest::prelude::*;

    /// A handler that never takes the fast path: the reference answer for any line.
    pub(crate) struct GeneralOnly<'h, H>(pub &'h H);

    impl<H: Handler> Handler for GeneralOnly<'_, H> {
        type Request<'a> = H::Request<'a>;
        fn fast<'a>(&self, _: &'a str) -> Option<(Id<'a>, Self::Request<'a>)> {
            None
        }
        fn general<'a>(&self, obj: &'a Map<String, Value>) -> Result<Self::Request<'a>, String> {
            self.0.general(obj)
        }
        fn answer(&self, req: &Self::Request<'_>, out: &mut Out<'_>) -> Result<(), String> {
            self.0.answer(req, out)
        }
    }

    /// Runs `input` through `handler` and through the general path alone; both runs must write the same
    /// stdout and stderr bytes and count the same lines. Returns how many lines the fast path answered
    /// (so that a test can check it exercised the fast path at all).
    pub(crate) fn assert_paths_agree<H: Handler>(handler: &H, input: &str) -> usize {
        let run_with = |h: &dyn Fn(&mut Vec<u8>, &mut Vec<u8>) -> Summary| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let s = h(&mut out, &mut err);
            (
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
                s,
            )
        };
        let both = run_with(&|o, e| run(input.as_bytes(), o, e, handler, 1).unwrap());
        let general = run_with(&|o, e| run(input.as_bytes(), o, e, &GeneralOnly(handler), 1).unwrap());
        assert_eq!(both.0, general.0, "stdout differs for input:\n{input}");
        assert_eq!(both.1, general.1, "stderr differs for input:\n{input}");
        assert_eq!((both.2.lines, both.2.failed), (general.2.lines, general.2.failed));
        input.lines().filter(|l| handler.fast(l).is_some()).count()
    }

    /// Lines of `fixed` (text put first in the object, such as `"kind":"inverse",`) and `fields` (in the
    /// order the general path asks for them, each with a valid value) with one or two fields left out,
    /// keys in two orders, with and without an unknown key (which leaves the line to serde_json's typed
    /// reader): the fast path must read each as [`Fast::Missing`] of the first field left out, with the
    /// general path's bytes out.
    pub(crate) fn assert_missing_fields_named<H: Handler>(handler: &H, fixed: &str, fields: &[(&str, &str)]) {
        for a in 0..fields.len() {
            for b in a..fields.len() {
                for extra in ["", ",\"zz\":[1,{\"a\":null}]"] {
                    for reverse in [false, true] {
                        let mut kept: Vec<String> = fields
                            .iter()
                            .enumerate()
                            .filter(|&(i, _)| i != a && i != b)
                            .map(|(_, (k, v))| format!("\"{k}\":{v}"))
                            .collect();
                        if reverse {
                            kept.reverse();
                        }
                        kept.insert(0, "\"id\":7".to_string());
                        let line = format!("{{{fixed}{}{extra}}}", kept.join(","));
                        assert_paths_agree(handler, &line);
                        match handler.fast_line(&line) {
                            Fast::Missing(id, key) => {
                                assert_eq!(id, Id::U64(7), "{line}");
                                assert_eq!(key, fields[a].0, "{line}");
                            }
                            Fast::Read(..) => panic!("{line}: read"),
                            Fast::Unread => panic!("{line}: not read"),
                        }
                    }
                }
            }
        }
    }

    /// Values that readers disagree on most often: signed zeros, out-of-range and subnormal numbers, long
    /// mantissas, integers past 2^53 and 2^64, exponents in every spelling, invalid number forms,
    /// strings with escapes and surrogates, control characters, and every other JSON type.
    pub(crate) const TRICKY: &[&str] = &[
        "0",
        "-0",
        "-0.0",
        "0e0",
        "1",
        "-7",
        "1.5",
        "1e3",
        "1E+3",
        "1e-3",
        "-2.5e-300",
        "1e400",
        "-1e400",
        "1e-400",
        "4.9e-324",
        "2.4703282292062327e-324",
        "2.2250738585072011e-308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "9007199254740993",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.30000000000000004",
        "123456789012345678901234567890.5e-10",
        "7.0e-10000000000",
        "01",
        "1.",
        ".5",
        "+1",
        "0x10",
        "1e",
        "-",
        "NaN",
        "Infinity",
        "-inf",
        "\"NaN\"",
        "\"inf\"",
        "\"point\"",
        "\"j2\"",
        "\"J2\"",
        "\"inverse\"",
        "\"direct\"",
        "\"\"",
        "\"esc\\u00e9\"",
        "\"\\ud800\"",
        "\"\\ud83d\\ude00\"",
        "\"a\\\"b\"",
        "\"tab\there\"",
        "\"\u{e9}\"",
        "\"\\/\"",
        "true",
        "false",
        "null",
        "[]",
        "[1,2,3]",
        "[1,2]",
        "[1.5,-0,1e3]",
        "[1,[2],3]",
        "[1,2,3,]",
        "{}",
        "{\"a\":1}",
        "{\"a\":1,}",
    ];

    /// The text of a JSON number: any `f64` as Rust prints it (shortest round trip, or scientific), or
    /// a random mantissa of up to 40 digits (past what an `f64` holds, so rounding matters) with a
    /// random exponent.
    pub(crate) fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| format!("{x:?}")),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| format!("{x:e}")),
            (
                "-?[1-9][0-9]{0,39}",
                proptest::option::of("[0-9]{1,30}"),
                proptest::option::of(-330i32..330)
            )
                .prop_map(|(int, frac, exp)| {
                    let mut t = int;
                    if let Some(f) = frac {
                        t = format!("{t}.{f}");
                    }
                    if let Some(e) = exp {
                        t = format!("{t}e{e}");
                    }
                    t
                }),
        ]
    }

    /// One generated line: the given fields, each with its good value, a tricky value, or left out, in
    /// a random order, with an `id`, unknown and duplicated keys, odd whitespace and, now and then, a
    /// broken frame.
    pub(crate) fn line(fields: &'static [(&'static str, &'static str)]) -> impl Strategy<Value = String> {
        let per_field = proptest::collection::vec((0u8..10, 0..TRICKY.len(), number_text()), fields.len());
        let id = prop_oneof![
            Just(None),
            (0..TRICKY.len()).prop_map(|i| Some(TRICKY[i].to_string())),
            any::<u32>().prop_map(|n| Some(n.to_string())),
        ];
        let extra = proptest::collection::vec((0..3usize, 0..TRICKY.len()), 0..3);
        let ws = prop_oneof![Just(""), Just(" "), Just("\t"), Just(" \r")];
        let broken = 0u8..40;
        let seed = any::<u64>();
        (per_field, id, extra, ws, broken, seed).prop_map(move |(pf, id, extra, ws, broken, seed)| {
            let mut pairs: Vec<String> = Vec::new();
            for ((name, good), (choice, t, number)) in fields.iter().zip(pf) {
                match choice {
                    0 => {}
                    1 => pairs.push(format!("\"{name}\":{ws}{}", TRICKY[t])),
                    2 | 3 => pairs.push(format!("\"{name}\":{ws}{number}")),
                    _ => pairs.push(format!("\"{name}\":{ws}{good}")),
                }
            }
            if let Some(id) = id {
                pairs.push(format!("\"id\":{id}"));
            }
            for (kind, t) in extra {
                match kind {
                    0 => pairs.push(format!("\"zz\":{}", TRICKY[t])),
                    1 => pairs.push(format!("\"{}\":{}", fields[t % fields.len()].0, TRICKY[t])),
                    _ => pairs.push(format!("\"i\\u0064\":{}", TRICKY[t])),
                }
            }
            // A deterministic shuffle from the seed (the order of keys decides duplicates).
            let n = pairs.len();
            let mut state = seed | 1;
            for i in (1..n).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                pairs.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let body = pairs.join(&format!(",{ws}"));
            match broken {
                0 => format!("{{{body},}}"),
                1 => format!("{{{body}"),
                2 => format!("{{{body}}} x"),
                3 => format!("[{body}]"),
                4 => format!("{ws}{{{body}}}{ws}"),
                _ => format!("{{{body}}}"),
            }
        })
    }

    /// Checks that wherever the scanner reads `line`, serde_json's typed reader reads it too, to the
    /// same `id` and fields (compared by their `Debug` text, which tells -0.0 from 0.0 and shows every
    /// `f64` to the bit). Returns whether the scanner read it.
    pub(crate) fn assert_readers_agree<F>(line: &str) -> bool
    where
        F: for<'a> Fields<'a> + for<'a> scan::Scan<'a> + fmt::Debug,
    {
        let Some(mine) = scan::request::<F>(line) else {
            return false;
        };
        let theirs = fast_request::<F>(line).map(|r| (r.id, r.fields));
        assert_eq!(
            Some(format!("{mine:?}")),
            theirs.map(|t| format!("{t:?}")),
            "the readers differ on {line}"
        );
        true
    }

    /// Numbers at the edges: signed zeros, the largest and smallest, halfway cases, exponents in every
    /// spelling.
    const EXTREME: &[&str] = &[
        "-0",
        "-0.0",
        "0e5",
        "-0.0e-5",
        "1.7976931348623157e308",
        "-1.7976931348623157e308",
        "4.9e-324",
        "2.2250738585072011e-308",
        "9007199254740993",
        "1E+2",
        "1e-7",
        "123456789012345678901234567890",
        "0.1000000000000000055511151231257827021181583404541015625",
    ];

    /// A line of the common shape: every field of `fields` (numbers as random text, extreme values or
    /// the good one; arrays of three such numbers; other values as given), keys in a random order, an
    /// `id` of the kinds the scanner reads, spaces or none after `:` and `,`, and in one line of four
    /// one fault: a field left out, a key twice, an unknown key, an escaped key, a tricky value, a
    /// trailing comma or text after the object.
    pub(crate) fn plain_line(
        fields: &'static [(&'static str, &'static str)],
    ) -> impl Strategy<Value = String> {
        let number = || {
            prop_oneof![
                3 => number_text(),
                1 => (0..EXTREME.len()).prop_map(|i| EXTREME[i].to_string()),
            ]
        };
        let values = proptest::collection::vec((number(), number(), number(), any::<bool>()), fields.len());
        let id = prop_oneof![
            Just(None),
            any::<u64>().prop_map(|n| Some(n.to_string())),
            any::<i64>().prop_map(|n| Some(n.to_string())),
            "[a-z0-9 _-]{0,12}".prop_map(|s| Some(format!("\"{s}\""))),
            Just(Some("null".to_string())),
        ];
        let fault = (0u8..28, 0..fields.len(), 0..TRICKY.len());
        let spaced = any::<bool>();
        let seed = any::<u64>();
        (values, id, fault, spaced, seed).prop_map(move |(values, id, (fault, which, t), spaced, seed)| {
            let (colon, comma) = if spaced { (": ", ", ") } else { (":", ",") };
            let mut pairs: Vec<String> = Vec::new();
            for ((name, good), (a, b, c, keep)) in fields.iter().zip(values) {
                let value = if good.starts_with('[') {
                    format!("[{a}{comma}{b}{comma}{c}]")
                } else if *name == "max_revs" && !keep {
                    (a.len() % 3).to_string()
                } else if good.parse::<f64>().is_ok() && !keep {
                    a
                } else {
                    good.to_string()
                };
                pairs.push(format!("\"{name}\"{colon}{value}"));
            }
            if let Some(id) = id {
                pairs.push(format!("\"id\"{colon}{id}"));
            }
            let (name, good) = fields[which];
            match fault {
                0 => {
                    pairs.remove(which);
                }
                1 => pairs.push(format!("\"{name}\"{colon}{good}")),
                2 => pairs.push(format!("\"zz\"{colon}{}", TRICKY[t])),
                3 => pairs[which] = format!("\"{name}\"{colon}{}", TRICKY[t]),
                4 => {
                    let (head, last) = name.split_at(name.len() - 1);
                    pairs[which] = format!("\"{head}\\u{:04x}\"{colon}{good}", last.as_bytes()[0]);
                }
                _ => {}
            }
            let n = pairs.len();
            let mut state = seed | 1;
            for i in (1..n).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                pairs.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let body = pairs.join(comma);
            match fault {
                5 => format!("{{{body},}}"),
                6 => format!("{{{body}}}x"),
                _ => format!("{{{body}}}"),
            }
        })
    }

    /// Lines of the test handler below (`x`): both readers agree on every one.
    #[derive(Default)]
    struct XFields {
        x: Option<f64>,
    }

    impl<'de> Fields<'de> for XFields {
        fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            match key {
                "x" => set(&mut self.x, map)?,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    struct Double;

    impl Handler for Double {
        type Request<'a> = f64;
        fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, f64)> {
            let r = fast_request::<XFields>(line)?;
            Some((r.id, r.fields.x?))
        }
        fn general(&self, obj: &Map<String, Value>) -> Result<f64, String> {
            num(obj, "x")
        }
        fn answer(&self, x: &f64, out: &mut Out<'_>) -> Result<(), String> {
            out.num("y", 2.0 * x);
            Ok(())
        }
    }

    /// Every tricky value as `x` and as `id`, one line each.
    #[test]
    fn fast_and_general_paths_agree_on_every_tricky_value() {
        let mut differ = Vec::new();
        let mut fast = 0;
        for t in TRICKY {
            for line in [
                format!("{{\"id\":1,\"x\":{t}}}"),
                format!("{{\"id\":{t},\"x\":0.25}}"),
            ] {
                match std::panic::catch_unwind(|| assert_paths_agree(&Double, &line)) {
                    Ok(n) => fast += n,
                    Err(_) => differ.push(line),
                }
            }
        }
        assert!(differ.is_empty(), "the readers differ on: {differ:#?}");
        assert!(
            fast >= TRICKY.len() / 2,
            "the fast path answered only {fast} lines"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn fast_and_general_paths_agree(lines in proptest::collection::vec(line(&[("x", "0.1")]), 1..20)) {
            assert_paths_agree(&Double, &lines.join("\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test command: `{x}` → `{y: 2x}`.
    struct Double;

    #[derive(Default)]
    struct XFields {
        x: Option<f64>,
    }

    impl<'de> Fields<'de> for XFields {
        fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            match key {
                "x" => set(&mut self.x, map)?,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    impl Handler for Double {
        type Request<'a> = f64;
        fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, f64)> {
            let r = fast_request::<XFields>(line)?;
            Some((r.id, r.fields.x?))
        }
        fn general(&self, obj: &Map<String, Value>) -> Result<f64, String> {
            num(obj, "x")
        }
        fn answer(&self, x: &f64, out: &mut Out<'_>) -> Result<(), String> {
            out.num("y", 2.0 * x);
            Ok(())
        }
    }

    fn run_str(input: &str, threads: usize) -> (String, String, Summary) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let s = run(input.as_bytes(), &mut out, &mut err, &Double, threads).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            s,
        )
    }

    #[test]
    fn echoes_ids_in_order_and_reports_errors() {
        let (out, err, s) = run_str(
            "{\"id\":1,\"x\":2}\nnot json\n\n{\"id\":\"b\"}\n{\"id\":3,\"x\":1}",
            1,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], r#"{"id":1,"y":4.0}"#);
        assert!(
            lines[1].starts_with(r#"{"id":null,"error":"not valid JSON"#),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains("empty line"));
        assert_eq!(lines[3], r#"{"id":"b","error":"missing field `x`"}"#);
        assert_eq!(lines[4], r#"{"id":3,"y":2.0}"#);
        assert_eq!(s.failed, 3);
        let msgs: Vec<&str> = err.lines().collect();
        assert_eq!(msgs.len(), 3);
        assert!(msgs[0].starts_with("line 2: not valid JSON"), "{err}");
        assert!(msgs[2].starts_with("line 4: missing field `x`"), "{err}");
    }

    /// Ids of every kind are echoed as `serde_json` writes the value it parses, by both paths.
    #[test]
    fn ids_are_echoed_as_json_values() {
        for (id, echoed) in [
            ("1", "1"),
            ("-7", "-7"),
            ("1.0", "1.0"),
            ("1e3", "1000.0"),
            ("-0", "-0.0"),
            ("18446744073709551616", "1.8446744073709552e+19"),
            ("1e300", "1e+300"),
            ("-2.5e-300", "-2.5e-300"),
            ("true", "true"),
            ("null", "null"),
            ("\"plain\"", "\"plain\""),
            ("\"esc\\u00e9\\/\"", "\"escé/\""),
            ("[1, {\"b\": 2, \"a\": 1}]", "[1,{\"b\":2,\"a\":1}]"),
        ] {
            for x in ["1", "\"bad\""] {
                let (out, _, _) = run_str(&format!("{{\"id\": {id}, \"x\": {x}}}\n"), 1);
                assert!(out.starts_with(&format!("{{\"id\":{echoed},")), "{id}: {out}");
            }
        }
    }

    /// Lines the fast path cannot read are answered by the general path, identically when readable.
    #[test]
    fn general_path_answers_what_the_fast_path_leaves() {
        // A duplicate key: the last value wins, as JSON values read it.
        let (out, _, _) = run_str("{\"id\":1,\"x\":1,\"x\":5}\n", 1);
        assert_eq!(out, "{\"id\":1,\"y\":10.0}\n");
        // A number beyond the largest 64-bit float, even in an unknown field, is refused by both paths,
        // with the id echoed and the field named.
        let (out, _, s) = run_str("{\"id\":1,\"x\":1,\"z\":1e400}\n", 1);
        assert_eq!(
            out,
            "{\"id\":1,\"error\":\"field `z` is out of range (beyond ±1.8e308, the largest 64-bit float): expected a finite number\"}\n"
        );
        assert_eq!(s.failed, 1);
        // Unknown fields of any shape are otherwise ignored.
        let (out, _, _) = run_str("{\"z\":[{\"a\":null}],\"x\":0.1,\"id\":\"q\"}\n", 1);
        assert_eq!(out, "{\"id\":\"q\",\"y\":0.2}\n");
    }

    #[test]
    fn nan_and_infinity_literals_are_named_with_the_id() {
        let (out, _, s) = run_str(
            "{\"id\":7,\"x\":NaN}\n{\"id\":\"NaN\",\"x\":-Infinity,\"v\":[1,inf]}\n{\"id\":8,\"x\":NaN,}\n{\"id\":9,\"x\":1}\n",
            1,
        );
        let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["id"], 7);
        let e0 = lines[0]["error"].as_str().unwrap();
        assert!(e0.contains("`x`") && e0.contains("NaN"), "{e0}");
        assert_eq!(lines[1]["id"], "NaN");
        let e1 = lines[1]["error"].as_str().unwrap();
        assert!(e1.contains("`x`") && e1.contains("`v`"), "{e1}");
        // Other syntax errors as well: plain "not valid JSON".
        assert_eq!(lines[2]["id"], Value::Null);
        assert!(lines[2]["error"].as_str().unwrap().starts_with("not valid JSON"));
        assert_eq!(lines[3]["y"], 2.0);
        assert_eq!(s.failed, 3);
    }

    #[test]
    fn numbers_beyond_a_64_bit_float_are_named_with_the_id() {
        let (out, _, s) = run_str(
            "{\"id\":\"a\",\"x\":-1e400}\n{\"id\":5,\"v\":[1,2e308],\"x\":NaN}\n{\"id\":6,\"x\":1e-400}\n{\"id\":1e999,\"x\":1}\n",
            1,
        );
        let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["id"], "a");
        let e0 = lines[0]["error"].as_str().unwrap();
        assert!(e0.starts_with("field `x` is out of range"), "{e0}");
        assert_eq!(lines[1]["id"], 5);
        let e1 = lines[1]["error"].as_str().unwrap();
        assert!(
            e1.contains("field `x` is NaN") && e1.contains("field `v` is out of range"),
            "{e1}"
        );
        // Underflow reads as zero, as every JSON reader of 64-bit floats does.
        assert_eq!(lines[2]["y"], 0.0);
        // An id that cannot be held is not echoed.
        assert_eq!(lines[3]["id"], Value::Null);
        assert!(lines[3]["error"].as_str().unwrap().contains("`id`"));
        assert_eq!(s.failed, 3);
        // Nor one that holds such a number anywhere inside it; nested fields are named by their key.
        let (out, _, _) = run_str(
            "{\"id\":[1e400],\"x\":1}\n{\"id\":{\"a\":NaN},\"x\":1}\n{\"id\":4,\"o\":{\"a\":[1,-1e400]}}\n",
            1,
        );
        let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["id"], Value::Null, "{out}");
        assert_eq!(lines[1]["id"], Value::Null, "{out}");
        assert_eq!(lines[2]["id"], 4);
        assert!(
            lines[2]["error"]
                .as_str()
                .unwrap()
                .starts_with("field `o` is out of range"),
            "{out}"
        );
        assert!(!out.contains("\\u0001"), "{out}");
    }

    #[test]
    fn long_lines_are_skipped_not_stored() {
        let long = format!(
            "{{\"id\":1,\"pad\":\"{}\"}}\n{{\"id\":2,\"x\":1}}\n",
            "a".repeat(3 * MAX_LINE_BYTES)
        );
        let (out, _, s) = run_str(&long, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("longer than"));
        assert_eq!(lines[1], r#"{"id":2,"y":2.0}"#);
        assert_eq!(s.failed, 1);
    }

    /// Runs `Double` over `input` read in blocks of at most `block` bytes.
    fn run_blocks(input: &[u8], block: usize, threads: usize) -> (Vec<u8>, Vec<u8>, Summary) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let reader = io::BufReader::with_capacity(block, input);
        let s = run(reader, &mut out, &mut err, &Double, threads).unwrap();
        (out, err, s)
    }

    /// Lines split across the reader's blocks in every way (CRLF, empty lines, bytes that are not UTF-8,
    /// a character cut by a line feed, lines just under and over the length limit, no final line feed)
    /// are answered as when each line is run on its own.
    #[test]
    fn block_boundaries_do_not_change_the_answers() {
        let lines: Vec<Vec<u8>> = vec![
            b"{\"id\":1,\"x\":2}\r".to_vec(),
            b"".to_vec(),
            b"\r".to_vec(),
            b"{\"id\":\"\xc3\xa9\",\"x\":1.5}".to_vec(),
            b"{\"id\":2,\"x\":\xc3".to_vec(),
            b"\xa9}".to_vec(),
            b"\xff".to_vec(),
            b"not json\r\r".to_vec(),
            // (An error's column shows whether the `\r` was taken off.)
            b"{\"id\":4,\"x\":1\r".to_vec(),
        ];
        let pad = |n: usize| {
            let mut l = b"{\"id\":3,\"x\":1,\"pad\":\"".to_vec();
            l.resize(n - 2, b'a');
            l.extend_from_slice(b"\"}");
            l
        };
        let long = [pad(MAX_LINE_BYTES), pad(MAX_LINE_BYTES + 1)];
        for round in 0..2 {
            let mut input = Vec::new();
            let mut expected = Vec::new();
            let mut all = lines.clone();
            if round == 1 {
                all.insert(3, long[0].clone());
                all.insert(1, long[1].clone());
                all.push(long[1].clone());
            }
            for (i, l) in all.iter().enumerate() {
                input.extend_from_slice(l);
                if i + 1 < all.len() {
                    input.push(b'\n');
                }
                expected.extend(run_blocks(&[&l[..], b"\n"].concat(), 1 << 22, 1).0);
            }
            let blocks: &[usize] = if round == 0 {
                &[1, 2, 3, 5, 7, 16, 64, 1 << 22]
            } else {
                &[4093, 1 << 16, 1 << 22]
            };
            for &b in blocks {
                for threads in [1, 2] {
                    let (out, _, s) = run_blocks(&input, b, threads);
                    assert_eq!(
                        String::from_utf8_lossy(&out),
                        String::from_utf8_lossy(&expected),
                        "blocks of {b} bytes, round {round}"
                    );
                    assert_eq!(s.lines, all.len() as u64);
                }
                // With a final line feed: the same lines.
                let mut with_lf = input.clone();
                with_lf.push(b'\n');
                assert_eq!(run_blocks(&with_lf, b, 1).0, expected, "blocks of {b} bytes");
            }
        }
    }

    /// Many lines over several chunks and threads: the same bytes as one thread, in input order, with
    /// stderr's line numbers counted across chunks.
    #[test]
    fn threads_keep_input_order() {
        let mut input = String::new();
        for i in 0..(2 * CHUNK_LINES + 77) {
            if i % 1000 == 999 {
                input.push_str(&format!("{{\"id\":{i}}}\n"));
            } else {
                input.push_str(&format!("{{\"id\":{i},\"x\":{}}}\n", i as f64 * 0.1));
            }
        }
        let one = run_str(&input, 1);
        let four = run_str(&input, 4);
        assert_eq!(one.0, four.0);
        assert_eq!(one.1, four.1);
        assert!(one.1.starts_with("line 1000: missing field `x`"), "{}", one.1);
        assert_eq!(one.2.lines, 2 * CHUNK_LINES as u64 + 77);
        for (i, l) in one.0.lines().enumerate() {
            assert!(l.starts_with(&format!("{{\"id\":{i},")), "{l}");
        }
    }
}
