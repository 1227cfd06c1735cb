//! The JSON Lines driver shared by the machine-readable subcommands (`shared/DESIGN.md` §4).
//!
//! Each input line is one JSON object; each output line answers it, in input order, echoing its `id`.
//! A line that fails gives `{"id": …, "error": "…"}` on stdout (id null when unreadable) and a message on
//! stderr, and the run goes on. Memory stays bounded whatever the input size: lines are read in chunks of
//! [`CHUNK_LINES`], each at most [`MAX_LINE_BYTES`] long (longer lines are skipped without being held in
//! memory and answered with an error), and every chunk is answered before the next is read. Lines of a
//! chunk are processed in parallel with rayon.

use std::io::{self, BufRead, Write};

use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// Longest accepted input line, bytes (1 MiB: far above any valid request).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Lines read and processed together.
pub const CHUNK_LINES: usize = 4096;

/// The outcome of one request: the answer's fields (without `id`) or an error message.
pub type Answer = Result<Map<String, Value>, String>;

/// Summary of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Lines answered.
    pub lines: u64,
    /// Lines answered with an error.
    pub failed: u64,
}

/// One raw input line.
enum Line {
    Text(String),
    TooLong(usize),
    NotUtf8,
}

/// Reads one line of at most `max` bytes. Returns `None` at end of input. A longer line is consumed and
/// discarded without being stored.
fn read_line(input: &mut impl BufRead, max: usize) -> io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    let mut saw_any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        saw_any = true;
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let content = if done { &chunk[..used - 1] } else { chunk };
        total += content.len();
        if total <= max {
            buf.extend_from_slice(content);
        }
        input.consume(used);
        if done {
            break;
        }
    }
    if !saw_any {
        return Ok(None);
    }
    if total > max {
        return Ok(Some(Line::TooLong(total)));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8(buf).map_or(Line::NotUtf8, Line::Text)))
}

/// Parses a line as a JSON object and returns its `id` (null when absent) and the object.
fn parse_object(line: &Line) -> Result<(Value, Map<String, Value>), (Value, String)> {
    let text = match line {
        Line::Text(t) => t,
        Line::TooLong(n) => {
            return Err((
                Value::Null,
                format!("line is {n} bytes long, longer than the {MAX_LINE_BYTES}-byte limit"),
            ));
        }
        Line::NotUtf8 => return Err((Value::Null, "line is not valid UTF-8".to_string())),
    };
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
            Err(nonfinite_literals(text).unwrap_or_else(|| (Value::Null, format!("not valid JSON: {e}"))))
        }
    }
}

/// Spellings of non-finite numbers that some JSON writers emit (JSON itself has none).
const NONFINITE: [&str; 6] = ["NaN", "nan", "Infinity", "infinity", "inf", "Inf"];
/// Marker substituted (as a JSON string) for a non-finite literal so that the rest of the line can still
/// be read: its JSON spelling, then its value once parsed.
const NONFINITE_MARK_JSON: &str = "\\u0001non-finite:";
const NONFINITE_MARK: &str = "\u{1}non-finite:";

/// For a line that is not JSON only because it holds bare `NaN`/`Infinity` literals (outside strings),
/// the error that names the offending fields and echoes the line's `id`. `None` when the line has other
/// problems too.
fn nonfinite_literals(text: &str) -> Option<(Value, String)> {
    let mut patched = String::with_capacity(text.len() + 32);
    let mut found = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
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
                patched.push('"');
                patched.push_str(NONFINITE_MARK_JSON);
                patched.push_str(&rest[..len]);
                patched.push('"');
                rest = &rest[len..];
                found = true;
                continue;
            }
        }
        patched.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !found {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&patched) else {
        return None;
    };
    let is_mark = |v: &Value| v.as_str().is_some_and(|s| s.starts_with(NONFINITE_MARK));
    let mut named = Vec::new();
    for (k, v) in &map {
        let hit = match v {
            Value::Array(a) => a.iter().any(is_mark),
            other => is_mark(other),
        };
        if hit {
            named.push(format!("`{k}`"));
        }
    }
    let id = map
        .get("id")
        .filter(|v| !is_mark(v))
        .cloned()
        .unwrap_or(Value::Null);
    let what = if named.is_empty() {
        "a value".to_string()
    } else {
        format!("field {}", named.join(", "))
    };
    Some((
        id,
        format!("{what} is NaN or infinite (not valid JSON): expected a finite number"),
    ))
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

/// Runs `handle` over every line of `input`, writing answers to `output` and messages to `errors`.
pub fn run<F>(
    input: impl BufRead,
    mut output: impl Write,
    mut errors: impl Write,
    handle: F,
) -> io::Result<Summary>
where
    F: Fn(&Map<String, Value>) -> Answer + Sync,
{
    let mut input = input;
    let mut summary = Summary::default();
    loop {
        let mut lines = Vec::with_capacity(CHUNK_LINES);
        while lines.len() < CHUNK_LINES {
            match read_line(&mut input, MAX_LINE_BYTES)? {
                Some(l) => lines.push(l),
                None => break,
            }
        }
        if lines.is_empty() {
            break;
        }
        let answers: Vec<(Value, Answer)> = lines
            .par_iter()
            .map(|line| match parse_object(line) {
                Ok((id, obj)) => {
                    let a = handle(&obj);
                    (id, a)
                }
                Err((id, msg)) => (id, Err(msg)),
            })
            .collect();
        for (id, answer) in answers {
            summary.lines += 1;
            let out = match answer {
                Ok(mut fields) => {
                    let mut obj = Map::with_capacity(fields.len() + 1);
                    obj.insert("id".into(), id);
                    obj.append(&mut fields);
                    Value::Object(obj)
                }
                Err(msg) => {
                    summary.failed += 1;
                    writeln!(errors, "line {}: {msg}", summary.lines)?;
                    json!({ "id": id, "error": msg })
                }
            };
            serde_json::to_writer(&mut output, &out)?;
            output.write_all(b"\n")?;
        }
        output.flush()?;
    }
    Ok(summary)
}

/// Runs `handle` from stdin to stdout (messages on stderr) and maps the outcome to the contract's exit
/// status: 2 when any line failed, 0 otherwise.
pub fn run_stdio<F>(handle: F) -> io::Result<std::process::ExitCode>
where
    F: Fn(&Map<String, Value>) -> Answer + Sync,
{
    let stdout = io::BufWriter::new(io::stdout().lock());
    let summary = run(io::stdin().lock(), stdout, io::stderr().lock(), handle)?;
    Ok(if summary.failed > 0 {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    })
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

/// Builds an answer map from `(key, value)` pairs.
pub fn answer<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(input: &str) -> (String, Summary) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let s = run(input.as_bytes(), &mut out, &mut err, |o| {
            num(o, "x").map(|x| answer([("y", json!(2.0 * x))]))
        })
        .unwrap();
        (String::from_utf8(out).unwrap(), s)
    }

    #[test]
    fn echoes_ids_in_order_and_reports_errors() {
        let (out, s) = run_str("{\"id\":1,\"x\":2}\nnot json\n\n{\"id\":\"b\"}\n{\"id\":3,\"x\":1}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], r#"{"id":1,"y":4.0}"#);
        assert!(lines[1].starts_with(r#"{"error":"not valid JSON"#) || lines[1].contains("\"id\":null"));
        assert!(lines[2].contains("empty line"));
        assert!(lines[3].contains("missing field `x`") && lines[3].contains("\"b\""));
        assert_eq!(lines[4], r#"{"id":3,"y":2.0}"#);
        assert_eq!(s.failed, 3);
    }

    #[test]
    fn nan_and_infinity_literals_are_named_with_the_id() {
        let (out, s) = run_str(
            "{\"id\":7,\"x\":NaN}\n{\"id\":\"NaN\",\"x\":-Infinity,\"v\":[1,inf]}\n{\"id\":8,\"x\":NaN,}\n{\"id\":9,\"x\":1}\n",
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
    fn long_lines_are_skipped_not_stored() {
        let long = format!(
            "{{\"id\":1,\"pad\":\"{}\"}}\n{{\"id\":2,\"x\":1}}\n",
            "a".repeat(3 * MAX_LINE_BYTES)
        );
        let (out, s) = run_str(&long);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("longer than"));
        assert_eq!(lines[1], r#"{"id":2,"y":2.0}"#);
        assert_eq!(s.failed, 1);
    }
}
