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
//  - a NumericalPropagator (Cartesian state) with point mass plus J2OnlyPerturbation (mu, J2, reference radius
//    of DESIGN.md §3), integrated by the Hipparchus integrator named on the command line (see INTEGRATORS
//    below), with scalar tolerances rtol and atol, minimum step 1e-9 s and the given maximum step;
//  - impact: an AltitudeDetector at 0 m stopping on the downward crossing; apogee: a detector on the rate of
//    geodetic height (Earth-relative velocity along the ellipsoid normal) recording its downward zero. Both
//    are checked at every step end and at most 60 s apart, and located to 1e-9 s, as shieldwatch samples
//    its events (twice per step of at most 120 s) and locates them.
// The detectors are the same whatever the integrator and maximum step: those only change how far apart the
// steps are, hence how many force evaluations a trajectory costs (the events still get a check every 60 s).
// It prints the worst differences from the reference (and the mean number of derivative evaluations per
// trajectory), then times the whole set: warm-up passes first (JIT), then timed passes; the figure is the
// mean wall time per trajectory of the best timed pass. Both lines name the configuration,
//   orekit <integrator> max step <s> s rtol <r> atol <a> m: worst impact ...
//   orekit <integrator> max step <s> s rtol <r> atol <a> m: <t> us per trajectory ...
// so that compare_peers.sh can sweep several configurations and keep each one apart.
//
// Usage: java -cp <jars>:. OrekitFly cases.txt rtol atol_m warmup_passes timed_passes [integrator [max_step_s]]
//        integrator: dp853 (default), gbs or adams (see INTEGRATORS); max_step_s: 120 by default, 1e9 for
//        no cap in practice.

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
import org.hipparchus.ode.ODEIntegrator;
import org.hipparchus.ode.nonstiff.AdamsMoultonIntegrator;
import org.hipparchus.ode.nonstiff.DormandPrince853Integrator;
import org.hipparchus.ode.nonstiff.GraggBulirschStoerIntegrator;
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

    /** One answer, and what it cost the integrator. */
    static final class Result {
        double lat, lon, tof, apo, apoT;
        int evaluations;
    }

    /** Smallest step any integrator may take (s). */
    static final double MIN_STEP = 1e-9;

    /**
     * The integrators worth timing on these short, smooth arcs at tight tolerances, by command-line name:
     *  - dp853: Dormand-Prince 8(5,3), Orekit's usual choice;
     *  - gbs: Gragg-Bulirsch-Stoer extrapolation with Hipparchus' default order and step control (long steps
     *    of many evaluations each, the order adapting to the tolerance);
     *  - adams: Adams-Moulton predictor-corrector with ADAMS_STEPS previous steps (order ADAMS_STEPS + 1),
     *    two evaluations per accepted step once started. Hipparchus starts it with its default starter, a
     *    DormandPrince853Integrator with the same step bounds and tolerances, whose first (ADAMS_STEPS + 3) / 2
     *    steps only seed the Nordsieck vector (their evaluations are counted, the arc is integrated again).
     *    Its step may grow by at most 2^(1 / order) per step, so on these arcs it never reaches a 120 s cap.
     *    6 steps needed the fewest evaluations here (5 and 7 more); with 8, every case failed at rtol 1e-12
     *    (its step fell below MIN_STEP).
     * Lower-order embedded pairs (DormandPrince54, HighamHall54) are not tried: they need more steps at these
     * tolerances. Fixed-step methods cannot be held to a tolerance, so they are left out too.
     */
    static final String[] INTEGRATORS = {"dp853", "gbs", "adams"};
    static final int ADAMS_STEPS = 6;

    /** One integrator configuration: method, maximum step (s) and scalar tolerances (every state component). */
    static final class Config {
        final String integrator;
        final double maxStep, rtol, atol;

        Config(String integrator, double maxStep, double rtol, double atol) {
            if (!List.of(INTEGRATORS).contains(integrator)) {
                throw new IllegalArgumentException("unknown integrator " + integrator + ", expected one of "
                        + String.join(", ", INTEGRATORS));
            }
            this.integrator = integrator;
            this.maxStep = maxStep;
            this.rtol = rtol;
            this.atol = atol;
        }

        /** A fresh integrator (they keep state, so one per propagation). */
        ODEIntegrator build() {
            switch (integrator) {
                case "gbs":
                    return new GraggBulirschStoerIntegrator(MIN_STEP, maxStep, atol, rtol);
                case "adams":
                    return new AdamsMoultonIntegrator(ADAMS_STEPS, MIN_STEP, maxStep, atol, rtol);
                default:
                    return new DormandPrince853Integrator(MIN_STEP, maxStep, atol, rtol);
            }
        }

        /** The name the output lines carry, e.g. "dp853 max step 120 s rtol 1e-12 atol 1e-06 m". */
        String label() {
            String step = maxStep == Math.rint(maxStep) && maxStep < 1e6 ? String.format("%.0f", maxStep)
                    : String.format("%.0e", maxStep);
            return String.format("%s max step %s s rtol %.0e atol %.0e m", integrator, step, rtol, atol);
        }
    }

    static double[] geodeticToEcef(double latDeg, double lonDeg, double h) {
        double phi = Math.toRadians(latDeg), lam = Math.toRadians(lonDeg);
        double n = A / Math.sqrt(1 - E2 * Math.sin(phi) * Math.sin(phi));
        return new double[] {(n + h) * Math.cos(phi) * Math.cos(lam), (n + h) * Math.cos(phi) * Math.sin(lam),
            (n * (1 - E2) + h) * Math.sin(phi)};
    }

    static Result fly(Case c, Config cfg) {
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

        ODEIntegrator integ = cfg.build();
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
        res.evaluations = integ.getEvaluations();
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
        String integrator = args.length > 5 ? args[5] : "dp853";
        double maxStep = args.length > 6 ? Double.parseDouble(args[6]) : 120.0;
        Config cfg = new Config(integrator, maxStep, rtol, atol);

        // Accuracy against the committed reference (impact distance as the chord between ground points).
        double wImp = 0, wTof = 0, wApo = 0, wApoT = 0;
        long evaluations = 0;
        for (Case c : cases) {
            Result r = fly(c, cfg);
            evaluations += r.evaluations;
            double[] p = geodeticToEcef(r.lat, r.lon, 0.0);
            double[] q = geodeticToEcef(c.refLat, c.refLon, 0.0);
            double d = Math.sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
            wImp = Math.max(wImp, d);
            wTof = Math.max(wTof, Math.abs(r.tof - c.refTof));
            wApo = Math.max(wApo, Math.abs(r.apo - c.refApo));
            wApoT = Math.max(wApoT, Math.abs(r.apoT - c.refApoT));
        }
        System.out.printf("orekit %s: worst impact %.3e m, tof %.3e s, apogee %.3e m, apogee time %.3e s"
                + " (%.1f derivative evaluations per trajectory)%n",
                cfg.label(), wImp, wTof, wApo, wApoT, evaluations / (double) cases.size());

        double sink = 0;
        for (int i = 0; i < warm; i++) {
            for (Case c : cases) {
                sink += fly(c, cfg).tof;
            }
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < timed; i++) {
            long t0 = System.nanoTime();
            for (Case c : cases) {
                sink += fly(c, cfg).tof;
            }
            long t1 = System.nanoTime();
            best = Math.min(best, (t1 - t0) / (double) cases.size());
        }
        System.out.printf("orekit %s: %.1f us per trajectory (best of %d timed passes over %d cases after %d warm-up passes; checksum %.3f)%n",
                cfg.label(), best / 1e3, timed, cases.size(), warm, sink);
    }
}
