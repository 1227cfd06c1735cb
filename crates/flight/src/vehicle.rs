//! Rocket vehicles for powered flight: stages (propellant, dry mass, burn time, specific impulse, nozzle
//! exit area, aerodynamics), optional coasts between them, and a payload.
//!
//! Thrust follows from the mass flow: a stage burns its propellant at the constant rate
//! ṁ = propellant / burn time, and its thrust is F = ṁ g₀ Isp_vac − p(h) Aₑ, where Isp_vac is the vacuum
//! specific impulse, p(h) the ambient pressure ([`crate::atmosphere`]) and Aₑ the nozzle exit area: the
//! sea-level specific impulse is therefore Isp_vac − p₀ Aₑ / (ṁ g₀) ([`Stage::sea_level_isp_s`]). An upper
//! stage that burns above the atmosphere needs no exit area (0 is vacuum thrust everywhere).
//!
//! Drag is that of the stack while a stage is its lowest one (the stage's reference area and drag
//! coefficient table by Mach number); a stage's dry mass is dropped at its burnout, before the coast that
//! may follow it.

use crate::atmosphere::G0_MPS2;
use crate::error::{Error, in_range};

/// A drag coefficient by Mach number, interpolated linearly between its points and held constant beyond
/// the first and last.
#[derive(Debug, Clone, PartialEq)]
pub struct DragTable {
    mach: Vec<f64>,
    cd: Vec<f64>,
}

impl DragTable {
    /// A table from Mach numbers (strictly increasing, ≥ 0) and their drag coefficients (≥ 0), one or
    /// more points.
    pub fn try_new(mach: Vec<f64>, cd: Vec<f64>) -> Result<Self, Error> {
        if mach.is_empty() || mach.len() != cd.len() {
            return Err(Error::Vehicle {
                reason: format!(
                    "a drag table needs as many Mach numbers as drag coefficients, at least one (got {} and {})",
                    mach.len(),
                    cd.len()
                ),
            });
        }
        for (&m, &c) in mach.iter().zip(&cd) {
            in_range("mach", m, 0.0, 1e3, "a Mach number in [0, 1000]")?;
            in_range("cd", c, 0.0, 1e2, "a drag coefficient in [0, 100]")?;
        }
        if mach.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::Vehicle {
                reason: "the Mach numbers of a drag table must increase strictly".into(),
            });
        }
        Ok(DragTable { mach, cd })
    }

    /// A table with the same drag coefficient at every Mach number.
    pub fn constant(cd: f64) -> Result<Self, Error> {
        Self::try_new(vec![0.0], vec![cd])
    }

    /// The Mach numbers of the table's points.
    pub fn mach(&self) -> &[f64] {
        &self.mach
    }

    /// The drag coefficients of the table's points.
    pub fn cd_values(&self) -> &[f64] {
        &self.cd
    }

    /// The drag coefficient at Mach number `mach`.
    pub fn cd(&self, mach: f64) -> f64 {
        let n = self.mach.len();
        if mach <= self.mach[0] {
            return self.cd[0];
        }
        if mach >= self.mach[n - 1] {
            return self.cd[n - 1];
        }
        let i = self.mach.partition_point(|&m| m <= mach);
        let (m0, m1) = (self.mach[i - 1], self.mach[i]);
        let (c0, c1) = (self.cd[i - 1], self.cd[i]);
        c0 + (c1 - c0) * (mach - m0) / (m1 - m0)
    }
}

/// One stage of a rocket.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Propellant burnt, kg (> 0).
    pub propellant_kg: f64,
    /// Dry (structure, engine, residuals) mass dropped at the stage's burnout, kg (≥ 0).
    pub dry_kg: f64,
    /// Burn time, seconds (> 0); the mass flow is constant.
    pub burn_time_s: f64,
    /// Vacuum specific impulse, seconds (> 0).
    pub isp_vac_s: f64,
    /// Nozzle exit area, m² (≥ 0): thrust is lower by ambient pressure × this area.
    pub nozzle_exit_area_m2: f64,
    /// Reference area of the stack while this stage is its lowest, m² (≥ 0; 0 = no drag).
    pub reference_area_m2: f64,
    /// Drag coefficient of the stack while this stage is its lowest, by Mach number.
    pub drag: DragTable,
    /// Unpowered coast after this stage's burnout before the next stage ignites, seconds (≥ 0; ignored
    /// after the last stage).
    pub coast_after_s: f64,
}

impl Stage {
    /// A stage given by its ideal velocity increment instead of its propellant and specific impulse:
    /// `delta_v_mps` = g₀ Isp_vac ln(mass ratio), where the mass ratio is that of the stack at ignition to
    /// the stack at burnout. `stage_mass_kg` is the stage's loaded mass (propellant + dry) and
    /// `upper_mass_kg` everything it carries (upper stages and payload). The other fields are
    /// [`Stage`]'s, with no coast, no exit area and no drag.
    pub fn from_delta_v(
        delta_v_mps: f64,
        mass_ratio: f64,
        stage_mass_kg: f64,
        upper_mass_kg: f64,
        burn_time_s: f64,
    ) -> Result<Self, Error> {
        in_range(
            "delta_v_mps",
            delta_v_mps,
            1e-3,
            1e5,
            "a velocity increment in (0, 100 km/s]",
        )?;
        in_range("mass_ratio", mass_ratio, 1.0 + 1e-9, 1e3, "a mass ratio above 1")?;
        in_range("stage_mass_kg", stage_mass_kg, 1e-3, 1e9, "a positive stage mass")?;
        in_range(
            "upper_mass_kg",
            upper_mass_kg,
            0.0,
            1e9,
            "a non-negative carried mass",
        )?;
        let m0 = stage_mass_kg + upper_mass_kg;
        let propellant_kg = m0 - m0 / mass_ratio;
        let dry_kg = stage_mass_kg - propellant_kg;
        if dry_kg < 0.0 {
            return Err(Error::Vehicle {
                reason: format!(
                    "mass ratio {mass_ratio} needs {propellant_kg:.1} kg of propellant, more than the stage's {stage_mass_kg:.1} kg"
                ),
            });
        }
        let stage = Stage {
            propellant_kg,
            dry_kg,
            burn_time_s,
            isp_vac_s: delta_v_mps / (G0_MPS2 * mass_ratio.ln()),
            nozzle_exit_area_m2: 0.0,
            reference_area_m2: 0.0,
            drag: DragTable::constant(0.0)?,
            coast_after_s: 0.0,
        };
        stage.validate()?;
        Ok(stage)
    }

    /// Checks the fields (see their docs).
    pub fn validate(&self) -> Result<(), Error> {
        in_range(
            "propellant_kg",
            self.propellant_kg,
            1e-6,
            1e9,
            "a positive propellant mass",
        )?;
        in_range("dry_kg", self.dry_kg, 0.0, 1e9, "a non-negative dry mass")?;
        in_range(
            "burn_time_s",
            self.burn_time_s,
            1e-3,
            1e5,
            "a burn time in (0, 1e5] s",
        )?;
        in_range(
            "isp_vac_s",
            self.isp_vac_s,
            1.0,
            1e4,
            "a specific impulse in [1, 10000] s",
        )?;
        in_range(
            "nozzle_exit_area_m2",
            self.nozzle_exit_area_m2,
            0.0,
            1e3,
            "an exit area in [0, 1000] m²",
        )?;
        in_range(
            "reference_area_m2",
            self.reference_area_m2,
            0.0,
            1e3,
            "an area in [0, 1000] m²",
        )?;
        in_range(
            "coast_after_s",
            self.coast_after_s,
            0.0,
            1e5,
            "a coast in [0, 1e5] s",
        )?;
        Ok(())
    }

    /// Propellant mass flow, kg/s.
    pub fn mass_flow_kgps(&self) -> f64 {
        self.propellant_kg / self.burn_time_s
    }

    /// Thrust in vacuum, N.
    pub fn vacuum_thrust_n(&self) -> f64 {
        self.mass_flow_kgps() * G0_MPS2 * self.isp_vac_s
    }

    /// Specific impulse at sea-level pressure (101 325 Pa), seconds.
    pub fn sea_level_isp_s(&self) -> f64 {
        self.isp_vac_s
            - crate::atmosphere::SEA_LEVEL_PRESSURE_PA * self.nozzle_exit_area_m2
                / (self.mass_flow_kgps() * G0_MPS2)
    }
}

/// A rocket: its stages, lowest first, and the payload the last one carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    stages: Vec<Stage>,
    payload_kg: f64,
}

impl Vehicle {
    /// A checked vehicle: one or more valid stages and a non-negative payload.
    pub fn try_new(stages: Vec<Stage>, payload_kg: f64) -> Result<Self, Error> {
        if stages.is_empty() {
            return Err(Error::Vehicle {
                reason: "a vehicle needs at least one stage".into(),
            });
        }
        for s in &stages {
            s.validate()?;
        }
        in_range("payload_kg", payload_kg, 0.0, 1e9, "a non-negative payload mass")?;
        Ok(Vehicle { stages, payload_kg })
    }

    /// The stages, lowest first.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The payload, kg.
    pub fn payload_kg(&self) -> f64 {
        self.payload_kg
    }

    /// Mass of the stack at the ignition of stage `i` (stages i.. and payload), kg.
    pub fn ignition_mass_kg(&self, i: usize) -> f64 {
        self.payload_kg
            + self.stages[i..]
                .iter()
                .map(|s| s.propellant_kg + s.dry_kg)
                .sum::<f64>()
    }

    /// Mass at liftoff, kg.
    pub fn liftoff_mass_kg(&self) -> f64 {
        self.ignition_mass_kg(0)
    }

    /// Mass of the stack at the burnout of stage `i`, before its dry mass is dropped, kg.
    pub fn burnout_mass_kg(&self, i: usize) -> f64 {
        self.ignition_mass_kg(i) - self.stages[i].propellant_kg
    }

    /// The ideal (vacuum, no gravity) velocity increment of the vehicle by Tsiolkovsky's rocket equation,
    /// Σ g₀ Isp_vac ln(m_ignition / m_burnout), m/s.
    pub fn ideal_delta_v_mps(&self) -> f64 {
        (0..self.stages.len())
            .map(|i| {
                G0_MPS2 * self.stages[i].isp_vac_s * (self.ignition_mass_kg(i) / self.burnout_mass_kg(i)).ln()
            })
            .sum()
    }

    /// Time from liftoff to the last stage's burnout (burns and coasts), seconds.
    pub fn burnout_time_s(&self) -> f64 {
        let n = self.stages.len();
        self.stages
            .iter()
            .enumerate()
            .map(|(i, s)| s.burn_time_s + if i + 1 < n { s.coast_after_s } else { 0.0 })
            .sum()
    }

    /// The same vehicle with every stage's propellant (and so its mass flow and thrust, at the same burn
    /// time) scaled by `factor` (> 0), dry masses unchanged.
    pub fn with_propellant_scaled(&self, factor: f64) -> Result<Self, Error> {
        in_range("factor", factor, 1e-6, 1e6, "a positive scale factor")?;
        let mut stages = self.stages.clone();
        for s in &mut stages {
            s.propellant_kg *= factor;
        }
        Vehicle::try_new(stages, self.payload_kg)
    }

    /// The same vehicle with every stage's propellant and dry mass scaled by `factor` (> 0): the same
    /// structural fractions, specific impulses, burn times and aerodynamics, the thrust in proportion, the
    /// payload unchanged. The family along which [`crate::powered::size_for_burnout_speed`] solves a
    /// burnout speed.
    pub fn with_stages_scaled(&self, factor: f64) -> Result<Self, Error> {
        in_range("factor", factor, 1e-6, 1e6, "a positive scale factor")?;
        let mut stages = self.stages.clone();
        for s in &mut stages {
            s.propellant_kg *= factor;
            s.dry_kg *= factor;
        }
        Vehicle::try_new(stages, self.payload_kg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drag_table_interpolates_and_clamps() {
        let t = DragTable::try_new(vec![0.0, 1.0, 3.0], vec![0.2, 0.5, 0.3]).unwrap();
        assert_eq!(t.cd(-1.0), 0.2);
        assert_eq!(t.cd(0.0), 0.2);
        assert!((t.cd(0.5) - 0.35).abs() < 1e-15);
        assert_eq!(t.cd(1.0), 0.5);
        assert!((t.cd(2.0) - 0.4).abs() < 1e-15);
        assert_eq!(t.cd(10.0), 0.3);
        assert!(DragTable::try_new(vec![0.0, 0.0], vec![0.1, 0.2]).is_err());
        assert!(DragTable::try_new(vec![0.0], vec![0.1, 0.2]).is_err());
        assert!(DragTable::try_new(vec![], vec![]).is_err());
        assert!(DragTable::try_new(vec![f64::NAN], vec![0.1]).is_err());
    }

    #[test]
    fn delta_v_stage_round_trips_through_the_rocket_equation() {
        let s = Stage::from_delta_v(3_000.0, 3.0, 20_000.0, 5_000.0, 60.0).unwrap();
        assert!((s.propellant_kg + s.dry_kg - 20_000.0).abs() < 1e-9);
        let v = Vehicle::try_new(vec![s], 5_000.0).unwrap();
        assert!((v.liftoff_mass_kg() / v.burnout_mass_kg(0) - 3.0).abs() < 1e-12);
        assert!((v.ideal_delta_v_mps() - 3_000.0).abs() < 1e-9);
        // A mass ratio the stage cannot hold.
        assert!(Stage::from_delta_v(3_000.0, 10.0, 1_000.0, 5_000.0, 60.0).is_err());
    }

    #[test]
    fn rejects_inconsistent_vehicles() {
        let good = Stage::from_delta_v(3_000.0, 3.0, 20_000.0, 5_000.0, 60.0).unwrap();
        assert!(
            Vehicle::try_new(vec![], 100.0)
                .unwrap_err()
                .to_string()
                .contains("at least one stage")
        );
        assert!(Vehicle::try_new(vec![good.clone()], -1.0).is_err());
        assert!(Vehicle::try_new(vec![good.clone()], f64::NAN).is_err());
        for broken in [
            Stage {
                propellant_kg: 0.0,
                ..good.clone()
            },
            Stage {
                dry_kg: -1.0,
                ..good.clone()
            },
            Stage {
                burn_time_s: f64::INFINITY,
                ..good.clone()
            },
            Stage {
                isp_vac_s: 0.0,
                ..good.clone()
            },
            Stage {
                nozzle_exit_area_m2: -0.1,
                ..good.clone()
            },
            Stage {
                reference_area_m2: f64::NAN,
                ..good.clone()
            },
            Stage {
                coast_after_s: -5.0,
                ..good.clone()
            },
        ] {
            let e = Vehicle::try_new(vec![good.clone(), broken], 100.0).unwrap_err();
            assert!(e.to_string().contains("is invalid"), "{e}");
        }
        // Rescaling keeps the checks.
        let v = Vehicle::try_new(vec![good], 100.0).unwrap();
        assert!(v.with_stages_scaled(0.0).is_err());
        assert!(v.with_propellant_scaled(f64::NAN).is_err());
        assert!(v.with_stages_scaled(1e6).is_err(), "a stage beyond 1e9 kg");
    }
}
