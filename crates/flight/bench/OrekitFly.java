// Peer benchmark for `shieldwatch fly` (J2): Orekit's own numerical propagator in a warm JVM.
//
// Built and run by crates/flight/bench/compare_peers.sh against the jars the orekit-jpype wheel ships
// (Orekit 13.1, Hipparchus 4.0). No Orekit data files are needed.
//
// For every burnout state of the cases file (one per line: lat_deg lon_deg alt_m speed_mps azimuth_deg
// flight_path_angle_deg, then the committed Orekit reference: impact_lat_deg impact_lon_deg
// time_of_flight_s apogee_alt_m apogee_time_s) it does what `shieldwatch fly` does, the Orekit way:
//  - the burnout state becomes an inertial (GCRF) state: WGS84 geodetic -> Earth-fixed, local geodetic
//    east/north/up, Earth-relative velocity plus omega x r (DESIGN.md §3; frames coincide at t = 0);
//  - the Earth-fixed frame is a child of GCRF built with a custom TransformProvider: a pure rotation about Z
//    by omega t (no precession, nutation, polar motion or EOP), and the Earth a OneAxisEllipsoid (WGS84) on it;
//  - a NumericalPropagator with a DormandPrince853Integrator (tolerances from the command line), point mass
//    plus J2OnlyPerturbation (mu, J2, reference radius of DESIGN.md §3);
//  - impact: an AltitudeDetector at 0 m stopping on the downward crossing; apogee: a detector on the rate of
//    geodetic height (Earth-relative velocity along the ellipsoid normal) recording its downward zero. Both
//    are checked at every step end and at most 60 s apart, and located to 1e-9 s, as shieldwatch samples
//    its events (twice per step of at most 120 s) and locates them.
// It prints the worst differences from the reference, then times the whole set: warm-up passes first (JIT),
// then timed passes; the figure is the mean wall time per trajectory of the best timed pass.
//
// Usage: java -cp <jars>:. OrekitFly cases.txt rtol atol_m warmup_passes timed_passes

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.hipparchus.CalculusFieldElement;
import org.hipparchus.geometry.euclidean.threed.FieldRotation;
import org.hipparchus.geometry.euclidean.threed.FieldVector3D;
import org.hipparchus.geometry.euclidean.threed.Rotation;
import org.hipparchus.geometry.euclidean.threed.RotationConvention;
import org.hipparchus.geometry.euclidean.threed.Vector3D;
import org.hipparchus.ode.nonstiff.DormandPrince853Integrator;
import org.orekit.bodies.GeodeticPoint;
import org.orekit.bodies.OneAxisEllipsoid;
import org.orekit.forces.gravity.J2OnlyPerturbation;
import org.orekit.frames.FieldTransform;
import org.orekit.frames.Frame;
import org.orekit.frames.FramesFactory;
import org.orekit.frames.Transform;
import org.orekit.frames.TransformProvider;
import org.orekit.orbits.CartesianOrbit;
import org.orekit.orbits.OrbitType;
import org.orekit.propagation.SpacecraftState;
import org.orekit.propagation.events.AltitudeDetector;
import org.orekit.propagation.events.FunctionalDetector;
import org.orekit.propagation.events.handlers.EventHandler;
import org.orekit.propagation.events.handlers.StopOnDecreasing;
import org.orekit.propagation.numerical.NumericalPropagator;
import org.orekit.time.AbsoluteDate;
import org.orekit.time.FieldAbsoluteDate;
import org.orekit.utils.PVCoordinates;

public class OrekitFly {
    // DESIGN.md §3.
    static final double MU = 3.986004418e14;
    static final double J2 = 1.08262668e-3;
    static final double RE = 6378137.0;
    static final double OMEGA = 7.2921151467e-5;
    static final double A = 6378137.0;
    static final double F = 1.0 / 298.257223563;
    static final double E2 = F * (2 - F);

    static final AbsoluteDate T0 = AbsoluteDate.J2000_EPOCH;
    static final Frame GCRF = FramesFactory.getGCRF();

    /** Earth-fixed frame: GCRF rotated about Z by omega (t - t0). */
    static final class ZRotation implements TransformProvider {
        @Override
        public Transform getTransform(AbsoluteDate date) {
            double angle = OMEGA * date.durationFrom(T0);
            return new Transform(date, new Rotation(Vector3D.PLUS_K, angle, RotationConvention.FRAME_TRANSFORM),
                    new Vector3D(OMEGA, Vector3D.PLUS_K));
        }

        @Override
        public <T extends CalculusFieldElement<T>> FieldTransform<T> getTransform(FieldAbsoluteDate<T> date) {
            T angle = date.durationFrom(T0).multiply(OMEGA);
            FieldRotation<T> rot = new FieldRotation<>(FieldVector3D.getPlusK(angle.getField()), angle,
                    RotationConvention.FRAME_TRANSFORM);
            return new FieldTransform<>(date, rot,
                    new FieldVector3D<>(angle.getField().getZero().add(OMEGA), FieldVector3D.getPlusK(angle.getField())));
        }
    }

    static final Frame ECEF = new Frame(GCRF, new ZRotation(), "Earth-fixed (Z rotation of GCRF)", false);
    static final OneAxisEllipsoid EARTH = new OneAxisEllipsoid(A, F, ECEF);

    /** One case: burnout state and reference answer. */
    static final class Case {
        double lat, lon, alt, speed, az, fpa;
        double refLat, refLon, refTof, refApo, refApoT;
    }

    /** One answer. */
    static final class Result {
        double lat, lon, tof, apo, apoT;
    }

    static double[] geodeticToEcef(double latDeg, double lonDeg, double h) {
        double phi = Math.toRadians(latDeg), lam = Math.toRadians(lonDeg);
        double n = A / Math.sqrt(1 - E2 * Math.sin(phi) * Math.sin(phi));
        return new double[] {(n + h) * Math.cos(phi) * Math.cos(lam), (n + h) * Math.cos(phi) * Math.sin(lam),
            (n * (1 - E2) + h) * Math.sin(phi)};
    }

    static Result fly(Case c, double rtol, double atol) {
        double[] r = geodeticToEcef(c.lat, c.lon, c.alt);
        double phi = Math.toRadians(c.lat), lam = Math.toRadians(c.lon);
        double[] e = {-Math.sin(lam), Math.cos(lam), 0.0};
        double[] n = {-Math.sin(phi) * Math.cos(lam), -Math.sin(phi) * Math.sin(lam), Math.cos(phi)};
        double[] u = {Math.cos(phi) * Math.cos(lam), Math.cos(phi) * Math.sin(lam), Math.sin(phi)};
        double g = Math.toRadians(c.fpa), az = Math.toRadians(c.az);
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            v[i] = c.speed * (Math.cos(g) * Math.sin(az) * e[i] + Math.cos(g) * Math.cos(az) * n[i] + Math.sin(g) * u[i]);
        }
        v[0] += -OMEGA * r[1];
        v[1] += OMEGA * r[0];
        Vector3D rv = new Vector3D(r[0], r[1], r[2]);
        Vector3D vv = new Vector3D(v[0], v[1], v[2]);
        CartesianOrbit orbit = new CartesianOrbit(new PVCoordinates(rv, vv), GCRF, T0, MU);

        DormandPrince853Integrator integ = new DormandPrince853Integrator(1e-9, 120.0, atol, rtol);
        NumericalPropagator prop = new NumericalPropagator(integ);
        prop.setOrbitType(OrbitType.CARTESIAN);
        prop.setInitialState(new SpacecraftState(orbit));
        prop.addForceModel(new J2OnlyPerturbation(MU, RE, J2, GCRF));

        final double[] apogee = {0.0, c.alt};
        EventHandler record = (s, det, increasing) -> {
            if (!increasing) {
                double h = EARTH.transform(s.getPosition(), s.getFrame(), s.getDate()).getAltitude();
                if (h > apogee[1]) {
                    apogee[0] = s.getDate().durationFrom(T0);
                    apogee[1] = h;
                }
            }
            return org.hipparchus.ode.events.Action.CONTINUE;
        };
        prop.addEventDetector(new FunctionalDetector()
                .withFunction(s -> {
                    PVCoordinates pv = s.getPVCoordinates(ECEF);
                    GeodeticPoint gp = EARTH.transform(pv.getPosition(), ECEF, s.getDate());
                    return pv.getVelocity().dotProduct(gp.getZenith());
                })
                .withMaxCheck(60.0)
                .withThreshold(1e-9)
                .withHandler(record));
        prop.addEventDetector(new AltitudeDetector(60.0, 1e-9, 0.0, EARTH).withHandler(new StopOnDecreasing()));

        double energy = 0.5 * vv.getNormSq() - MU / rv.getNorm();
        double sma = -MU / (2 * energy);
        double period = 2 * Math.PI * Math.sqrt(sma * sma * sma / MU);
        SpacecraftState end = prop.propagate(T0.shiftedBy(Math.min(1.2 * period, 20000.0)));
        GeodeticPoint imp = EARTH.transform(end.getPosition(), end.getFrame(), end.getDate());
        Result res = new Result();
        res.lat = Math.toDegrees(imp.getLatitude());
        res.lon = Math.toDegrees(imp.getLongitude());
        res.tof = end.getDate().durationFrom(T0);
        res.apo = apogee[1];
        res.apoT = apogee[0];
        return res;
    }

    public static void main(String[] args) throws Exception {
        List<Case> cases = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 11) {
                continue;
            }
            Case c = new Case();
            c.lat = Double.parseDouble(f[0]);
            c.lon = Double.parseDouble(f[1]);
            c.alt = Double.parseDouble(f[2]);
            c.speed = Double.parseDouble(f[3]);
            c.az = Double.parseDouble(f[4]);
            c.fpa = Double.parseDouble(f[5]);
            c.refLat = Double.parseDouble(f[6]);
            c.refLon = Double.parseDouble(f[7]);
            c.refTof = Double.parseDouble(f[8]);
            c.refApo = Double.parseDouble(f[9]);
            c.refApoT = Double.parseDouble(f[10]);
            cases.add(c);
        }
        double rtol = Double.parseDouble(args[1]);
        double atol = Double.parseDouble(args[2]);
        int warm = Integer.parseInt(args[3]);
        int timed = Integer.parseInt(args[4]);

        // Accuracy against the committed reference (impact distance as the chord between ground points).
        double wImp = 0, wTof = 0, wApo = 0, wApoT = 0;
        for (Case c : cases) {
            Result r = fly(c, rtol, atol);
            double[] p = geodeticToEcef(r.lat, r.lon, 0.0);
            double[] q = geodeticToEcef(c.refLat, c.refLon, 0.0);
            double d = Math.sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
            wImp = Math.max(wImp, d);
            wTof = Math.max(wTof, Math.abs(r.tof - c.refTof));
            wApo = Math.max(wApo, Math.abs(r.apo - c.refApo));
            wApoT = Math.max(wApoT, Math.abs(r.apoT - c.refApoT));
        }
        System.out.printf("orekit rtol %.0e atol %.0e m: worst impact %.3e m, tof %.3e s, apogee %.3e m, apogee time %.3e s%n",
                rtol, atol, wImp, wTof, wApo, wApoT);

        double sink = 0;
        for (int i = 0; i < warm; i++) {
            for (Case c : cases) {
                sink += fly(c, rtol, atol).tof;
            }
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < timed; i++) {
            long t0 = System.nanoTime();
            for (Case c : cases) {
                sink += fly(c, rtol, atol).tof;
            }
            long t1 = System.nanoTime();
            best = Math.min(best, (t1 - t0) / (double) cases.size());
        }
        System.out.printf("orekit rtol %.0e: %.1f us per trajectory (best of %d timed passes over %d cases after %d warm-up passes; checksum %.3f)%n",
                rtol, best / 1e3, timed, cases.size(), warm, sink);
    }
}
