//! Coordinate reference systems an import accepts, how they are recognised, and the inverse
//! Gauss-Krüger (transverse Mercator) projection that turns CGCS2000 plane coordinates into
//! longitude/latitude.
//!
//! Accepted: WGS84 (EPSG:4326) and CGCS2000 geographic (EPSG:4490), taken as they are (they
//! differ by centimetres at map scale), and the 64 CGCS2000 Gauss-Krüger systems EPSG:4491–4554.
//! Everything else (Xian 1980, Beijing 1954, Web Mercator…) is refused by name: a silent
//! datum shift of tens of metres is worse than no import. This module does no I/O.

use std::collections::HashMap;
use std::sync::OnceLock;

use proj4rs::proj::Proj;

/// CGCS2000 geographic coordinates (its ellipsoid is GRS80 to the micrometre).
const CGCS2000_GEOGRAPHIC: &str = "+proj=longlat +ellps=GRS80 +no_defs";

/// The plane system's projection and CGCS2000 geographic, parsed once for all 64 systems.
fn projections(gk: GaussKruger) -> Option<(&'static Proj, &'static Proj)> {
    static PROJECTIONS: OnceLock<(Option<Proj>, HashMap<u32, Proj>)> = OnceLock::new();
    let (geographic, planes) = PROJECTIONS.get_or_init(|| {
        let planes = (4491..=4554)
            .filter_map(GaussKruger::from_epsg)
            .filter_map(|gk| {
                let definition = format!(
                    "+proj=tmerc +lat_0=0 +lon_0={} +k=1 +x_0={} +y_0=0 +ellps=GRS80 +units=m +no_defs",
                    gk.central_meridian_deg,
                    gk.false_easting_m()
                );
                Some((gk.epsg, Proj::from_proj_string(&definition).ok()?))
            })
            .collect();
        (Proj::from_proj_string(CGCS2000_GEOGRAPHIC).ok(), planes)
    });
    Some((planes.get(&gk.epsg)?, geographic.as_ref()?))
}

/// Which way a Gauss-Krüger system writes its easting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ZoneWidth {
    /// 6° zones.
    Six,
    /// 3° zones.
    Three,
}

/// A CGCS2000 Gauss-Krüger plane system (EPSG:4491–4554).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussKruger {
    pub epsg: u32,
    pub width: ZoneWidth,
    /// Zone number (6°: 13–23, 3°: 25–45).
    pub zone: u32,
    pub central_meridian_deg: f64,
    /// Whether the easting carries the zone number in front (`39 500000`).
    pub zone_prefix: bool,
}

impl GaussKruger {
    /// The system of an EPSG code in 4491–4554.
    #[must_use]
    pub fn from_epsg(epsg: u32) -> Option<Self> {
        let (width, zone, zone_prefix) = match epsg {
            4491..=4501 => (ZoneWidth::Six, epsg - 4491 + 13, true),
            4502..=4512 => (ZoneWidth::Six, epsg - 4502 + 13, false),
            4513..=4533 => (ZoneWidth::Three, epsg - 4513 + 25, true),
            4534..=4554 => (ZoneWidth::Three, epsg - 4534 + 25, false),
            _ => return None,
        };
        let central_meridian_deg = f64::from(match width {
            ZoneWidth::Six => zone * 6 - 3,
            ZoneWidth::Three => zone * 3,
        });
        Some(Self { epsg, width, zone, central_meridian_deg, zone_prefix })
    }

    /// The system with this zone width, central meridian and prefix, if CGCS2000 defines one.
    #[must_use]
    pub fn from_parameters(width: ZoneWidth, central_meridian_deg: f64, zone_prefix: bool) -> Option<Self> {
        (4491..=4554)
            .filter_map(Self::from_epsg)
            .find(|gk| gk.width == width && gk.zone_prefix == zone_prefix && (gk.central_meridian_deg - central_meridian_deg).abs() < 1e-9)
    }

    /// False easting in metres: 500 km, plus the zone number × 1,000 km where it is prefixed.
    #[must_use]
    pub fn false_easting_m(self) -> f64 {
        if self.zone_prefix { f64::from(self.zone) * 1_000_000.0 + 500_000.0 } else { 500_000.0 }
    }

    /// Longitude/latitude in degrees of a plane point (easting, northing in metres), by
    /// `proj4rs`'s exact transverse Mercator (Poder/Engsager, as PROJ's `tmerc`): within a
    /// micrometre of `gdaltransform` (see ARCHITECTURE.md, "Crates we use instead of our own").
    /// `NaN` when the point cannot be projected (far outside any zone).
    ///
    /// ```
    /// use citygrid::io::crs::GaussKruger;
    /// let zone39 = GaussKruger::from_epsg(4527).unwrap();
    /// let (lon, lat) = zone39.lonlat_from_plane(39_500_000.0, 0.0);
    /// assert!((lon - 117.0).abs() < 1e-12 && lat.abs() < 1e-12);
    /// ```
    #[must_use]
    pub fn lonlat_from_plane(self, easting_m: f64, northing_m: f64) -> (f64, f64) {
        let Some((plane, geographic)) = projections(self) else { return (f64::NAN, f64::NAN) };
        let mut point = (easting_m, northing_m, 0.0);
        match proj4rs::transform::transform(plane, geographic, &mut point) {
            Ok(()) => (point.0.to_degrees(), point.1.to_degrees()),
            Err(_) => (f64::NAN, f64::NAN),
        }
    }

    /// The plane easting's zone prefix, if it has one (`39` of `39 512 345`).
    #[must_use]
    pub fn prefix_of(easting_m: f64) -> Option<u32> {
        let prefix = (easting_m / 1_000_000.0).floor();
        // Saturating cast: the range check keeps only real zone numbers.
        (13.0..=45.0).contains(&prefix).then_some(prefix as u32)
    }
}

/// The coordinate system features are written in.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Crs {
    /// EPSG:4326.
    Wgs84,
    /// EPSG:4490, CGCS2000 geographic.
    Cgcs2000,
    /// EPSG:4491–4554.
    GaussKruger(GaussKruger),
}

impl Crs {
    /// The accepted system of an EPSG code.
    #[must_use]
    pub fn from_epsg(epsg: u32) -> Option<Self> {
        match epsg {
            4326 => Some(Self::Wgs84),
            4490 => Some(Self::Cgcs2000),
            _ => GaussKruger::from_epsg(epsg).map(Self::GaussKruger),
        }
    }

    /// Its EPSG code.
    #[must_use]
    pub fn epsg(self) -> u32 {
        match self {
            Self::Wgs84 => 4326,
            Self::Cgcs2000 => 4490,
            Self::GaussKruger(gk) => gk.epsg,
        }
    }

    /// Whether coordinates are longitude/latitude degrees.
    #[must_use]
    pub fn is_geographic(self) -> bool {
        !matches!(self, Self::GaussKruger(_))
    }

    /// Longitude/latitude (degrees) of a coordinate pair in this system.
    #[must_use]
    pub fn lonlat(self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Self::Wgs84 | Self::Cgcs2000 => (x, y),
            Self::GaussKruger(gk) => gk.lonlat_from_plane(x, y),
        }
    }

    /// A name for messages: `EPSG:4527 CGCS2000 / 3-degree Gauss-Kruger zone 39`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::Wgs84 => "EPSG:4326 WGS 84".into(),
            Self::Cgcs2000 => "EPSG:4490 CGCS2000".into(),
            Self::GaussKruger(gk) => {
                let degrees = if gk.width == ZoneWidth::Three { 3 } else { 6 };
                if gk.zone_prefix {
                    format!("EPSG:{} CGCS2000 / {degrees}-degree Gauss-Kruger zone {}", gk.epsg, gk.zone)
                } else {
                    format!("EPSG:{} CGCS2000 / {degrees}-degree Gauss-Kruger CM {}E", gk.epsg, gk.central_meridian_deg)
                }
            }
        }
    }
}

/// A system that was recognised but cannot be imported, or could not be recognised at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrsError {
    #[error(
        "coordinate system {0} is not supported: only WGS84 (EPSG:4326), CGCS2000 (EPSG:4490) and CGCS2000 Gauss-Kruger (EPSG:4491–4554) are; reproject the file first (e.g. ogr2ogr -t_srs EPSG:4490)"
    )]
    Unsupported(String),
    #[error("coordinate system not recognised: {0}; name it with --crs EPSG:NNNN")]
    Unknown(String),
}

/// A detected system with the evidence for it, shown to the user before import.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CrsGuess {
    pub crs: Crs,
    /// Plain words: `.prj says CGCS2000 / 3-degree Gauss-Kruger zone 39`.
    pub evidence: String,
}

/// Parses `EPSG:4527`, `4527`, `urn:ogc:def:crs:EPSG::4527`, `urn:ogc:def:crs:OGC:1.3:CRS84`.
///
/// # Errors
/// A system outside the accepted ones, named.
pub fn crs_from_name(name: &str) -> Result<Crs, CrsError> {
    let trimmed = name.trim();
    let upper = trimmed.to_ascii_uppercase();
    if upper.ends_with("CRS84") || upper == "WGS84" {
        return Ok(Crs::Wgs84);
    }
    let digits: String = upper.rsplit([':', '/']).next().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    let code: Option<u32> = if upper.contains("EPSG") || upper.chars().all(|c| c.is_ascii_digit()) { digits.parse().ok() } else { None };
    match code {
        Some(code) => Crs::from_epsg(code).ok_or_else(|| CrsError::Unsupported(format!("EPSG:{code}{}", known_name(code)))),
        None => Err(CrsError::Unknown(trimmed.to_owned())),
    }
}

/// Names of systems people send that we refuse, for a clearer refusal.
fn known_name(epsg: u32) -> &'static str {
    match epsg {
        2327..=2390 | 4610 => " (Xian 1980)",
        2401..=2442 | 4214 | 21413..=21483 => " (Beijing 1954)",
        3857 | 900_913 => " (Web Mercator)",
        32601..=32660 => " (WGS 84 / UTM)",
        _ => "",
    }
}

/// Recognises a system from WKT (a `.prj`, WKT1 or WKT2, ESRI or OGC flavour).
///
/// The outermost authority code wins; without one the names CGCS2000 GK systems are written
/// under (`CGCS2000_3_Degree_GK_Zone_39`, `CGCS2000 / 3-degree Gauss-Kruger CM 117E`), then the
/// datum and the projection parameters.
///
/// # Errors
/// Another datum (Xian 1980, Beijing 1954…) or a projection that is not Gauss-Krüger, named.
pub fn crs_from_wkt(wkt: &str) -> Result<(Crs, String), CrsError> {
    let text = wkt.trim();
    let head = text.split(['[', '(']).next().unwrap_or("").trim().to_ascii_uppercase();
    let name = quoted_after(text, 0).unwrap_or_default();
    let upper = text.to_ascii_uppercase();
    // The outermost AUTHORITY / ID is the last one in WKT1 and WKT2 alike (it closes the root).
    if let Some(code) = last_authority_code(&upper) {
        return Crs::from_epsg(code)
            .map(|crs| (crs, format!("{name} (EPSG:{code})")))
            .ok_or_else(|| CrsError::Unsupported(format!("{name} (EPSG:{code}{})", known_name(code))));
    }
    let compact: String = upper.chars().filter(char::is_ascii_alphanumeric).collect();
    if compact.contains("XIAN") || compact.contains("XIAN1980") {
        return Err(CrsError::Unsupported(format!("{name} (Xian 1980)")));
    }
    if compact.contains("BEIJING") {
        return Err(CrsError::Unsupported(format!("{name} (Beijing 1954)")));
    }
    let is_cgcs = compact.contains("CGCS2000") || compact.contains("CHINAGEODETICCOORDINATESYSTEM2000") || compact.contains("CHINA2000");
    let projected = head.starts_with("PROJCS") || head.starts_with("PROJCRS");
    if !projected {
        if is_cgcs {
            return Ok((Crs::Cgcs2000, name));
        }
        if compact.contains("WGS84") || compact.contains("WGS1984") {
            return Ok((Crs::Wgs84, name));
        }
        return Err(CrsError::Unsupported(name));
    }
    if !is_cgcs {
        return Err(CrsError::Unsupported(name));
    }
    let three = compact.contains("3DEGREE");
    let width = if three { ZoneWidth::Three } else { ZoneWidth::Six };
    let central_meridian = parameter(&upper, "CENTRAL_MERIDIAN").or_else(|| parameter(&upper, "LONGITUDE OF NATURAL ORIGIN"));
    let false_easting = parameter(&upper, "FALSE_EASTING").or_else(|| parameter(&upper, "FALSE EASTING"));
    let is_tm = compact.contains("GAUSSKRUGER") || compact.contains("TRANSVERSEMERCATOR") || compact.contains("GAUSSKRUEGER");
    if let (Some(cm), Some(fe), true) = (central_meridian, false_easting, is_tm) {
        let zone_prefix = fe > 1_000_000.0;
        // The width is in the name only; a prefix tells it too (3° zones are numbered 25–45).
        let width = if zone_prefix { if fe >= 24_000_000.0 { ZoneWidth::Three } else { ZoneWidth::Six } } else { width };
        if let Some(gk) = GaussKruger::from_parameters(width, cm, zone_prefix)
            && (gk.false_easting_m() - fe).abs() < 1e-6
        {
            return Ok((Crs::GaussKruger(gk), name));
        }
        return Err(CrsError::Unsupported(format!("{name} (central meridian {cm}, false easting {fe})")));
    }
    Err(CrsError::Unsupported(name))
}

/// The first quoted string after `from`.
fn quoted_after(text: &str, from: usize) -> Option<String> {
    let rest = text.get(from..)?;
    let start = rest.find('"')? + 1;
    let end = rest[start..].find('"')? + start;
    Some(rest[start..end].to_owned())
}

fn last_authority_code(upper: &str) -> Option<u32> {
    let position = upper.rfind("AUTHORITY[").map(|p| p + 10).or_else(|| upper.rfind("ID[").map(|p| p + 3))?;
    let inside = &upper[position..];
    let end = inside.find(']')?;
    let mut pieces = inside[..end].split(',');
    let authority = pieces.next()?.trim().trim_matches('"');
    if authority != "EPSG" {
        return None;
    }
    pieces.next()?.trim().trim_matches('"').parse().ok()
}

fn parameter(upper: &str, name: &str) -> Option<f64> {
    let position = upper.find(&format!("\"{name}\""))? + name.len() + 2;
    let rest = upper[position..].trim_start_matches([',', ' ']);
    let end = rest.find([',', ']'])?;
    rest[..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from GDAL 3.6: `echo "E N" | gdaltransform -s_srs EPSG:X -t_srs EPSG:4490`.
    const GDAL_POINTS: [(u32, f64, f64, f64, f64); 13] = [
        (4491, 13_500_000.0, 3_300_000.0, 75.0, 29.818_554_517_395_4),
        (4502, 500_000.0, 3_300_000.0, 75.0, 29.818_554_517_395_4),
        (4527, 39_628_537.98, 3_303_119.63, 118.330_000_004_022, 29.839_999_997_836_2),
        (4545, 1_200_000.0, 3_400_000.0, 115.283_390_048_479, 30.516_142_214_939_4),
        (4549, 450_000.0, 3_305_000.0, 119.482_506_344_2, 29.862_646_336_329_2),
        (4554, 600_000.0, 5_000_000.0, 136.271_124_252_376, 45.128_399_562_542_5),
        (4501, 23_400_000.0, 4_000_000.0, 133.889_169_777_198, 36.125_142_103_304_4),
        (4512, 300_000.0, 2_500_000.0, 133.055_354_479_191, 22.586_048_338_924_4),
        (4513, 25_500_000.0, 3_000_000.0, 75.0, 27.111_635_508_124_3),
        (4534, 500_000.0, 3_000_000.0, 75.0, 27.111_635_508_124_3),
        (4521, 33_400_000.0, 3_500_000.0, 97.946_092_922_417_4, 31.618_206_139_427_3),
        // Far from the central meridian: the edge of a 6° zone, south and north.
        (4501, 23_290_000.0, 2_000_000.0, 133.016_613_969_674, 18.071_288_306_764_1),
        (4500, 22_210_000.0, 5_500_000.0, 124.990_808_333_462, 49.563_268_872_378_8),
    ];

    #[test]
    fn gauss_kruger_matches_gdal_within_a_millimetre_in_every_family() {
        for (epsg, x, y, lon, lat) in GDAL_POINTS {
            let crs = Crs::from_epsg(epsg).expect("accepted");
            let (got_lon, got_lat) = crs.lonlat(x, y);
            let metres_east = (got_lon - lon).to_radians() * 6_378_137.0 * lat.to_radians().cos();
            let metres_north = (got_lat - lat).to_radians() * 6_378_137.0;
            assert!(metres_east.abs() < 0.001 && metres_north.abs() < 0.001, "EPSG:{epsg}: {got_lon} {got_lat} vs {lon} {lat}");
        }
    }

    #[test]
    fn the_four_families_have_their_zones_and_central_meridians() {
        let first = GaussKruger::from_epsg(4491).expect("4491");
        assert_eq!((first.zone, first.central_meridian_deg, first.false_easting_m()), (13, 75.0, 13_500_000.0));
        let cm117 = GaussKruger::from_epsg(4548).expect("4548");
        assert_eq!((cm117.central_meridian_deg, cm117.false_easting_m()), (117.0, 500_000.0));
        let zone39 = GaussKruger::from_epsg(4527).expect("4527");
        assert_eq!((zone39.zone, zone39.central_meridian_deg), (39, 117.0));
        assert_eq!(GaussKruger::from_epsg(4512).map(|gk| gk.central_meridian_deg), Some(135.0));
        assert!(GaussKruger::from_epsg(4555).is_none());
    }

    #[test]
    fn prj_files_as_gdal_and_arcgis_write_them_are_recognised() {
        let esri = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(crs_from_wkt(esri).map(|(crs, _)| crs.epsg()), Ok(4527));
        let cm = esri.replace("Zone_39", "CM_117E").replace("39500000.0", "500000.0");
        assert_eq!(crs_from_wkt(&cm).map(|(crs, _)| crs.epsg()), Ok(4548));
        let geographic = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(crs_from_wkt(geographic).map(|(crs, _)| crs), Ok(Crs::Cgcs2000));
        let with_authority = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 39",GEOGCS["China Geodetic Coordinate System 2000",AUTHORITY["EPSG","4490"]],AUTHORITY["EPSG","4527"]]"#;
        assert_eq!(crs_from_wkt(with_authority).map(|(crs, _)| crs.epsg()), Ok(4527));
        let xian = r#"PROJCS["Xian_1980_3_Degree_GK_Zone_39",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]]]]"#;
        let refusal = crs_from_wkt(xian).expect_err("Xian 1980 is refused").to_string();
        assert!(refusal.contains("Xian_1980_3_Degree_GK_Zone_39"), "{refusal}");
    }

    #[test]
    fn geojson_crs_names_are_read() {
        assert_eq!(crs_from_name("urn:ogc:def:crs:EPSG::4527").map(Crs::epsg), Ok(4527));
        assert_eq!(crs_from_name("urn:ogc:def:crs:OGC:1.3:CRS84"), Ok(Crs::Wgs84));
        assert_eq!(crs_from_name("EPSG:4490"), Ok(Crs::Cgcs2000));
        let refusal = crs_from_name("EPSG:2385").expect_err("Xian 1980").to_string();
        assert!(refusal.contains("EPSG:2385 (Xian 1980)"), "{refusal}");
    }
}
