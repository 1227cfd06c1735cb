//! PNG from SVG (resvg), for slides: every SVG the project writes gets a PNG beside it.
//!
//! Text is laid out with the machine's fonts (fontdb, loaded once). The generic `sans-serif`,
//! `serif` and `monospace` families are pointed at the first installed of a few common free families
//! (DejaVu, Liberation, Noto; Debian's `fonts-dejavu-core`); with none installed, rendering fails
//! with an error that says so, rather than writing a PNG without its text.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::{OutputFile, RenderError};

const SANS: [&str; 4] = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];
const SERIF: [&str; 4] = ["DejaVu Serif", "Liberation Serif", "Noto Serif", "FreeSerif"];
const MONO: [&str; 4] = [
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Noto Sans Mono",
    "FreeMono",
];

/// The system fonts, with the generic families set; an error when no sans-serif family is installed.
fn fonts() -> Result<Arc<usvg::fontdb::Database>, RenderError> {
    static DB: OnceLock<Result<Arc<usvg::fontdb::Database>, String>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        let has = |db: &usvg::fontdb::Database, name: &str| {
            db.faces().any(|f| f.families.iter().any(|(n, _)| n == name))
        };
        let pick = |db: &usvg::fontdb::Database, names: &[&str]| {
            names.iter().find(|n| has(db, n)).map(|n| n.to_string())
        };
        let sans = pick(&db, &SANS).ok_or_else(|| {
            format!(
                "no sans-serif font found for the text of SVG plots (looked for {}); install one, \
                 e.g. Debian's fonts-dejavu-core",
                SANS.join(", ")
            )
        })?;
        let serif = pick(&db, &SERIF).unwrap_or_else(|| sans.clone());
        let mono = pick(&db, &MONO).unwrap_or_else(|| sans.clone());
        db.set_sans_serif_family(sans);
        db.set_serif_family(serif);
        db.set_monospace_family(mono);
        Ok(Arc::new(db))
    })
    .clone()
    .map_err(RenderError::Other)
}

/// Renders `svg` to PNG bytes at `scale` × its own size (2.0 for slides).
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, RenderError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(RenderError::Other(format!("PNG scale {scale} must be positive")));
    }
    let opt = usvg::Options {
        fontdb: fonts()?,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| RenderError::Other(format!("SVG: {e}")))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| RenderError::Other(format!("SVG of {w}×{h} pixels cannot be rendered")))?;
    // Slides want an opaque picture: white under whatever the SVG paints.
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Other(format!("PNG: {e}")))
}

/// The SVG file `name` (ending in `.svg`) and its PNG twin at twice its size.
pub fn svg_and_png(name: &str, svg: String) -> Result<[OutputFile; 2], RenderError> {
    let stem = name
        .strip_suffix(".svg")
        .ok_or_else(|| RenderError::Other(format!("{name} is not an .svg file name")))?;
    let png = svg_to_png(&svg, 2.0).map_err(|e| RenderError::Other(format!("{name}: {e}")))?;
    Ok([
        OutputFile::new(name, svg),
        OutputFile::new(format!("{stem}.png"), png),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dark pixels in a rendered PNG.
    fn dark_pixels(png: &[u8]) -> usize {
        let p = tiny_skia::Pixmap::decode_png(png).unwrap();
        p.pixels()
            .iter()
            .filter(|c| c.red() < 128 && c.alpha() > 0)
            .count()
    }

    #[test]
    fn text_is_drawn_with_a_system_font() {
        let text = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" font-family="sans-serif" font-size="20"><text x="5" y="28">Brdy &amp; Redzikowo</text></svg>"#;
        let empty = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"></svg>"#;
        let png = svg_to_png(text, 1.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let p = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((p.width(), p.height()), (200, 40));
        assert!(dark_pixels(&png) > 100, "the text is rendered");
        assert_eq!(dark_pixels(&svg_to_png(empty, 1.0).unwrap()), 0);
    }

    #[test]
    fn twin_files_and_bad_input() {
        let [svg, png] = svg_and_png(
            "map.svg",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#.into(),
        )
        .unwrap();
        assert_eq!((svg.name.as_str(), png.name.as_str()), ("map.svg", "map.png"));
        let p = tiny_skia::Pixmap::decode_png(&png.bytes).unwrap();
        assert_eq!(p.width(), 20, "twice the SVG's size");
        assert!(svg_to_png("<svg", 1.0).is_err());
        assert!(svg_and_png("map.txt", String::new()).is_err());
    }
}
