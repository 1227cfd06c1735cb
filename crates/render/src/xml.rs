//! XML (SVG, KML) through quick-xml: text and attribute values are escaped by the writer, so a `<`,
//! `&`, `"` or `'` in a site name cannot break a file, and every element opened is closed.
//!
//! ```
//! use render::xml::Xml;
//! let mut x = Xml::new();
//! x.open("svg", &[("xmlns", "http://www.w3.org/2000/svg".into()), ("width", 10.to_string())])?;
//! x.leaf("text", &[("x", "1".into())], "A & B")?;
//! x.close()?;
//! assert_eq!(x.finish()?, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\">\n<text x=\"1\">A &amp; B</text>\n</svg>\n");
//! # Ok::<(), render::RenderError>(())
//! ```

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::RenderError;

/// Attributes of an element: name and (unescaped) value.
pub type Attrs<'a> = [(&'a str, String)];

/// Builds attribute lists: `attrs!["x" => 1.5, "fill" => colour]` (values formatted with `Display`).
#[macro_export]
macro_rules! attrs {
    ($($k:expr => $v:expr),* $(,)?) => {
        [$(($k, ::std::string::ToString::to_string(&$v))),*]
    };
}

/// An XML document being written; one element per line.
pub struct Xml {
    w: quick_xml::Writer<Vec<u8>>,
    open: Vec<String>,
}

fn err(e: impl std::fmt::Display) -> RenderError {
    RenderError::Other(format!("XML: {e}"))
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

impl Xml {
    /// A fragment without XML declaration (an SVG to embed in HTML, say).
    pub fn new() -> Self {
        Self {
            w: quick_xml::Writer::new(Vec::new()),
            open: Vec::new(),
        }
    }

    /// A document starting with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn with_declaration() -> Result<Self, RenderError> {
        let mut x = Self::new();
        x.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(err)?;
        x.newline()?;
        Ok(x)
    }

    fn newline(&mut self) -> Result<(), RenderError> {
        self.w
            .write_event(Event::Text(BytesText::from_escaped("\n")))
            .map_err(err)
    }

    fn start<'a>(tag: &'a str, attrs: &'a Attrs<'a>) -> BytesStart<'a> {
        let mut e = BytesStart::new(tag);
        for (k, v) in attrs {
            e.push_attribute((*k, v.as_str()));
        }
        e
    }

    /// Opens `<tag attrs>`; [`Xml::close`] closes it.
    pub fn open(&mut self, tag: &str, attrs: &Attrs<'_>) -> Result<&mut Self, RenderError> {
        self.w
            .write_event(Event::Start(Self::start(tag, attrs)))
            .map_err(err)?;
        self.newline()?;
        self.open.push(tag.to_string());
        Ok(self)
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) -> Result<&mut Self, RenderError> {
        let tag = self
            .open
            .pop()
            .ok_or_else(|| err("close() without an open element"))?;
        self.w.write_event(Event::End(BytesEnd::new(tag))).map_err(err)?;
        self.newline()?;
        Ok(self)
    }

    /// `<tag attrs/>`.
    pub fn empty(&mut self, tag: &str, attrs: &Attrs<'_>) -> Result<&mut Self, RenderError> {
        self.w
            .write_event(Event::Empty(Self::start(tag, attrs)))
            .map_err(err)?;
        self.newline()?;
        Ok(self)
    }

    /// `<tag attrs>text</tag>`, the text escaped.
    pub fn leaf(&mut self, tag: &str, attrs: &Attrs<'_>, text: &str) -> Result<&mut Self, RenderError> {
        self.w
            .write_event(Event::Start(Self::start(tag, attrs)))
            .map_err(err)?;
        self.w
            .write_event(Event::Text(BytesText::new(text)))
            .map_err(err)?;
        self.w.write_event(Event::End(BytesEnd::new(tag))).map_err(err)?;
        self.newline()?;
        Ok(self)
    }

    /// The document; an error if an element is still open.
    pub fn finish(self) -> Result<String, RenderError> {
        if let Some(t) = self.open.last() {
            return Err(err(format!("<{t}> was never closed")));
        }
        String::from_utf8(self.w.into_inner()).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_escaped_and_parse_back() {
        let name = "Tabriz <\"A&B\"> 'x'";
        let mut x = Xml::with_declaration().unwrap();
        x.open("kml", &attrs!["xmlns" => "http://www.opengis.net/kml/2.2"])
            .unwrap();
        x.leaf("name", &[], name).unwrap();
        x.empty("Point", &attrs!["title" => name]).unwrap();
        x.close().unwrap();
        let text = x.finish().unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "kml");
        let kids: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(kids[0].text(), Some(name));
        assert_eq!(kids[1].attribute("title"), Some(name));
    }

    #[test]
    fn unclosed_or_overclosed_is_an_error() {
        let mut x = Xml::new();
        x.open("svg", &[]).unwrap();
        assert!(x.finish().is_err());
        assert!(Xml::new().close().is_err());
    }
}
