//! The decompositions and Cronbach's alpha against published worked
//! examples: the data sets are R's built-in `attitude` and `mtcars` (as
//! distributed with R, `datasets` package; copied from the Rdatasets CSV
//! files), the expected numbers are printed in the cited documents.

use carepulse_analytics::quality::{alpha_if_deleted, cronbach_alpha};
use carepulse_analytics::{decompose, CrossProducts, Matrix, Method};

/// Correlation matrix of the columns of `rows` (the outcome first).
fn correlations(rows: &[&[f64]]) -> Matrix {
    let mut cp = CrossProducts::new(rows[0].len());
    for row in rows {
        cp.record(row);
    }
    cp.correlations().matrix
}

/// R `attitude`: rating, complaints, privileges, learning, raises,
/// critical, advance; 30 departments of a financial organisation
/// (Chatterjee & Price 1977).
const ATTITUDE: [[f64; 7]; 30] = [
    [43., 51., 30., 39., 61., 92., 45.],
    [63., 64., 51., 54., 63., 73., 47.],
    [71., 70., 68., 69., 76., 86., 48.],
    [61., 63., 45., 47., 54., 84., 35.],
    [81., 78., 56., 66., 71., 83., 47.],
    [43., 55., 49., 44., 54., 49., 34.],
    [58., 67., 42., 56., 66., 68., 35.],
    [71., 75., 50., 55., 70., 66., 41.],
    [72., 82., 72., 67., 71., 83., 31.],
    [67., 61., 45., 47., 62., 80., 41.],
    [64., 53., 53., 58., 58., 67., 34.],
    [67., 60., 47., 39., 59., 74., 41.],
    [69., 62., 57., 42., 55., 63., 25.],
    [68., 83., 83., 45., 59., 77., 35.],
    [77., 77., 54., 72., 79., 77., 46.],
    [81., 90., 50., 72., 60., 54., 36.],
    [74., 85., 64., 69., 79., 79., 63.],
    [65., 60., 65., 75., 55., 80., 60.],
    [65., 70., 46., 57., 75., 85., 46.],
    [50., 58., 68., 54., 64., 78., 52.],
    [50., 40., 33., 34., 43., 64., 33.],
    [64., 61., 52., 62., 66., 80., 41.],
    [53., 66., 52., 50., 63., 80., 37.],
    [40., 37., 42., 58., 50., 57., 49.],
    [63., 54., 42., 48., 66., 75., 33.],
    [66., 77., 66., 63., 88., 76., 72.],
    [78., 75., 58., 74., 80., 78., 49.],
    [48., 57., 44., 45., 51., 83., 38.],
    [85., 85., 71., 71., 77., 74., 55.],
    [82., 82., 39., 59., 64., 78., 39.],
];

#[test]
fn shapley_values_of_the_attitude_data_match_the_dominanceanalysis_readme() {
    // Source: R package dominanceanalysis (Bustos Navarrete & Coutinho
    // Soares), README, "Linear regression" example:
    // `dominanceAnalysis(lm(rating ~ ., attitude))`, average contribution
    // (general dominance = LMG) printed to 3 decimals, R² of the full
    // model 0.733 (https://github.com/clbustos/dominanceAnalysis).
    let rows: Vec<&[f64]> = ATTITUDE.iter().map(|r| &r[..]).collect();
    let corr = correlations(&rows);
    let d = decompose(&corr, Method::Shapley).unwrap();
    let published = [0.371, 0.051, 0.156, 0.120, 0.007, 0.028];
    for (got, want) in d.importances.iter().zip(published) {
        assert!((got - want).abs() < 0.0006, "{got} vs {want}: {d:?}");
    }
    assert!((d.r_squared - 0.733).abs() < 0.0006, "{}", d.r_squared);
    // The same README's level-1 models: R² of each item alone.
    for (j, want) in [0.681, 0.182, 0.389, 0.348, 0.024, 0.024]
        .iter()
        .enumerate()
    {
        let r = corr.get(0, j + 1);
        assert!((r * r - want).abs() < 0.0006, "item {j}: {}", r * r);
    }
    // Relative weights approximate the Shapley values (Johnson 2000).
    let rw = decompose(&corr, Method::RelativeWeights).unwrap();
    assert!((rw.r_squared - d.r_squared).abs() < 1e-9);
    for (a, b) in rw.importances.iter().zip(&d.importances) {
        assert!((a - b).abs() < 0.02, "{a} vs {b}");
    }
}

/// R `mtcars` (Henderson & Velleman 1981): mpg, cyl, disp, hp, wt, gear.
const MTCARS: [[f64; 6]; 32] = [
    [21.0, 6., 160.0, 110., 2.620, 4.],
    [21.0, 6., 160.0, 110., 2.875, 4.],
    [22.8, 4., 108.0, 93., 2.320, 4.],
    [21.4, 6., 258.0, 110., 3.215, 3.],
    [18.7, 8., 360.0, 175., 3.440, 3.],
    [18.1, 6., 225.0, 105., 3.460, 3.],
    [14.3, 8., 360.0, 245., 3.570, 3.],
    [24.4, 4., 146.7, 62., 3.190, 4.],
    [22.8, 4., 140.8, 95., 3.150, 4.],
    [19.2, 6., 167.6, 123., 3.440, 4.],
    [17.8, 6., 167.6, 123., 3.440, 4.],
    [16.4, 8., 275.8, 180., 4.070, 3.],
    [17.3, 8., 275.8, 180., 3.730, 3.],
    [15.2, 8., 275.8, 180., 3.780, 3.],
    [10.4, 8., 472.0, 205., 5.250, 3.],
    [10.4, 8., 460.0, 215., 5.424, 3.],
    [14.7, 8., 440.0, 230., 5.345, 3.],
    [32.4, 4., 78.7, 66., 2.200, 4.],
    [30.4, 4., 75.7, 52., 1.615, 4.],
    [33.9, 4., 71.1, 65., 1.835, 4.],
    [21.5, 4., 120.1, 97., 2.465, 3.],
    [15.5, 8., 318.0, 150., 3.520, 3.],
    [15.2, 8., 304.0, 150., 3.435, 3.],
    [13.3, 8., 350.0, 245., 3.840, 3.],
    [19.2, 8., 400.0, 175., 3.845, 3.],
    [27.3, 4., 79.0, 66., 1.935, 4.],
    [26.0, 4., 120.3, 91., 2.140, 5.],
    [30.4, 4., 95.1, 113., 1.513, 5.],
    [15.8, 8., 351.0, 264., 3.170, 5.],
    [19.7, 6., 145.0, 175., 2.770, 5.],
    [15.0, 8., 301.0, 335., 3.570, 5.],
    [21.4, 4., 121.0, 109., 2.780, 4.],
];

fn mtcars(columns: &[usize]) -> Matrix {
    let rows: Vec<Vec<f64>> = MTCARS
        .iter()
        .map(|r| columns.iter().map(|&c| r[c]).collect())
        .collect();
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    correlations(&refs)
}

#[test]
fn relative_weights_of_mtcars_match_the_rwa_vignette() {
    // Source: R package rwa (Martin Chan), vignette "Introduction to
    // Relative Weights Analysis with the rwa Package", "Simple Example with
    // mtcars": rwa(mtcars, "mpg", c("cyl", "disp", "hp", "gear")) gives
    // Raw.RelWeight cyl 0.2284797, disp 0.2221469, hp 0.2321744, gear
    // 0.0963886 and rsquare 0.7791896; with "wt" added: cyl 0.18833374,
    // disp 0.16479802, hp 0.18809142, gear 0.07345304, wt 0.23642417
    // (https://github.com/martinctc/rwa, articles/introduction-to-rwa.md).
    let corr = mtcars(&[0, 1, 2, 3, 5]);
    for (j, want) in [-0.852, -0.848, -0.776, 0.48].iter().enumerate() {
        assert!((corr.get(0, j + 1) - want).abs() < 0.0006, "RXY {j}");
    }
    let d = decompose(&corr, Method::RelativeWeights).unwrap();
    for (got, want) in d
        .importances
        .iter()
        .zip([0.2284797, 0.2221469, 0.2321744, 0.0963886])
    {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    assert!((d.r_squared - 0.7791896).abs() < 1e-6);
    let d = decompose(&mtcars(&[0, 1, 2, 3, 5, 4]), Method::RelativeWeights).unwrap();
    let want = [0.18833374, 0.16479802, 0.18809142, 0.07345304, 0.23642417];
    for (got, want) in d.importances.iter().zip(want) {
        assert!((got - want).abs() < 1e-7, "{got} vs {want}");
    }
}

#[test]
fn cronbachs_alpha_matches_the_statsbase_example() {
    // Source: StatsBase.jl, `cronbachalpha` docstring example
    // (src/reliability.jl; https://juliastats.org/StatsBase.jl/stable/):
    // covariance matrix [10 6 6 6; 6 11 6 6; 6 6 12 6; 6 6 6 13] gives
    // "Cronbach's alpha for all items: 0.8136" and, with each item dropped,
    // 0.7500, 0.7606, 0.7714, 0.7826.
    let cov = Matrix::from_rows(&[
        &[10., 6., 6., 6.],
        &[6., 11., 6., 6.],
        &[6., 6., 12., 6.],
        &[6., 6., 6., 13.],
    ])
    .unwrap();
    let alpha = cronbach_alpha(&cov).unwrap();
    assert!((alpha - 0.8136).abs() < 5e-5, "{alpha}");
    let dropped = alpha_if_deleted(&cov);
    for (got, want) in dropped.iter().zip([0.7500, 0.7606, 0.7714, 0.7826]) {
        assert!((got.unwrap() - want).abs() < 5e-5, "{got:?} vs {want}");
    }
}
