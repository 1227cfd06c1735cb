//! The first reader of a request line: a single forward pass over the common line shape, before
//! `serde_json`.
//!
//! It reads only what it can read exactly as `serde_json` does and gives up (`None`) on anything else,
//! so that the next reader (the typed `serde_json` one, then the general one) takes the line: a line it
//! reads is one object of known keys with no escapes in keys or strings, numbers in JSON's grammar,
//! booleans, `null`, strings, arrays of three numbers, and JSON whitespace between tokens. It gives up on
//! an unknown key (whose value `serde_json` would check), a duplicate key, an escape or a control
//! character in a string, a number out of range, an `id` that is not an unsigned or negative integer, a
//! plain string, a boolean or `null`, and on any syntax error.
//!
//! Numbers are read by `fast_float2` (correctly rounded: Eisel–Lemire with a big-decimal fallback) and
//! the text it took checked against JSON's grammar, which gives the bits `serde_json` gives (its
//! `float_roundtrip` feature is on, so it rounds correctly too). The
//! differential tests hold this reader to `serde_json` value by value and line by line.

use super::Id;

/// A position in a line being read.
pub struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// The bytes that end a plain string for this reader: the closing quote, a backslash (an escape) and
/// the control characters JSON forbids in strings.
const STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return), as `serde_json` does.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.pos += 1;
        }
    }

    /// After optional whitespace, the byte `c`.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// After optional whitespace, the literal `word` (`true`, `false`, `null`).
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.skip_ws();
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters, borrowed from the line.
    pub fn str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.pos;
        let len = self.bytes[start..]
            .iter()
            .position(|&c| STRING_STOP[usize::from(c)])?;
        if self.bytes[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        // The quotes are ASCII, so both ends are character boundaries of the (valid UTF-8) line.
        self.text.get(start..start + len)
    }

    /// `true` or `false`.
    pub fn bool(&mut self) -> Option<bool> {
        self.skip_ws();
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// The digits of a non-negative integer without sign, fraction or exponent that fits a `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.skip_ws();
        self.digits()
    }

    /// [`Self::u64`] without the whitespace before it.
    fn digits(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        // JSON has no leading zeros; a fraction or an exponent makes it a float for serde_json.
        if digits == 0
            || (digits > 1 && self.bytes[start] == b'0')
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        Some(n)
    }

    /// A JSON number as the nearest `f64` (`None` when it is not a JSON number or out of range).
    ///
    /// `fast_float2` reads the number (correctly rounded) and says where it ends; it reads a wider
    /// grammar than JSON's, so the text it took must then start with a digit after the optional minus,
    /// have no leading zero and a digit after a decimal point. (An `e` without exponent digits is not
    /// taken: the byte after the number is then no separator, and the line goes to `serde_json`.)
    pub fn f64(&mut self) -> Option<f64> {
        self.skip_ws();
        let rest = &self.bytes[self.pos..];
        let (x, len): (f64, usize) = fast_float2::parse_partial(rest).ok()?;
        let num = &rest[..len];
        let sign = usize::from(num.first() == Some(&b'-'));
        let int = num[sign..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int == 0 || (int > 1 && num[sign] == b'0') {
            return None;
        }
        if num.get(sign + int) == Some(&b'.') && !num.get(sign + int + 1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        self.pos += len;
        // serde_json rejects a number that rounds to infinity.
        x.is_finite().then_some(x)
    }

    /// An array of three numbers.
    pub fn array3(&mut self) -> Option<[f64; 3]> {
        self.eat(b'[')?;
        let x = self.f64()?;
        self.eat(b',')?;
        let y = self.f64()?;
        self.eat(b',')?;
        let z = self.f64()?;
        self.eat(b']')?;
        Some([x, y, z])
    }

    /// An `id` of the kinds read here: `null`, a boolean, a plain string, an integer (a negative one
    /// non-zero and at least −2^63).
    fn id(&mut self) -> Option<Id<'a>> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.str().map(Id::Str),
            b'n' => self.literal(b"null").map(|()| Id::Null),
            b't' | b'f' => self.bool().map(Id::Bool),
            b'0'..=b'9' => self.u64().map(Id::U64),
            b'-' => {
                self.pos += 1;
                let n = self.digits()?;
                // -0 is the float -0.0 for serde_json.
                if n == 0 {
                    return None;
                }
                0i64.checked_sub_unsigned(n).map(Id::I64)
            }
            _ => None,
        }
    }
}

/// The fields of a command's request as this reader reads them.
pub trait Scan<'a>: Default {
    /// The fields' keys (plain names: no character that JSON escapes), in the order lines usually
    /// give them (each key is tried first where the previous one was followed).
    const KEYS: &'static [&'static str];

    /// Reads the value of the field `KEYS[index]`; `None` when the field is already set or the value
    /// is not of the field's type in the plain shape this reader reads.
    fn scan(&mut self, index: usize, s: &mut Scanner<'a>) -> Option<()>;
}

/// The index in `keys` of the key that `rest` (a line after a key's opening quote) starts with,
/// trying `next` first: the key must be followed by its closing quote, so an escaped spelling or a
/// longer name does not match.
fn key_index(keys: &[&str], rest: &[u8], next: usize) -> Option<usize> {
    let hit = |k: &str| rest.get(k.len()) == Some(&b'"') && rest.starts_with(k.as_bytes());
    if keys.get(next).is_some_and(|k| hit(k)) {
        return Some(next);
    }
    keys.iter().position(|k| hit(k))
}

/// Stores `value` in an empty `slot`; `None` when the slot is full (a duplicate key) or the value is
/// `None`.
pub fn put<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

/// Reads `line` as one object of `F`'s fields and an optional `id` (null when absent); `None` when this
/// reader cannot read it.
pub fn request<'a, F: Scan<'a>>(line: &'a str) -> Option<(Id<'a>, F)> {
    let mut s = Scanner::new(line);
    s.eat(b'{')?;
    let mut id = None;
    let mut fields = F::default();
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
    } else {
        let mut next = 0;
        loop {
            s.eat(b'"')?;
            let rest = &s.bytes[s.pos..];
            if rest.starts_with(b"id\"") {
                s.pos += 3;
                s.eat(b':')?;
                put(&mut id, s.id())?;
            } else {
                let index = key_index(F::KEYS, rest, next)?;
                s.pos += F::KEYS[index].len() + 1;
                s.eat(b':')?;
                fields.scan(index, &mut s)?;
                next = index + 1;
            }
            s.skip_ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b'}') => {
                    s.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    s.skip_ws();
    if s.pos != s.bytes.len() {
        return None;
    }
    Some((id.unwrap_or(Id::Null), fields))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::jsonl::differential::{TRICKY, number_text};
    use proptest::prelude::*;

    /// What this reader makes of `text` as a number (the whole text), beside what serde_json makes of it.
    fn both(text: &str) -> (Option<f64>, Option<f64>) {
        let mut s = Scanner::new(text);
        let mine = s.f64().filter(|_| s.pos == text.len());
        (mine, serde_json::from_str::<f64>(text).ok())
    }

    /// Checks that a number this reader reads is the bits serde_json reads; returns whether it read it.
    fn agrees(text: &str) -> bool {
        let (mine, theirs) = both(text);
        if let Some(x) = mine {
            assert_eq!(
                Some(x.to_bits()),
                theirs.map(f64::to_bits),
                "{text}: read {x:?}, serde_json {theirs:?}"
            );
        }
        mine.is_some()
    }

    /// Numbers where readers differ most often: signed zeros, halfway cases, the edges of the
    /// exponent range and of Clinger's fast path, long mantissas.
    const EDGES: &[&str] = &[
        "0",
        "-0",
        "-0.0",
        "0.0e0",
        "0e999",
        "-0e-999",
        "0.000",
        "9007199254740992",
        "9007199254740993",
        "9007199254740993.0",
        "-9007199254740993",
        "9007199254740995e0",
        "1e22",
        "1e23",
        "9007199254740992e22",
        "9007199254740993e22",
        "1e-22",
        "1e-23",
        "123456789e-22",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e308",
        "1e309",
        "-1e309",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-400",
        "0.30000000000000004",
        "0.1",
        "0.2",
        "398600441800000.0",
        "4.3953412504455924e-10",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "123456789012345678901234567890.5e-10",
        "1E+3",
        "1e-3",
        "1e0001",
        "1e00001",
        "-2.5e-300",
        "4503599627370496.5",
        "4503599627370497.5",
        "-4503599627370497.5",
        "9007199254740993e-1",
        "18014398509481985e-1",
        "9999999999999999999e-21",
        "9999999999999999999e-22",
        "1000000000000000001e-21",
        "9999999999999999999e19",
        "9999999999999999999e20",
        "12345678901234567e19",
        "30.643436732292965",
        "-122.43154360039716",
        "0.1234567890123456789",
        "0.00000000000000000001",
        "12345678.12345678",
        "1234567812345678",
    ];

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let mut read = 0;
        for t in EDGES.iter().chain(TRICKY) {
            read += usize::from(agrees(t));
        }
        // All but the three that overflow (1.7976931348623159e308, ±1e309).
        assert!(read >= EDGES.len() - 3, "read only {read} numbers");
        // Not JSON numbers, or out of range: left to the other readers.
        for t in [
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "1e+",
            "0x10",
            "NaN",
            "-Infinity",
            "1e309",
            "--1",
            "1.e5",
        ] {
            assert_eq!(both(t).0, None, "{t}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Random numbers in every spelling, 40-digit mantissas included: the same bits as serde_json.
        #[test]
        fn random_numbers_read_as_serde_json_reads_them(text in number_text()) {
            agrees(&text);
        }

        /// Numbers of 17 to 19 digits next to the midpoint between two neighbouring `f64`s (rounded up
        /// and down from it, with 10^-19 to 10^-21 as the scale), where a reader that divides must
        /// keep track of the remainder to round correctly.
        #[test]
        fn numbers_next_to_a_midpoint_read_as_serde_json_reads_them(
            m in (1u64 << 52)..(1u64 << 53),
            (k, e) in prop_oneof![
                (-56i32..=-53).prop_map(|e| (19u32, e)),
                (-59i32..=-57).prop_map(|e| (20, e)),
                (-63i32..=-60).prop_map(|e| (21, e)),
            ],
        ) {
            // The midpoint (2m + 1)·2^(e−1), times 10^k, floored and ceiled.
            let scaled = u128::from(2 * m + 1) * 10u128.pow(k);
            let shift = (1 - e) as u32;
            let floor = scaled >> shift;
            let exact = floor << shift == scaled;
            for mantissa in [floor, floor + u128::from(!exact)] {
                let text = format!("{mantissa}e-{k}");
                prop_assert!(agrees(&text), "{} was not read", text);
            }
        }

        /// Random integers, unsigned and negative, read as `u64` and as `f64` exactly as serde_json.
        #[test]
        fn random_integers_read_as_serde_json_reads_them(n in any::<u64>(), k in 0u32..20) {
            let text = (n >> k).to_string();
            prop_assert_eq!(Scanner::new(&text).u64(), Some(n >> k));
            agrees(&text);
            agrees(&format!("-{text}"));
        }
    }

    #[test]
    fn ids_are_read_as_serde_json_reads_them() {
        let read = |t: &str| {
            let line = format!("{{\"id\":{t}}}");
            request::<NoFields>(&line).map(|(id, NoFields)| format!("{id:?}"))
        };
        for t in TRICKY.iter().chain(&[
            "-9223372036854775808",
            "-1",
            "42",
            "\"a b\"",
            " 7 ",
            "0",
            "- 5",
            "-01",
        ]) {
            let line = format!("{{\"id\":{t}}}");
            let mine = read(t);
            if let Some(mine) = mine {
                let theirs = crate::jsonl::fast_request::<NoFields>(&line).map(|r| format!("{:?}", r.id));
                assert_eq!(Some(mine), theirs, "{line}");
            }
        }
        assert_eq!(
            read("-9223372036854775808").as_deref(),
            Some("I64(-9223372036854775808)")
        );
        assert_eq!(read("-9223372036854775809"), None);
        assert_eq!(read("-0"), None);
        assert_eq!(read("1.0"), None);
        assert_eq!(read("\"esc\\u00e9\""), None);
        assert_eq!(read("[1]"), None);
    }

    #[derive(Default, Debug)]
    struct NoFields;

    impl Scan<'_> for NoFields {
        const KEYS: &'static [&'static str] = &[];
        fn scan(&mut self, _: usize, _: &mut Scanner<'_>) -> Option<()> {
            None
        }
    }

    impl<'de> crate::jsonl::Fields<'de> for NoFields {
        fn field<A: serde::de::MapAccess<'de>>(&mut self, _: &str, _: &mut A) -> Result<bool, A::Error> {
            Ok(false)
        }
    }

    #[test]
    fn frames_it_does_not_read_are_left() {
        for line in [
            "",
            "{",
            "{}x",
            "{} {}",
            "[]",
            "{\"id\":1,}",
            "{,\"id\":1}",
            "{\"id\" 1}",
            "{\"id\":1 \"id\":2}",
            "{\"id\":1,\"id\":2}",
            "{\"zz\":1}",
            "{\"i\\u0064\":1}",
            "{\"id\":\"a\u{1}\"}",
        ] {
            assert!(request::<NoFields>(line).is_none(), "{line:?}");
        }
        for line in ["{}", " { } ", "{\"id\":null}", "\t{ \"id\" :\r\n 7 }\r"] {
            assert!(request::<NoFields>(line).is_some(), "{line:?}");
        }
    }
}
