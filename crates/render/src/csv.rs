//! CSV from typed rows: the header is the row struct's field names, so header and rows cannot drift.
//!
//! Fields are quoted by the `csv` crate whenever they need it (a `"` or `,` in a site name is safe);
//! `None` is an empty field; lines end in `\n`.

use serde::Serialize;

use crate::RenderError;

/// Encodes `rows` as CSV with a header line taken from the row type's field names. An empty table is
/// the header alone (taken from `T::default()`, since serde learns field names from a value).
pub fn to_csv<T: Serialize + Default>(rows: impl IntoIterator<Item = T>) -> Result<String, RenderError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut any = false;
    for r in rows {
        w.serialize(r)?;
        any = true;
    }
    if !any {
        return header_of::<T>();
    }
    finish(w)
}

/// The header line alone of a table of `T` rows.
fn header_of<T: Serialize + Default>() -> Result<String, RenderError> {
    let mut scratch = ::csv::Writer::from_writer(Vec::new());
    scratch.serialize(T::default())?;
    let text = finish(scratch)?;
    let mut r = ::csv::Reader::from_reader(text.as_bytes());
    let header = r.headers()?.clone();
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    finish(w)
}

/// As [`to_csv`], writing `header` first and the rows without a header of their own: for tables whose
/// columns are only known at run time (sweep parameters) or that may be empty. Every row must have
/// `header.len()` fields, else this fails.
pub fn to_csv_with_header<T: Serialize>(
    header: &[&str],
    rows: impl IntoIterator<Item = T>,
) -> Result<String, RenderError> {
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.serialize(r)?;
    }
    finish(w)
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> Result<String, RenderError> {
    let bytes = w
        .into_inner()
        .map_err(|e| RenderError::Other(format!("CSV: {}", e.error())))?;
    String::from_utf8(bytes).map_err(|e| RenderError::Other(format!("CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Default)]
    struct Row<'a> {
        site: &'a str,
        alt_km: Option<f64>,
        ok: bool,
    }

    #[test]
    fn header_from_the_struct_and_awkward_text_round_trips() {
        let rows = [
            Row {
                site: "Say \"Brdy\", CZ",
                alt_km: Some(1.5),
                ok: true,
            },
            Row {
                site: "line\nbreak",
                alt_km: None,
                ok: false,
            },
        ];
        let text = to_csv(rows).unwrap();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap(), vec!["site", "alt_km", "ok"]);
        let recs: Vec<::csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(&recs[0][0], "Say \"Brdy\", CZ");
        assert_eq!(&recs[1][0], "line\nbreak");
        assert_eq!(&recs[1][1], "");
        assert_eq!(&recs[0][1], "1.5");
    }

    #[test]
    fn an_empty_table_is_its_header() {
        assert_eq!(to_csv(Vec::<Row>::new()).unwrap(), "site,alt_km,ok\n");
    }

    #[test]
    fn a_row_wider_than_the_header_is_an_error_not_a_silent_line() {
        #[derive(Serialize)]
        struct Wide(u8, u8, u8);
        let e = to_csv_with_header(&["a", "b"], [Wide(1, 2, 3)]);
        assert!(e.is_err(), "{e:?}");
        let ok = to_csv_with_header(&["a", "b", "c"], [Wide(1, 2, 3)]).unwrap();
        assert_eq!(ok, "a,b,c\n1,2,3\n");
    }
}
