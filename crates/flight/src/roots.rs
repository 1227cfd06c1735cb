//! Scalar root finding: Brent's method (R. P. Brent, "Algorithms for Minimization without Derivatives",
//! 1973, ch. 4), which combines bisection, secant and inverse quadratic interpolation and never leaves
//! its bracket; and Newton's method safeguarded by bisection inside a bracket, for functions whose
//! derivative (or a good approximation of it) comes almost free.

/// Whether [a, b], with the values `fa` and `fb` at its ends, brackets a root: `Ok` to search it,
/// `Err(Some(end))` when an end is a root, `Err(None)` when the signs agree or a value is NaN.
fn bracket(a: f64, b: f64, fa: f64, fb: f64) -> Result<(), Option<f64>> {
    if fa.is_nan() || fb.is_nan() {
        Err(None)
    } else if fa == 0.0 {
        Err(Some(a))
    } else if fb == 0.0 {
        Err(Some(b))
    } else if (fa > 0.0) == (fb > 0.0) {
        Err(None)
    } else {
        Ok(())
    }
}

/// The root of `f` in [a, b], where f(a) and f(b) differ in sign (or one is zero), to within `xtol`.
/// Returns `None` when the bracket is not valid or a value is NaN.
pub fn brent<F: FnMut(f64) -> f64>(mut f: F, a: f64, b: f64, xtol: f64) -> Option<f64> {
    let (mut a, mut b) = (a, b);
    let mut fa = f(a);
    let mut fb = f(b);
    if let Err(root) = bracket(a, b, fa, fb) {
        return root;
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * xtol;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0));
                q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = d;
            }
        } else {
            d = m;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
        if fb.is_nan() {
            return None;
        }
    }
    Some(b)
}

/// The root of `f` in [a, b] by Newton's method from `x0`, safeguarded by bisection: `f` returns the
/// value and the derivative (an approximation with a relative error well below one still converges,
/// linearly at that rate). f(a) and f(b) must differ in sign (or one be zero). Stops when a step is
/// below `xtol`. Returns `None` when the bracket is not valid or a value is NaN.
pub fn newton_bracketed<F: FnMut(f64) -> (f64, f64)>(
    mut f: F,
    a: f64,
    b: f64,
    x0: f64,
    fa: f64,
    fb: f64,
    xtol: f64,
) -> Option<f64> {
    if let Err(root) = bracket(a, b, fa, fb) {
        return root;
    }
    // Orient so that f(lo) < 0 < f(hi).
    let (mut lo, mut hi) = if fa < 0.0 { (a, b) } else { (b, a) };
    let mut x = if (a.min(b)..=a.max(b)).contains(&x0) {
        x0
    } else {
        0.5 * (a + b)
    };
    for _ in 0..100 {
        let (fx, dfx) = f(x);
        if fx.is_nan() {
            return None;
        }
        if fx == 0.0 {
            return Some(x);
        }
        if fx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - fx / dfx;
        let inside = newton.is_finite() && (newton - lo) * (newton - hi) < 0.0;
        let next = if inside { newton } else { 0.5 * (lo + hi) };
        let dx = (next - x).abs();
        x = next;
        if dx <= xtol || (hi - lo).abs() <= xtol {
            return Some(x);
        }
    }
    Some(x)
}

/// The minimum of a unimodal `f` on [a, b] by Brent's method (golden section with parabolic steps), to
/// within `xtol`. Returns (x, f(x)).
pub fn brent_min<F: FnMut(f64) -> f64>(mut f: F, a: f64, b: f64, xtol: f64) -> (f64, f64) {
    const CGOLD: f64 = 0.381_966_011_250_105_1;
    let (mut a, mut b) = (a.min(b), a.max(b));
    let mut x = a + CGOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    let mut d: f64 = 0.0;
    let mut e: f64 = 0.0;
    for _ in 0..200 {
        let xm = 0.5 * (a + b);
        let tol1 = 1.5e-8 * x.abs() + xtol / 3.0;
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let etemp = e;
            e = d;
            if !(p.abs() >= (0.5 * q * etemp).abs() || p <= q * (a - x) || p >= q * (b - x)) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = tol1.copysign(xm - x);
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= xm { a - x } else { b - x };
            d = CGOLD * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else {
            x + tol1.copysign(d)
        };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            v = w;
            fv = fw;
            w = x;
            fw = fx;
            x = u;
            fx = fu;
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    (x, fx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_and_minima() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, 1e-14).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13);
        assert!(brent(|x| x * x + 1.0, 0.0, 2.0, 1e-12).is_none());
        // Exact and approximate (10 % off) derivatives; a start outside the bracket; a bad bracket.
        for (scale, x0) in [(1.0, 1.9), (1.1, 0.1), (0.9, 5.0)] {
            let mut calls = 0;
            let r = newton_bracketed(
                |x| {
                    calls += 1;
                    (x * x - 2.0, scale * 2.0 * x)
                },
                0.0,
                2.0,
                x0,
                -2.0,
                2.0,
                1e-13,
            )
            .unwrap();
            assert!((r - 2f64.sqrt()).abs() < 1e-12, "{r}");
            assert!(calls < 30, "{calls} calls");
        }
        assert!(newton_bracketed(|x| (x * x + 1.0, 2.0 * x), 0.0, 2.0, 1.0, 1.0, 5.0, 1e-12).is_none());
        let (x, fx) = brent_min(|x| (x - 0.3).powi(2) + 1.0, -1.0, 2.0, 1e-10);
        assert!((x - 0.3).abs() < 1e-7 && (fx - 1.0).abs() < 1e-12);
    }
}
