//! The F test of a regression's R², through the regularised incomplete
//! beta function: log-gamma by the Lanczos approximation (g = 7, 9
//! coefficients) and the continued fraction of Numerical Recipes (3rd ed.,
//! section 6.4) evaluated by the modified Lentz method.

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 coefficients; ~15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Continued fraction for the incomplete beta (NR `betacf`).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularised incomplete beta I_x(a, b), for a, b > 0 and x in 0..=1.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// P(F > f) for an F distribution with `d1` and `d2` degrees of freedom.
pub fn f_upper_tail(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || f <= 0.0 {
        return 1.0;
    }
    incomplete_beta(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
}

/// p-value of the F test that a regression on `items` predictors with `n`
/// rows explains nothing, given its R²; `None` without residual degrees of
/// freedom.
pub fn r_squared_p_value(r_squared: f64, n: u64, items: usize) -> Option<f64> {
    let d1 = items as f64;
    let d2 = n as f64 - d1 - 1.0;
    if items == 0 || d2 < 1.0 {
        return None;
    }
    if r_squared >= 1.0 {
        return Some(0.0);
    }
    let f = (r_squared / d1) / ((1.0 - r_squared) / d2);
    Some(f_upper_tail(f, d1, d2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        for (n, fact) in [(1.0, 1.0), (5.0, 24.0), (11.0, 3_628_800.0_f64)] {
            assert!((ln_gamma(n) - fact.ln()).abs() < 1e-12);
        }
        // Γ(1/2) = √π.
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn the_f_tail_has_the_closed_form_for_two_numerator_degrees() {
        // Known analytically: for d1 = 2, P(F > f) = (1 + 2f/d2)^(−d2/2).
        for (f, d2) in [(0.5, 7.0), (3.2, 20.0), (10.0, 123.0)] {
            let want = (1.0f64 + 2.0 * f / d2).powf(-d2 / 2.0);
            let got = f_upper_tail(f, 2.0, d2);
            assert!(
                (got - want).abs() < 1e-12 * want.max(1e-3),
                "{got} vs {want}"
            );
        }
    }

    #[test]
    fn the_f_tail_with_one_numerator_degree_is_the_two_sided_t_test() {
        // Known analytically: F(1, 1) is t² with 1 degree of freedom
        // (Cauchy), so P(F > t²) = 1 − 2 atan(t)/π.
        for t in [0.5_f64, 1.0, 3.0] {
            let want = 1.0 - 2.0 * t.atan() / std::f64::consts::PI;
            assert!((f_upper_tail(t * t, 1.0, 1.0) - want).abs() < 1e-12);
        }
        assert!((incomplete_beta(1.0, 1.0, 0.3) - 0.3).abs() < 1e-14);
    }

    #[test]
    fn p_values_need_residual_degrees_of_freedom() {
        assert_eq!(r_squared_p_value(0.5, 3, 2), None);
        assert_eq!(r_squared_p_value(1.0, 30, 2), Some(0.0));
        let p = r_squared_p_value(0.05, 1_000, 4).unwrap();
        assert!(p < 1e-8, "{p}");
        assert!(r_squared_p_value(0.001, 40, 4).unwrap() > 0.9);
    }
}
