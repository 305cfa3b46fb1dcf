//! A local metric frame for building the demo district: metres east/north of an origin,
//! optionally rotated so the street grid need not run exactly north–south.
//!
//! An equirectangular approximation: over the ~35 km of the district its error is far below a
//! metre, and it is affine, so shapes that share vertices keep sharing them after conversion.

use geo::{Coord, MapCoords, coord};

/// Metres per degree of latitude (WGS84 mean near 30°N).
const METRES_PER_DEGREE_LAT: f64 = 110_860.0;

#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    origin_lon: f64,
    origin_lat: f64,
    metres_per_degree_lon: f64,
    cos_rotation: f64,
    sin_rotation: f64,
}

impl LocalFrame {
    /// A frame at `origin` (lon, lat) whose u axis is rotated `rotation_deg` counter-clockwise from east.
    #[must_use]
    pub fn new(origin_lon: f64, origin_lat: f64, rotation_deg: f64) -> Self {
        let rotation = rotation_deg.to_radians();
        Self {
            origin_lon,
            origin_lat,
            metres_per_degree_lon: 111_320.0 * origin_lat.to_radians().cos(),
            cos_rotation: rotation.cos(),
            sin_rotation: rotation.sin(),
        }
    }

    /// Grid coordinates (u, v) in metres → longitude/latitude.
    #[must_use]
    pub fn lonlat_from_uv(&self, uv: Coord<f64>) -> Coord<f64> {
        let east = uv.x * self.cos_rotation - uv.y * self.sin_rotation;
        let north = uv.x * self.sin_rotation + uv.y * self.cos_rotation;
        coord! { x: self.origin_lon + east / self.metres_per_degree_lon, y: self.origin_lat + north / METRES_PER_DEGREE_LAT }
    }

    /// Longitude/latitude → grid coordinates (u, v) in metres.
    #[must_use]
    pub fn uv_from_lonlat(&self, lonlat: Coord<f64>) -> Coord<f64> {
        let east = (lonlat.x - self.origin_lon) * self.metres_per_degree_lon;
        let north = (lonlat.y - self.origin_lat) * METRES_PER_DEGREE_LAT;
        coord! { x: east * self.cos_rotation + north * self.sin_rotation, y: -east * self.sin_rotation + north * self.cos_rotation }
    }

    /// Converts a whole geometry from (u, v) metres to lon/lat.
    pub fn to_lonlat<G: MapCoords<f64, f64, Output = G>>(&self, geometry: &G) -> G {
        geometry.map_coords(|c| self.lonlat_from_uv(c))
    }

    /// Converts a whole geometry from lon/lat to (u, v) metres.
    pub fn to_uv<G: MapCoords<f64, f64, Output = G>>(&self, geometry: &G) -> G {
        geometry.map_coords(|c| self.uv_from_lonlat(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_survives_the_round_trip_to_a_millimetre() {
        let frame = LocalFrame::new(118.33, 29.83, 9.0);
        let uv = coord! { x: 1234.5, y: -2345.25 };
        let back = frame.uv_from_lonlat(frame.lonlat_from_uv(uv));
        assert!((back.x - uv.x).abs() < 1e-3 && (back.y - uv.y).abs() < 1e-3, "{back:?}");
    }
}
