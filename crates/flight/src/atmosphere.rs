//! The U.S. Standard Atmosphere 1976 from the surface to its 86 km top, for drag and nozzle back-pressure
//! during powered flight.
//!
//! Source: NOAA/NASA/USAF, "U.S. Standard Atmosphere, 1976", NOAA-S/T 76-1562, Part 1: the seven layers
//! of linear molecular-scale temperature in geopotential height (Table 4), the hydrostatic equation
//! integrated in closed form over each (equations 33a and 33b), the ideal-gas density (equation 42) and
//! the speed of sound (equation 50), with its constants g₀′ = 9.80665 m²/(s²·m′), R* = 8.31432 J/(mol·K),
//! M₀ = 28.9644 kg/kmol, r₀ = 6 356 766 m and γ = 1.4.
//!
//! Heights: the standard's geometric height is taken as the height above the WGS84 ellipsoid (the
//! standard is defined above mean sea level; the two differ by the geoid undulation, < 110 m, which this
//! model ignores). Below the surface the lowest layer is extended (to −5 km, the bottom of the ICAO
//! table). Above the 86 km top ([`TOP_GEOMETRIC_M`]) the atmosphere is **absent**: density and pressure
//! are zero. The jump at the top (from 6.96 × 10⁻⁶ kg/m³ and 0.37 Pa to zero) is a located event of the
//! powered flight ([`crate::powered`]), which integrates each side separately. Above 80 km the standard's
//! kinetic temperature departs from the molecular-scale temperature by up to 0.04 %; only the latter,
//! which sets density and the speed of sound, is used here.

/// Standard gravity g₀′ of the standard's geopotential, m/s² (also the g₀ of specific impulse).
pub const G0_MPS2: f64 = 9.80665;
/// Universal gas constant R* as the 1976 standard uses it, J/(mol·K).
const R_STAR: f64 = 8.31432;
/// Mean molar mass of sea-level air M₀, kg/mol.
const M0_KG_PER_MOL: f64 = 28.9644e-3;
/// Effective Earth radius r₀ for geopotential height, metres.
const R0_M: f64 = 6_356_766.0;
/// Ratio of specific heats of air.
const GAMMA: f64 = 1.4;
/// Sea-level pressure, Pa.
pub const SEA_LEVEL_PRESSURE_PA: f64 = 101_325.0;
/// Geopotential height of the top of the model, metres′ (geometric 86 km).
const TOP_GEOPOTENTIAL_M: f64 = 84_852.0;
/// Geometric height of the top of the model, metres: the geopotential 84 852 m′ of the standard.
pub const TOP_GEOMETRIC_M: f64 = R0_M * TOP_GEOPOTENTIAL_M / (R0_M - TOP_GEOPOTENTIAL_M);
/// Lowest height the model accepts, metres (geometric).
pub const BOTTOM_GEOMETRIC_M: f64 = -5_000.0;

/// Layer bases: geopotential height (m′) and molecular-scale temperature lapse rate (K/m′) from Table 4.
const LAYERS: [(f64, f64); 7] = [
    (0.0, -6.5e-3),
    (11_000.0, 0.0),
    (20_000.0, 1.0e-3),
    (32_000.0, 2.8e-3),
    (47_000.0, 0.0),
    (51_000.0, -2.8e-3),
    (71_000.0, -2.0e-3),
];

/// g₀′ M₀ / R*, K/m′.
const GMR: f64 = G0_MPS2 * M0_KG_PER_MOL / R_STAR;

/// Base temperatures (K) and pressures (Pa) of the seven layers.
fn base_states() -> &'static [(f64, f64); 7] {
    static BASES: std::sync::OnceLock<[(f64, f64); 7]> = std::sync::OnceLock::new();
    BASES.get_or_init(|| {
        let mut out = [(288.15, SEA_LEVEL_PRESSURE_PA); 7];
        for i in 1..7 {
            let (h0, lapse) = LAYERS[i - 1];
            let (t0, p0) = out[i - 1];
            let dh = LAYERS[i].0 - h0;
            out[i] = (t0 + lapse * dh, layer_pressure(p0, t0, lapse, dh));
        }
        out
    })
}

/// Pressure dh above a layer base of pressure `p0` and temperature `t0` with lapse rate `lapse`
/// (equations 33a and 33b).
#[inline]
fn layer_pressure(p0: f64, t0: f64, lapse: f64, dh: f64) -> f64 {
    if lapse == 0.0 {
        p0 * (-GMR * dh / t0).exp()
    } else {
        p0 * (t0 / (t0 + lapse * dh)).powf(GMR / lapse)
    }
}

/// The state of the air at one height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Air {
    /// Molecular-scale temperature, K (that of the top, 186.87 K, above it).
    pub temperature_k: f64,
    /// Pressure, Pa (0 above the top).
    pub pressure_pa: f64,
    /// Density, kg/m³ (0 above the top).
    pub density_kg_per_m3: f64,
    /// Speed of sound, m/s (that of the top above it: no Mach number is used where there is no air).
    pub speed_of_sound_mps: f64,
}

/// The air at geometric height `h_m` (metres; see the module doc for the heights used). Heights below
/// [`BOTTOM_GEOMETRIC_M`] are clamped to it; above [`TOP_GEOMETRIC_M`] the air is absent.
pub fn air(h_m: f64) -> Air {
    let z = h_m.max(BOTTOM_GEOMETRIC_M);
    let above = z > TOP_GEOMETRIC_M;
    let hp = if above {
        TOP_GEOPOTENTIAL_M
    } else {
        R0_M * z / (R0_M + z)
    };
    let i = LAYERS.iter().rposition(|&(base, _)| hp >= base).unwrap_or(0);
    let (base, lapse) = LAYERS[i];
    let (t0, p0) = base_states()[i];
    let dh = hp - base;
    let t = t0 + lapse * dh;
    let sound = (GAMMA * R_STAR * t / M0_KG_PER_MOL).sqrt();
    if above {
        return Air {
            temperature_k: t,
            pressure_pa: 0.0,
            density_kg_per_m3: 0.0,
            speed_of_sound_mps: sound,
        };
    }
    let p = layer_pressure(p0, t0, lapse, dh);
    Air {
        temperature_k: t,
        pressure_pa: p,
        density_kg_per_m3: p * M0_KG_PER_MOL / (R_STAR * t),
        speed_of_sound_mps: sound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of the standard's tables at geometric heights, to the digits they print (the same values
    /// as the `ambiance` package's ICAO 1993 atmosphere up to 80 km).
    #[test]
    fn ussa1976_table_values() {
        // (Z m, T K, p Pa, ρ kg/m³, a m/s): U.S. Standard Atmosphere 1976, Part 4, Table I.
        let table = [
            (0.0, 288.150, 1.01325e5, 1.2250, 340.294),
            (5_000.0, 255.676, 5.4048e4, 7.3643e-1, 320.545),
            (11_000.0, 216.774, 2.2699e4, 3.6480e-1, 295.154),
            (20_000.0, 216.650, 5.5293e3, 8.8910e-2, 295.069),
            (32_000.0, 228.490, 8.8906e2, 1.3555e-2, 303.025),
            (50_000.0, 270.650, 7.9779e1, 1.0269e-3, 329.799),
            (70_000.0, 219.585, 5.2209, 8.2829e-5, 297.066),
            // At 86 km the kinetic temperature is 186.87 K; the molecular-scale one, used here, 186.946 K.
            (TOP_GEOMETRIC_M, 186.946, 3.7338e-1, 6.958e-6, 274.096),
        ];
        for (z, t, p, rho, a) in table {
            let s = air(z);
            assert!((s.temperature_k - t).abs() < 0.06, "T({z}) = {}", s.temperature_k);
            assert!(
                (s.pressure_pa / p - 1.0).abs() < 2e-4,
                "p({z}) = {}",
                s.pressure_pa
            );
            assert!(
                (s.density_kg_per_m3 / rho - 1.0).abs() < 2e-4,
                "rho({z}) = {}",
                s.density_kg_per_m3
            );
            assert!(
                (s.speed_of_sound_mps - a).abs() < 0.01,
                "a({z}) = {}",
                s.speed_of_sound_mps
            );
        }
    }

    #[test]
    fn continuous_at_layer_bases_and_empty_above_the_top() {
        for &(base, _) in &LAYERS[1..] {
            let z = R0_M * base / (R0_M - base);
            let (lo, hi) = (air(z - 1e-6), air(z + 1e-6));
            assert!((lo.pressure_pa / hi.pressure_pa - 1.0).abs() < 1e-9);
            assert!((lo.temperature_k - hi.temperature_k).abs() < 1e-6);
        }
        assert!((TOP_GEOMETRIC_M - 86_000.0).abs() < 1.0, "{TOP_GEOMETRIC_M}");
        let top = air(TOP_GEOMETRIC_M);
        assert!(top.density_kg_per_m3 > 6.9e-6 && top.density_kg_per_m3 < 7.0e-6);
        let above = air(TOP_GEOMETRIC_M + 1e-6);
        assert_eq!((above.density_kg_per_m3, above.pressure_pa), (0.0, 0.0));
        assert_eq!(air(500e3).density_kg_per_m3, 0.0);
        assert!(air(-10_000.0).density_kg_per_m3 == air(BOTTOM_GEOMETRIC_M).density_kg_per_m3);
    }
}
