//! The one local metric frame: metres east/north of an origin (optionally rotated), by an
//! equirectangular approximation. Over the few kilometres it is used for (a boundary's
//! neighbourhood, a search envelope, the demo district's street grid) its error is far below a
//! metre, and it is affine, so shapes that share vertices keep sharing them after conversion.
//!
//! The metres per degree are written here and nowhere else.

use geo::{Coord, MapCoords, Point, coord};

/// Metres per degree of longitude on the equator (WGS84/CGCS2000, 2πa/360 rounded).
pub const M_PER_DEG_LON_EQUATOR: f64 = 111_320.0;
/// Metres per degree of latitude used by the boundary distances and search envelopes (the
/// meridian degree at the equator; 0.25 % short at 30°N, which errs on the side of a larger
/// envelope, and the reported distances are geodesic anyway).
pub const M_PER_DEG_LAT: f64 = 110_574.0;

/// A local metric frame: (u, v) in metres, u east and v north unless the frame is rotated.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    origin: [f64; 2],
    /// Metres per degree of longitude at the origin.
    kx: f64,
    /// Metres per degree of latitude.
    ky: f64,
    cos_rotation: f64,
    sin_rotation: f64,
}

impl LocalFrame {
    /// A frame at `origin` (lon, lat), u east and v north.
    #[must_use]
    pub fn at(origin: Point<f64>) -> Self {
        Self {
            origin: [origin.x(), origin.y()],
            kx: M_PER_DEG_LON_EQUATOR * origin.y().to_radians().cos(),
            ky: M_PER_DEG_LAT,
            cos_rotation: 1.0,
            sin_rotation: 0.0,
        }
    }

    /// The same frame with `metres` per degree of latitude.
    #[must_use]
    pub fn with_lat_scale(self, metres: f64) -> Self {
        Self { ky: metres, ..self }
    }

    /// The same frame with its u axis turned `degrees` counter-clockwise from east.
    #[must_use]
    pub fn rotated(self, degrees: f64) -> Self {
        let rotation = degrees.to_radians();
        Self { cos_rotation: rotation.cos(), sin_rotation: rotation.sin(), ..self }
    }

    /// Longitude/latitude → (u, v) metres.
    #[must_use]
    pub fn metres(&self, lon: f64, lat: f64) -> [f64; 2] {
        let east = (lon - self.origin[0]) * self.kx;
        let north = (lat - self.origin[1]) * self.ky;
        [east * self.cos_rotation + north * self.sin_rotation, -east * self.sin_rotation + north * self.cos_rotation]
    }

    /// (u, v) metres → longitude/latitude.
    #[must_use]
    pub fn lonlat(&self, metres: [f64; 2]) -> Point<f64> {
        let [u, v] = metres;
        let east = u * self.cos_rotation - v * self.sin_rotation;
        let north = u * self.sin_rotation + v * self.cos_rotation;
        Point::new(self.origin[0] + east / self.kx, self.origin[1] + north / self.ky)
    }

    /// Degrees of longitude and latitude that `metres` spans here (for envelope queries; the
    /// longitude span is capped near the poles).
    #[must_use]
    pub fn degrees(&self, metres: f64) -> [f64; 2] {
        [metres / self.kx.max(M_PER_DEG_LON_EQUATOR * 0.01), metres / self.ky]
    }

    /// (u, v) as a coordinate → lon/lat as a coordinate.
    #[must_use]
    pub fn lonlat_from_uv(&self, uv: Coord<f64>) -> Coord<f64> {
        let point = self.lonlat([uv.x, uv.y]);
        coord! { x: point.x(), y: point.y() }
    }

    /// Lon/lat as a coordinate → (u, v) as a coordinate.
    #[must_use]
    pub fn uv_from_lonlat(&self, lonlat: Coord<f64>) -> Coord<f64> {
        let [u, v] = self.metres(lonlat.x, lonlat.y);
        coord! { x: u, y: v }
    }

    /// A whole geometry from (u, v) metres to lon/lat.
    pub fn to_lonlat<G: MapCoords<f64, f64, Output = G>>(&self, geometry: &G) -> G {
        geometry.map_coords(|c| self.lonlat_from_uv(c))
    }

    /// A whole geometry from lon/lat to (u, v) metres.
    pub fn to_uv<G: MapCoords<f64, f64, Output = G>>(&self, geometry: &G) -> G {
        geometry.map_coords(|c| self.uv_from_lonlat(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_frame_goes_there_and_back() {
        let frame = LocalFrame::at(Point::new(118.33, 29.83)).with_lat_scale(110_860.0).rotated(9.0);
        let point = frame.lonlat([1234.5, -678.9]);
        let [u, v] = frame.metres(point.x(), point.y());
        assert!((u - 1234.5).abs() < 1e-6 && (v + 678.9).abs() < 1e-6, "{u} {v}");
        // Unrotated, u is plain east: 1 km east is 1 km along u.
        let plain = LocalFrame::at(Point::new(118.33, 29.83));
        let east = plain.lonlat([1000.0, 0.0]);
        assert!((plain.metres(east.x(), east.y())[0] - 1000.0).abs() < 1e-9);
        assert_eq!(east.y(), 29.83);
    }
}
