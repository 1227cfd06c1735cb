//! Test rockets shared by this crate's unit tests, integration tests and the examples that write the
//! reference cases (`examples/aim_cases.rs`): one definition each, so that a test and the reference it
//! is checked against always fly the same vehicle. Not claims about real missiles (the `europe-2008`
//! threat rockets repeat the numbers of `crates/defence/scenarios/europe-2008.toml`, whose sources are
//! given there). Not part of the crate's API.

use crate::powered::Programme;
use crate::vehicle::{DragTable, Stage, Vehicle};

/// A stage: propellant and dry mass (kg), burn time (s), vacuum specific impulse (s), nozzle exit area
/// and drag reference area (m²), drag coefficient by Mach number, coast after burnout (s).
#[allow(clippy::too_many_arguments)]
pub fn stage(
    propellant_kg: f64,
    dry_kg: f64,
    burn_time_s: f64,
    isp_vac_s: f64,
    nozzle_exit_area_m2: f64,
    reference_area_m2: f64,
    drag: &DragTable,
    coast_after_s: f64,
) -> Stage {
    Stage {
        propellant_kg,
        dry_kg,
        burn_time_s,
        isp_vac_s,
        nozzle_exit_area_m2,
        reference_area_m2,
        drag: drag.clone(),
        coast_after_s,
    }
}

fn table(mach: &[f64], cd: &[f64]) -> DragTable {
    DragTable::try_new(mach.to_vec(), cd.to_vec()).expect("a valid test drag table")
}

fn vehicle(stages: Vec<Stage>, payload_kg: f64) -> Vehicle {
    Vehicle::try_new(stages, payload_kg).expect("a valid test vehicle")
}

/// A two-stage solid medium-range rocket with a transonic drag rise.
pub fn solid_mrbm() -> Vehicle {
    let cd = table(&[0.0, 0.8, 1.0, 1.2, 2.0, 4.0], &[0.25, 0.3, 0.45, 0.5, 0.4, 0.3]);
    vehicle(
        vec![
            stage(14_000.0, 1_800.0, 60.0, 260.0, 0.6, 1.5, &cd, 0.0),
            stage(4_000.0, 600.0, 50.0, 275.0, 0.3, 1.2, &cd, 0.0),
        ],
        750.0,
    )
}

/// A two-stage interceptor with a 5 s coast between its stages.
pub fn interceptor() -> Vehicle {
    let cd = table(&[0.0, 1.0, 1.2, 3.0], &[0.25, 0.45, 0.5, 0.3]);
    vehicle(
        vec![
            stage(9_000.0, 1_300.0, 60.0, 275.0, 0.3, 1.2, &cd, 5.0),
            stage(2_200.0, 450.0, 45.0, 290.0, 0.3, 1.2, &cd, 0.0),
        ],
        64.0,
    )
}

/// A two- or three-stage solid rocket of a ground-based interceptor's size, with coasts between its
/// stages, its propellant scaled by `scale`.
pub fn gbi_like(three: bool, scale: f64) -> Vehicle {
    let cd = table(
        &[0.0, 0.8, 1.0, 1.2, 2.0, 4.0, 6.0],
        &[0.25, 0.30, 0.45, 0.50, 0.40, 0.30, 0.25],
    );
    let stages = if three {
        vec![
            stage(10_000.0, 1_400.0, 55.0, 275.0, 0.5, 1.3, &cd, 4.0),
            stage(3_000.0, 500.0, 40.0, 290.0, 0.2, 1.0, &cd, 8.0),
            stage(900.0, 200.0, 30.0, 295.0, 0.0, 0.6, &cd, 0.0),
        ]
    } else {
        vec![
            stage(9_000.0, 1_300.0, 60.0, 275.0, 0.5, 1.3, &cd, 10.0),
            stage(2_200.0, 450.0, 45.0, 290.0, 0.1, 0.9, &cd, 0.0),
        ]
    };
    vehicle(stages, 64.0)
        .with_propellant_scaled(scale)
        .expect("a positive propellant scale")
}

/// The `europe-2008` scenario's APS generic liquid ICBM (constant drag coefficient 0.3).
pub fn aps_liquid_icbm() -> Vehicle {
    let cd = DragTable::constant(0.3).expect("a drag coefficient");
    vehicle(
        vec![
            stage(40_000.0, 3_500.0, 120.0, 290.0, 1.2, 3.1, &cd, 0.0),
            stage(7_000.0, 1_000.0, 120.0, 310.0, 0.8, 2.0, &cd, 0.0),
        ],
        1_000.0,
    )
}

/// The `europe-2008` scenario's three threat rockets (constant drag coefficient 0.3) with their
/// steering templates: (name, vehicle, programme; the kick and azimuth are the aim's to choose).
pub fn europe_2008_threats() -> Vec<(&'static str, Vehicle, Programme)> {
    let cd = DragTable::constant(0.3).expect("a drag coefficient");
    let template = |rise: f64, kick: f64| Programme {
        vertical_rise_s: rise,
        kick_deg: kick,
        kick_duration_s: 10.0,
        azimuth_deg: 0.0,
    };
    vec![
        (
            "APS generic solid ICBM",
            vehicle(
                vec![
                    stage(20_800.0, 2_300.0, 60.0, 285.0, 0.9, 2.3, &cd, 0.0),
                    stage(6_200.0, 800.0, 60.0, 295.0, 0.6, 1.6, &cd, 0.0),
                    stage(3_300.0, 400.0, 58.0, 295.0, 0.4, 1.1, &cd, 0.0),
                ],
                1_000.0,
            ),
            template(8.0, 5.0),
        ),
        ("APS generic liquid ICBM", aps_liquid_icbm(), template(8.0, 5.0)),
        (
            "Sejjil-class two-stage solid",
            vehicle(
                vec![
                    stage(5_700.0, 780.0, 55.0, 275.0, 0.7, 1.23, &cd, 0.0),
                    stage(1_350.0, 310.0, 50.0, 285.0, 0.4, 1.23, &cd, 0.0),
                ],
                700.0,
            ),
            template(6.0, 8.0),
        ),
    ]
}
