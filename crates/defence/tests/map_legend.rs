//! The 2-D footprint map says what it draws: every contour level is in its legend (in one entry, and
//! the assumed speed's thicker line in another) and written on its contour, and the grid points never engaged (or, on a coverage map,
//! never seen) are drawn grey and named in the legend, while points beyond the missile's range stay
//! blank. Read back from the SVG's elements with quick-xml.

use std::sync::atomic::AtomicBool;

use defence::footprint::{self, Footprint, Grid, MapKind, Request, Status};
use defence::maps;
use defence::scenario::Scenario;
use defence::study::ShapeChoice;

/// (fill of every `<polygon>`, text of every `<text>`) of an SVG document, read by quick-xml.
fn polygons_and_texts(svg: &str) -> (Vec<String>, Vec<String>) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(svg);
    let (mut fills, mut texts) = (Vec::new(), Vec::new());
    let mut in_text = false;
    loop {
        match r.read_event().unwrap() {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"polygon" => {
                let fill = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .find(|a| a.key.as_ref() == b"fill")
                    .map(|a| String::from_utf8(a.value.into_owned()).unwrap())
                    .unwrap_or_default();
                fills.push(fill);
            }
            Event::Start(e) if e.name().as_ref() == b"text" => {
                in_text = true;
                texts.push(String::new());
            }
            Event::End(e) if e.name().as_ref() == b"text" => in_text = false,
            Event::Text(t) if in_text => texts.last_mut().unwrap().push_str(&t.xml10_content().unwrap()),
            Event::GeneralRef(g) if in_text => {
                let c = match g.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&g.decode().unwrap())
                        .unwrap()
                        .to_string(),
                };
                texts.last_mut().unwrap().push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (fills, texts)
}

fn map(kind: MapKind, site: &str, grid: Grid, levels: Vec<f64>) -> Footprint {
    map_with(kind, site, grid, levels, defence::boost::BoostModel::Fixed)
}

fn map_with(
    kind: MapKind,
    site: &str,
    grid: Grid,
    levels: Vec<f64>,
    boost: defence::boost::BoostModel,
) -> Footprint {
    let s = Scenario::load("europe-2008").unwrap();
    let req = Request {
        kind,
        site: Some(site.into()),
        missile: None,
        shape: ShapeChoice::MinEnergy,
        grid,
        speed_mps: None,
        rcs_m2: None,
        levels,
        boost,
    };
    footprint::compute(&s, &req, None, &|_| {}, &AtomicBool::new(false)).unwrap()
}

#[test]
fn every_contour_level_and_the_never_engaged_points_are_in_the_legend() {
    // Targets from Berlin east to beyond the Urals' edge of the radar's view, from Tehran.
    let fp = map(
        MapKind::DefendedArea,
        "Tehran",
        Grid::try_new(44.0, 60.0, 10.0, 58.0, 4.0).unwrap(),
        vec![5400.0, 7000.0, 8300.0],
    );
    let never = fp
        .cells
        .iter()
        .filter(|c| {
            c.crossover_speed_mps.is_none() && matches!(c.status, Status::NotSeen | Status::Unreachable)
        })
        .count();
    let coloured = fp
        .cells
        .iter()
        .filter(|c| c.crossover_speed_mps.is_some())
        .count();
    assert!(
        never > 0 && coloured > 0,
        "the grid has both: {never} never, {coloured} engaged"
    );
    let (fills, texts) = polygons_and_texts(&maps::footprint_svg(&fp).unwrap());
    let grey = fills.iter().filter(|f| *f == "#b0b0b0").count();
    assert_eq!(grey, never, "one grey cell per point never engaged");
    // Points beyond the missile's range are not drawn.
    let blank = fp.cells.len() - never - coloured;
    assert_eq!(fills.len(), grey + coloured, "{blank} blank points drawn");
    assert!(texts.iter().any(|t| t == "never engaged"), "{texts:?}");
    let levels: Vec<String> = fp
        .contours
        .iter()
        .map(|c| format!("{:.1}", c.level / 1e3))
        .collect();
    assert_eq!(levels, ["5.4", "7.0", "8.3"]);
    let label = format!("contours at {} km/s", levels.join(", "));
    assert!(texts.contains(&label), "{label} not in {texts:?}");
    // Each contour is labelled on the map with its level.
    for l in &levels {
        assert!(texts.contains(l), "no label {l} on the map: {texts:?}");
    }
    assert!(
        texts.iter().any(|t| t == "contour at the assumed 7.0 km/s"),
        "{texts:?}"
    );
}

#[test]
fn a_coverage_map_names_every_altitude_contour_and_greys_what_is_never_seen() {
    let fp = map(
        MapKind::RadarCoverage,
        "Brdy",
        Grid::try_new(30.0, 70.0, -10.0, 70.0, 8.0).unwrap(),
        vec![200_000.0, 500_000.0, 1_000_000.0],
    );
    let never = fp.cells.iter().filter(|c| c.min_visible_alt_m.is_none()).count();
    let (fills, texts) = polygons_and_texts(&maps::footprint_svg(&fp).unwrap());
    assert_eq!(fills.iter().filter(|f| *f == "#b0b0b0").count(), never);
    assert_eq!(
        texts.iter().any(|t| t == "not seen at any altitude"),
        never > 0,
        "{texts:?}"
    );
    let levels: Vec<String> = fp
        .contours
        .iter()
        .map(|c| format!("{:.0}", c.level / 1e3))
        .collect();
    assert_eq!(levels, ["200", "500", "1000"]);
    // The map states the warhead RCS it assumes (the smallest missile's: 0.05 m² in europe-2008).
    assert_eq!(fp.rcs_m2, Some(0.05));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("; warhead radar cross-section 0.05 m²;")),
        "{texts:?}"
    );
    assert!(maps::footprint_summary(&fp).contains("radar cross-section 0.05 m²"));
    let label = format!("contours: seen above {} km", levels.join(", "));
    assert!(texts.contains(&label), "{label} not in {texts:?}");
    for l in &levels {
        assert!(texts.contains(l), "no label {l} on the map: {texts:?}");
    }
}

/// (x, y, text-anchor, font size, class, text) of every `<text>`, and (x, y, width, height) of the
/// legend's box (grey stroke) and the scale bar's (white at 0.8 opacity), read by quick-xml.
#[allow(clippy::type_complexity)]
fn texts_and_legend(svg: &str) -> (Vec<(f64, f64, String, f64, String, String)>, Vec<[f64; 4]>) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(svg);
    let (mut texts, mut rects) = (Vec::new(), Vec::new());
    let attr = |e: &quick_xml::events::BytesStart, k: &[u8]| {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == k)
            .map(|a| String::from_utf8(a.value.into_owned()).unwrap())
    };
    let num = |s: Option<String>| s.and_then(|v| v.parse::<f64>().ok());
    let mut open = false;
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"text" => {
                open = true;
                texts.push((
                    num(attr(&e, b"x")).unwrap_or(f64::NAN),
                    num(attr(&e, b"y")).unwrap_or(f64::NAN),
                    attr(&e, b"text-anchor").unwrap_or_else(|| "start".into()),
                    num(attr(&e, b"font-size")).unwrap_or(12.0),
                    attr(&e, b"class").unwrap_or_default(),
                    String::new(),
                ));
            }
            Event::End(e) if e.name().as_ref() == b"text" => open = false,
            Event::Text(t) if open => texts.last_mut().unwrap().5.push_str(&t.xml10_content().unwrap()),
            Event::Empty(e)
                if e.name().as_ref() == b"rect"
                    && (attr(&e, b"stroke").as_deref() == Some("#888")
                        || attr(&e, b"fill-opacity").as_deref() == Some("0.8")) =>
            {
                rects.push([
                    num(attr(&e, b"x")).unwrap(),
                    num(attr(&e, b"y")).unwrap(),
                    num(attr(&e, b"width")).unwrap(),
                    num(attr(&e, b"height")).unwrap(),
                ]);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (texts, rects)
}

#[test]
fn contour_labels_keep_clear_of_site_names_and_the_legend() {
    // The study's defended-area map from Semnan, where the 7.0 km/s contour runs past Kozelsk.
    for fp in [
        map(
            MapKind::DefendedArea,
            "Semnan",
            Grid::try_new(30.0, 66.0, -12.0, 40.0, 1.0).unwrap(),
            vec![5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0],
        ),
        map(
            MapKind::RadarCoverage,
            "Brdy",
            Grid::try_new(30.0, 72.0, -12.0, 65.0, 2.0).unwrap(),
            vec![100_000.0, 200_000.0, 500_000.0, 1_000_000.0],
        ),
    ] {
        let (texts, rects) = texts_and_legend(&maps::footprint_svg(&fp).unwrap());
        let boxed = |t: &(f64, f64, String, f64, String, String)| {
            render::map::text_box(t.0, t.1, t.5.chars().count(), t.3, &t.2)
        };
        let labels: Vec<_> = texts.iter().filter(|t| t.4 == "contour-label").collect();
        assert!(labels.len() >= 3, "{} contour labels", labels.len());
        assert_eq!(rects.len(), 2, "the legend's and the scale bar's boxes");
        for l in &labels {
            let b = boxed(l);
            for [x, y, w, h] in &rects {
                assert!(
                    !render::map::overlaps(b, (*x, *y, x + w, y + h)),
                    "label {} under the legend or the scale bar",
                    l.5
                );
            }
            // Site names: the other 10 px texts on the map.
            for t in texts.iter().filter(|t| t.3 == 10.0 && t.4.is_empty()) {
                assert!(
                    !render::map::overlaps(b, boxed(t)),
                    "label {} over {:?}",
                    l.5,
                    t.5
                );
            }
        }
    }
}

/// The vertices (px) of each contour's path, in drawing order: the `<path>` inside each `<g>` drawn
/// in the contours' red, read by quick-xml.
fn contour_vertices(svg: &str) -> Vec<Vec<(f64, f64)>> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(svg);
    let (mut out, mut in_contour) = (Vec::new(), false);
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"g" => {
                in_contour = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .any(|a| a.key.as_ref() == b"stroke" && a.value.as_ref() == b"#d62728");
            }
            Event::End(e) if e.name().as_ref() == b"g" => in_contour = false,
            Event::Empty(e) if in_contour && e.name().as_ref() == b"path" => {
                let d = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .find(|a| a.key.as_ref() == b"d")
                    .map(|a| String::from_utf8(a.value.into_owned()).unwrap())
                    .unwrap_or_default();
                let pts = d
                    .split(['M', 'L'])
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                out.push(pts);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// A level's label sits on its own contour and not where another level's line runs (on the Kozelsk
/// map the 9.0 km/s label once sat at the end of the 6.3 line beside Washington).
#[test]
fn a_contour_label_names_its_own_line_only() {
    for fp in [
        // As `shieldwatch footprint europe-2008 --site Kozelsk --bounds 25,70,-130,-50` draws it:
        // the higher levels' lines run together along the edge of what the radar sees.
        map_with(
            MapKind::DefendedArea,
            "Kozelsk",
            Grid::try_new(25.0, 70.0, -130.0, -50.0, 1.0).unwrap(),
            vec![5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0],
            defence::boost::BoostModel::Powered,
        ),
        // `shieldwatch footprint europe-2008` as the README runs it.
        map_with(
            MapKind::DefendedArea,
            "Tehran",
            Grid::try_new(35.0, 71.0, -11.0, 41.0, 0.5).unwrap(),
            vec![5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0],
            defence::boost::BoostModel::Powered,
        ),
    ] {
        labels_on_their_own_lines(&fp);
    }
}

fn labels_on_their_own_lines(fp: &Footprint) {
    let svg = maps::footprint_svg(fp).unwrap();
    let (texts, _) = texts_and_legend(&svg);
    let paths = contour_vertices(&svg);
    assert_eq!(paths.len(), fp.contours.len());
    let labels: Vec<_> = texts.iter().filter(|t| t.4 == "contour-label").collect();
    assert!(!labels.is_empty());
    for l in labels {
        let k = fp
            .contours
            .iter()
            .position(|c| format!("{:.1}", c.level / 1e3) == l.5)
            .unwrap_or_else(|| panic!("label {} names no level", l.5));
        let at = (l.0, l.1 - 3.5);
        let own = paths[k]
            .iter()
            .map(|p| (p.0 - at.0).hypot(p.1 - at.1))
            .fold(f64::INFINITY, f64::min);
        assert!(own < 0.2, "label {} is {own} px off its contour", l.5);
        for (j, other) in paths.iter().enumerate().filter(|(j, _)| *j != k) {
            let d = other
                .iter()
                .map(|p| (p.0 - at.0).hypot(p.1 - at.1))
                .fold(f64::INFINITY, f64::min);
            assert!(
                d >= 9.9,
                "label {} is {d:.1} px from the {:.1} km/s contour",
                l.5,
                fp.contours[j].level / 1e3
            );
        }
    }
}
