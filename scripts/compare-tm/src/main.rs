//! The measurement behind replacing citygrid's own inverse Krüger series (to n⁴, Karney 2011)
//! with proj4rs's exact transverse Mercator: accuracy against gdaltransform (GDAL 3.6) and time
//! per point, both in the same run. Run: `cd scripts/compare-tm && cargo run --release`.
//! `ours` is the series as citygrid had it (src/io/crs.rs before the change), verbatim.
#![allow(clippy::all)]

use std::f64::consts::PI;
const CGCS2000_A_M: f64 = 6_378_137.0;
const CGCS2000_F: f64 = 1.0 / 298.257_222_101;
const GDAL_POINTS: [(u32, f64, f64, f64, f64, f64, f64); 4] = [
    (4527, 39_628_537.98, 3_303_119.63, 118.330_000_004_022, 29.839_999_997_836_2, 117.0, 39_500_000.0),
    (4545, 1_200_000.0, 3_400_000.0, 115.283_390_048_479, 30.516_142_214_939_4, 108.0, 500_000.0),
    (4549, 450_000.0, 3_305_000.0, 119.482_506_344_2, 29.862_646_336_329_2, 120.0, 500_000.0),
    (4554, 600_000.0, 5_000_000.0, 136.271_124_252_376, 45.128_399_562_542_5, 135.0, 500_000.0),
];
fn ours(cm: f64, fe: f64, easting_m: f64, northing_m: f64) -> (f64, f64) {
    let n = CGCS2000_F / (2.0 - CGCS2000_F);
    let (n2, n3, n4) = (n * n, n * n * n, n * n * n * n);
    // Rectifying radius; the scale factor on the central meridian is 1 in Chinese GK.
    let radius_m = CGCS2000_A_M / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0);
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0,
        4397.0 * n4 / 161_280.0,
    ];
    let delta = [
        2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3 + 116.0 * n4 / 45.0,
        7.0 * n2 / 3.0 - 8.0 * n3 / 5.0 - 227.0 * n4 / 45.0,
        56.0 * n3 / 15.0 - 136.0 * n4 / 35.0,
        4279.0 * n4 / 630.0,
    ];
    let xi = northing_m / radius_m;
    let eta = (easting_m - fe) / radius_m;
    let (mut xi_prime, mut eta_prime) = (xi, eta);
    for (index, coefficient) in beta.iter().enumerate() {
        let j = 2.0 * (index as f64 + 1.0);
        xi_prime -= coefficient * (j * xi).sin() * (j * eta).cosh();
        eta_prime -= coefficient * (j * xi).cos() * (j * eta).sinh();
    }
    let chi = (xi_prime.sin() / eta_prime.cosh()).asin();
    let mut latitude = chi;
    for (index, coefficient) in delta.iter().enumerate() {
        latitude += coefficient * (2.0 * (index as f64 + 1.0) * chi).sin();
    }
    let longitude = cm.to_radians() + eta_prime.sinh().atan2(xi_prime.cos());
    (longitude * 180.0 / PI, latitude * 180.0 / PI)
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let e = (a.0 - b.0).to_radians() * 6_378_137.0 * b.1.to_radians().cos();
    let n = (a.1 - b.1).to_radians() * 6_378_137.0;
    e.hypot(n)
}
fn main() {
    use proj4rs::proj::Proj;
    let wgs = Proj::from_proj_string("+proj=longlat +ellps=GRS80 +no_defs").unwrap();
    let mut worst = (0.0f64, 0.0f64);
    for (epsg, x, y, lon, lat, cm, fe) in GDAL_POINTS {
        let tm = Proj::from_proj_string(&format!("+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0={fe} +y_0=0 +ellps=GRS80 +units=m +no_defs")).unwrap();
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&tm, &wgs, &mut p).unwrap();
        let theirs = (p.0.to_degrees(), p.1.to_degrees());
        let o = ours(cm, fe, x, y);
        let (eo, et) = (metres(o, (lon, lat)), metres(theirs, (lon, lat)));
        println!("EPSG:{epsg}: ours {eo:.6} m, proj4rs {et:.6} m from gdaltransform");
        worst = (worst.0.max(eo), worst.1.max(et));
    }
    println!("worst: ours {:.6} m, proj4rs {:.6} m", worst.0, worst.1);
    // speed: 1,000,000 points in zone 39
    let n = 1_000_000;
    let pts: Vec<(f64, f64)> = (0..n).map(|i| (39_500_000.0 + (i % 1000) as f64 * 150.0, 3_200_000.0 + (i / 1000) as f64 * 150.0)).collect();
    let t = std::time::Instant::now();
    let mut acc = 0.0;
    for &(x, y) in &pts { let r = ours(117.0, 39_500_000.0, x, y); acc += r.0 + r.1; }
    let ours_s = t.elapsed().as_secs_f64();
    let tm = Proj::from_proj_string("+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m +no_defs").unwrap();
    let t = std::time::Instant::now();
    let mut acc2 = 0.0;
    for &(x, y) in &pts { let mut p = (x, y, 0.0); proj4rs::transform::transform(&tm, &wgs, &mut p).unwrap(); acc2 += p.0 + p.1; }
    let theirs_s = t.elapsed().as_secs_f64();
    // agreement over the grid
    let mut max_diff = 0.0f64;
    for &(x, y) in pts.iter().step_by(997) {
        let o = ours(117.0, 39_500_000.0, x, y);
        let mut p = (x, y, 0.0); proj4rs::transform::transform(&tm, &wgs, &mut p).unwrap();
        max_diff = max_diff.max(metres(o, (p.0.to_degrees(), p.1.to_degrees())));
    }
    println!("1,000,000 points: ours {:.1} ms ({:.0} ns/pt), proj4rs {:.1} ms ({:.0} ns/pt); largest difference between the two over a 150 x 150 km grid: {:.6} m ({acc} {acc2})", ours_s*1e3, ours_s*1e9/n as f64, theirs_s*1e3, theirs_s*1e9/n as f64, max_diff);
}
