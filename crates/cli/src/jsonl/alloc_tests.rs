//! Heap allocations per answered line, counted by a global allocator of the test binary: the driver
//! (reading, answering into the piece's buffer, writing) adds none to what the library call itself makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flight::{BurnoutState, Gravity};
use geodesy::{Geodetic, Vec3};

use super::{Handler, Line, Piece, answer_piece};
use crate::cmd::fly::Fly;
use crate::cmd::geodesy::GeodesyCmd;
use crate::cmd::lambert::LambertCmd;

/// The system allocator, counting the allocations (and reallocations) each thread makes.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    ALLOCATIONS.with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is passed on unchanged to the system allocator; counting touches only a
// thread-local `Cell` that needs no allocation and no destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The allocations this thread makes while running `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// The allocations of the library calls `f`, after a first run of them (which may set up lazily
/// built tables, such as the WGS84 geodesic's coefficients).
fn library_allocations(f: impl Fn()) -> u64 {
    f();
    allocations(f)
}

/// The allocations of answering `lines` through the driver, once its buffers have grown (a first pass
/// over the same lines warms them): every line must be answered without an error.
fn driver_allocations<H: Handler>(handler: &H, lines: &[String]) -> u64 {
    let mut text = Vec::new();
    let mut spans = Vec::new();
    for l in lines {
        let start = text.len();
        text.extend_from_slice(l.as_bytes());
        spans.push(Line::Text {
            start,
            end: text.len(),
        });
    }
    let mut piece = Piece::default();
    answer_piece(handler, &text, &spans, 0, &mut piece).unwrap();
    assert!(piece.errors.is_empty(), "{:?}", piece.errors);
    assert_eq!(piece.out.iter().filter(|&&b| b == b'\n').count(), lines.len());
    let n = allocations(|| answer_piece(handler, &text, &spans, 0, &mut piece).unwrap());
    assert!(piece.errors.is_empty(), "{:?}", piece.errors);
    n
}

const BURNOUTS: [[f64; 6]; 4] = [
    [32.0, 35.0, 30000.0, 1700.0, 45.0, 40.0],
    [38.0, 127.0, 50000.0, 2200.0, 120.0, 35.0],
    [35.2, 53.9, 150000.0, 6000.0, 315.0, 30.0],
    [55.75, 37.61, 200000.0, 7000.0, 320.5, 22.25],
];

#[test]
fn fly_lines_allocate_only_what_the_library_does() {
    for gravity in [Gravity::Point, Gravity::J2] {
        let mut lines = Vec::new();
        let mut states = Vec::new();
        for (i, b) in BURNOUTS.iter().enumerate() {
            lines.push(format!(
                "{{\"id\":{i},\"lat_deg\":{:?},\"lon_deg\":{:?},\"alt_m\":{:?},\"speed_mps\":{:?},\
                 \"azimuth_deg\":{:?},\"flight_path_angle_deg\":{:?},\"gravity\":\"{}\"}}",
                b[0],
                b[1],
                b[2],
                b[3],
                b[4],
                b[5],
                gravity.name()
            ));
            states.push(BurnoutState {
                lat_deg: b[0],
                lon_deg: b[1],
                alt_m: b[2],
                speed_mps: b[3],
                azimuth_deg: b[4],
                flight_path_angle_deg: b[5],
            });
        }
        let library = library_allocations(|| {
            for s in &states {
                std::hint::black_box(flight::fly(s, gravity).unwrap());
            }
        });
        let driver = driver_allocations(&Fly, &lines);
        assert_eq!(driver, library, "{gravity}: driver {driver}, library {library}");
        // `flight::fly` keeps no step list: a line of either gravity allocates nothing.
        assert_eq!(driver, 0, "a {gravity} line allocates nothing");
    }
}

#[test]
fn geodesy_lines_allocate_only_what_the_library_does() {
    let obs = Geodetic::try_new(49.7, 13.8, 700.0).unwrap();
    let tgt = Geodetic::try_new(35.7, 51.4, 100000.0).unwrap();
    let kinds: [(&str, &dyn Fn()); 4] = [
        (
            r#"{"id":1,"kind":"inverse","lat1_deg":30.643436732292965,"lon1_deg":143.09339394655518,"lat2_deg":18.05706598230722,"lon2_deg":-122.43154360039716}"#,
            &|| {
                std::hint::black_box(geodesy::inverse(
                    30.643436732292965,
                    143.09339394655518,
                    18.05706598230722,
                    -122.43154360039716,
                ))
                .unwrap();
            },
        ),
        (
            r#"{"id":"b","kind":"direct","lat1_deg":10,"lon1_deg":20,"azi1_deg":45,"distance_m":1e6}"#,
            &|| {
                std::hint::black_box(geodesy::direct(10.0, 20.0, 45.0, 1e6)).unwrap();
            },
        ),
        (
            r#"{"id":3, "kind": "look_angle", "obs_lat_deg": 49.7, "obs_lon_deg": 13.8, "obs_h_m": 700, "tgt_lat_deg": 35.7, "tgt_lon_deg": 51.4, "tgt_h_m": 100000}"#,
            &|| {
                std::hint::black_box(geodesy::look_angle(obs, tgt));
            },
        ),
        (
            r#"{"kind":"min_visible_alt","obs_lat_deg":49.7,"obs_lon_deg":13.8,"obs_h_m":700,"min_elevation_deg":1,"tgt_lat_deg":35.7,"tgt_lon_deg":51.4}"#,
            &|| {
                std::hint::black_box(geodesy::min_visible_alt(obs, 1.0, 35.7, 51.4)).unwrap();
            },
        ),
    ];
    for (line, call) in kinds {
        let library = library_allocations(call);
        let driver = driver_allocations(&GeodesyCmd, &[line.to_string()]);
        assert_eq!(driver, library, "{line}: driver {driver}, library {library}");
        if line.contains("inverse") {
            assert_eq!(driver, 0, "a geodesic inverse line allocates nothing");
        }
    }
}

#[test]
fn lambert_lines_allocate_only_what_the_library_does() {
    let cases = [
        (
            [6778137.0, 0.0, 0.0],
            [4.3953412504455924e-10, 7178137.0, 0.0],
            1500.0,
            true,
        ),
        (
            [6778137.0, 0.0, 0.0],
            [4.3953412504455924e-10, 7178137.0, 0.0],
            4500.0,
            false,
        ),
        ([7000000.0, 0.0, 0.0], [0.0, 7100000.5, 10.0], 3000.0, true),
    ];
    let mu = 398600441800000.0;
    let lines: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (r1, r2, tof, pro))| {
            format!(
                "{{\"id\":{i},\"r1_m\":[{:?},{:?},{:?}],\"r2_m\":[{:?},{:?},{:?}],\"tof_s\":{tof:?},\
                 \"mu_m3ps2\":{mu:?},\"prograde\":{pro},\"max_revs\":0}}",
                r1[0], r1[1], r1[2], r2[0], r2[1], r2[2]
            )
        })
        .collect();
    let library = library_allocations(|| {
        for (r1, r2, tof, pro) in &cases {
            std::hint::black_box(
                flight::lambert(Vec3::from_array(*r1), Vec3::from_array(*r2), *tof, mu, *pro, 0).unwrap(),
            );
        }
    });
    let driver = driver_allocations(&LambertCmd, &lines);
    assert_eq!(driver, library, "driver {driver}, library {library}");
}

/// A `fly` line the fast path reads whole but that lacks a field is answered with the general path's
/// error line without parsing it again, and without an allocation.
#[test]
fn missing_field_lines_allocate_nothing() {
    let lines = [
        r#"{"id":0,"lat_deg":32.0,"lon_deg":35.0,"alt_m":30000.0,"speed_mps":1700.0,"azimuth_deg":45.0,"flight_path_angle_deg":40.0}"#,
        r#"{"id":"b","lat_deg":32.0,"alt_m":30000.0,"speed_mps":1700.0,"azimuth_deg":45.0,"flight_path_angle_deg":40.0,"gravity":"j2"}"#,
    ];
    let mut text = Vec::new();
    let mut spans = Vec::new();
    for l in lines {
        let start = text.len();
        text.extend_from_slice(l.as_bytes());
        spans.push(Line::Text {
            start,
            end: text.len(),
        });
    }
    let mut piece = Piece::default();
    answer_piece(&Fly, &text, &spans, 0, &mut piece).unwrap();
    let n = allocations(|| answer_piece(&Fly, &text, &spans, 0, &mut piece).unwrap());
    assert_eq!(
        String::from_utf8_lossy(&piece.out),
        "{\"id\":0,\"error\":\"missing field `gravity`\"}\n{\"id\":\"b\",\"error\":\"missing field `lon_deg`\"}\n"
    );
    assert_eq!(piece.errors.len(), 2);
    assert_eq!(n, 0, "a line missing a field allocates nothing");
}
