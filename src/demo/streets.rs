//! The schematic street network of the demo district and the city parts laid out along it:
//! pipes with their manhole covers, service laterals, street lamps, gully grates, street trees,
//! litter bins, hydrants, signs, signals, bus shelters, green strips and car parks, each at a
//! realistic spacing. The network grows outward from the core of 岩寺镇 until the requested
//! number of parts is reached.

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon, coord};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::regions::GridLookup;
use crate::model::{Part, PartCode, PartGeometry, PartState, UnitId, part::PartSource};
use crate::spatial::LocalFrame;

/// Distance between parallel streets, metres (a block is 200 m × 200 m).
pub const BLOCK_M: f64 = 200.0;
/// Every third street is a main road.
const MAIN_EVERY: i32 = 3;
/// Parts laid along one 200 m street segment, on average (used to size the network).
const PARTS_PER_SEGMENT: f64 = 150.0;

const NORTH_SOUTH_MAIN: &[&str] =
    &["徽州大道", "岩寺大道", "文峰路", "佛子岭路", "丰乐大道", "迎宾大道", "环城西路", "环城东路", "新安路", "紫霞路"];
const EAST_WEST_MAIN: &[&str] = &["黄山西路", "永兴路", "广惠路", "龙井路", "上街路", "下街路", "富山路", "临河路", "翰山路", "虹光路"];

/// One street segment between two intersections, in local metres.
#[derive(Debug, Clone)]
pub struct Segment {
    pub from_uv: Coord<f64>,
    pub to_uv: Coord<f64>,
    pub main: bool,
    pub name: String,
    /// Position along its street, used to alternate bus shelters.
    pub index_along: i32,
}

fn street_name(main: bool, north_south: bool, line: i32) -> String {
    let names = if north_south { NORTH_SOUTH_MAIN } else { EAST_WEST_MAIN };
    if main {
        let index = usize::try_from((line / MAIN_EVERY).rem_euclid(names.len() as i32)).unwrap_or(0);
        let round = (line / MAIN_EVERY).div_euclid(names.len() as i32);
        if round == 0 { names[index].to_owned() } else { format!("{}{}段", names[index], round + 1) }
    } else if north_south {
        format!("经{}路", line.unsigned_abs())
    } else {
        format!("纬{}路", line.unsigned_abs())
    }
}

/// Street segments inside the district, nearest to the core first, enough for `parts` parts.
#[must_use]
pub fn segments_for(district_uv: &MultiPolygon<f64>, parts: usize) -> Vec<Segment> {
    let needed = (parts as f64 / PARTS_PER_SEGMENT).ceil() + 1.0;
    // Two segments per block; clipping by the district boundary loses some, so look twice as far.
    let radius_blocks = ((needed / 2.0 / std::f64::consts::PI).sqrt() * 2.0).ceil() as i32 + 3;
    let mut segments = Vec::new();
    for line in -radius_blocks..=radius_blocks {
        for step in -radius_blocks..radius_blocks {
            let along = f64::from(step) * BLOCK_M;
            let across = f64::from(line) * BLOCK_M;
            let main = line.rem_euclid(MAIN_EVERY) == 0;
            // North–south street at u = across, and east–west street at v = across.
            for north_south in [true, false] {
                let (from_uv, to_uv) = if north_south {
                    (coord! { x: across, y: along }, coord! { x: across, y: along + BLOCK_M })
                } else {
                    (coord! { x: along, y: across }, coord! { x: along + BLOCK_M, y: across })
                };
                segments.push(Segment { from_uv, to_uv, main, name: street_name(main, north_south, line), index_along: step });
            }
        }
    }
    let distance = |segment: &Segment| {
        let middle = (segment.from_uv + segment.to_uv) / 2.0;
        middle.x.hypot(middle.y)
    };
    segments.sort_by(|a, b| {
        distance(a).total_cmp(&distance(b)).then(a.from_uv.x.total_cmp(&b.from_uv.x)).then(a.from_uv.y.total_cmp(&b.from_uv.y))
    });
    let needed = needed as usize;
    let mut inside = Vec::with_capacity(needed);
    for segment in segments {
        if inside.len() >= needed {
            break;
        }
        let middle = (segment.from_uv + segment.to_uv) / 2.0;
        if [segment.from_uv, middle, segment.to_uv].iter().all(|point| district_uv.contains(&Point(*point))) {
            inside.push(segment);
        }
    }
    inside
}

/// Units responsible for a class of parts: (supervising, owner, maintainer).
pub type ClassUnits = HashMap<(u8, u8), (Option<UnitId>, Option<UnitId>, Option<UnitId>)>;

/// Lays out parts along street segments.
pub struct PartLayout<'a> {
    pub frame: &'a LocalFrame,
    pub grid: &'a GridLookup,
    pub units: &'a ClassUnits,
    pub rng: &'a mut ChaCha8Rng,
    serials: HashMap<(u8, u8), u32>,
}

/// A part shape in local metres before conversion.
enum Shape {
    Point(Coord<f64>),
    Line(Vec<Coord<f64>>),
    Polygon(Vec<Coord<f64>>),
}

impl<'a> PartLayout<'a> {
    pub fn new(frame: &'a LocalFrame, grid: &'a GridLookup, units: &'a ClassUnits, rng: &'a mut ChaCha8Rng) -> Self {
        Self { frame, grid, units, rng, serials: HashMap::new() }
    }

    fn push(&mut self, parts: &mut Vec<Part>, class: (u8, u8), shape: Shape) {
        let serial = self.serials.entry(class).or_insert(0);
        *serial += 1;
        let Some(code) = PartCode::new(341_004, class.0, class.1, *serial) else { return };
        let anchor = match &shape {
            Shape::Point(point) => *point,
            Shape::Line(points) | Shape::Polygon(points) => {
                let sum = points.iter().fold(coord! { x: 0.0, y: 0.0 }, |sum, point| sum + *point);
                sum / points.len().max(1) as f64
            }
        };
        let to_lonlat =
            |points: &[Coord<f64>]| LineString::from(points.iter().map(|point| self.frame.lonlat_from_uv(*point)).collect::<Vec<_>>());
        let geometry = match &shape {
            Shape::Point(point) => PartGeometry::Point(Point(self.frame.lonlat_from_uv(*point))),
            Shape::Line(points) => PartGeometry::Line(to_lonlat(points)),
            Shape::Polygon(points) => PartGeometry::Polygon(Polygon::new(to_lonlat(points), vec![])),
        };
        let (supervising_unit, owner_unit, maintainer_unit) = self.units.get(&class).copied().unwrap_or((None, None, None));
        let roll: f64 = self.rng.random();
        let state = match roll {
            r if r < 0.94 => PartState::Normal,
            r if r < 0.97 => PartState::Damaged,
            r if r < 0.98 => PartState::Lost,
            r if r < 0.995 => PartState::Occupied,
            _ => PartState::Removed,
        };
        let installed_on = NaiveDate::from_ymd_opt(2005, 1, 1)
            .and_then(|start| start.checked_add_days(chrono::Days::new(self.rng.random_range(0..6_900))));
        let changed_on = if self.rng.random_bool(0.2) {
            installed_on.and_then(|date| date.checked_add_days(chrono::Days::new(self.rng.random_range(30..900))))
        } else {
            None
        };
        parts.push(Part {
            code,
            name: String::new(),
            supervising_unit,
            owner_unit,
            maintainer_unit,
            state,
            grid_code: self.grid.cell_at(anchor),
            installed_on,
            changed_on,
            source: PartSource::Demo,
            geometry,
        });
    }

    /// Appends the parts of one street segment.
    pub fn lay_segment(&mut self, segment: &Segment, parts: &mut Vec<Part>) {
        let delta = segment.to_uv - segment.from_uv;
        let length = delta.x.hypot(delta.y);
        let along = delta / length;
        let left = coord! { x: -along.y, y: along.x };
        let half_width = if segment.main { 12.0 } else { 7.0 };
        let at = |t: f64, offset: f64| segment.from_uv + along * t + left * offset;
        let positions = |start: f64, spacing: f64| (0..).map(move |k| start + spacing * f64::from(k)).take_while(move |t| *t < length);

        // Pipe networks: (pipe class, cover class, offset from the centre line, cover spacing).
        let networks = [
            ((1, 52), (1, 2), 0.0, 40.0),
            ((1, 53), (1, 3), 3.0, 40.0),
            ((1, 51), (1, 1), half_width - 2.0, 100.0),
            ((1, 54), (1, 11), -(half_width - 2.0), 100.0),
            ((1, 55), (1, 5), half_width + 2.0, 50.0),
            ((1, 56), (1, 7), -(half_width + 2.0), 50.0),
        ];
        for (pipe, cover, offset, spacing) in networks {
            for t in positions(0.0, spacing) {
                self.push(parts, cover, Shape::Point(at(t, offset)));
                let end = (t + spacing).min(length);
                self.push(parts, pipe, Shape::Line(vec![at(t, offset), at((t + end) / 2.0, offset + 0.3), at(end, offset)]));
            }
        }
        for side in [1.0, -1.0] {
            // Service laterals from the mains to the building line.
            for t in positions(12.0, 30.0) {
                self.push(parts, (1, 57), Shape::Line(vec![at(t, half_width - 2.0), at(t, side * (half_width + 6.0))]));
                self.push(parts, (1, 58), Shape::Line(vec![at(t + 4.0, 0.0), at(t + 4.0, side * (half_width + 6.0))]));
            }
            let lamp_start = if side > 0.0 { 5.0 } else { 22.5 };
            for t in positions(lamp_start, 35.0) {
                self.push(parts, (1, 18), Shape::Point(at(t, side * (half_width + 0.5))));
            }
            for t in positions(10.0, 40.0) {
                self.push(parts, (1, 4), Shape::Point(at(t, side * half_width)));
            }
            let tree_spacing = if segment.main { 8.0 } else { 12.0 };
            for t in positions(4.0, tree_spacing) {
                self.push(parts, (4, 2), Shape::Point(at(t, side * (half_width + 2.5))));
            }
            for t in positions(30.0, 80.0) {
                self.push(parts, (3, 5), Shape::Point(at(t, side * (half_width + 3.0))));
            }
            let (strip_start, strip_spacing, strip_length, strip_width) =
                if segment.main { (5.0, 40.0, 30.0, 3.0) } else { (10.0, 60.0, 40.0, 2.0) };
            for t in positions(strip_start, strip_spacing) {
                let near = side * (half_width + 5.0);
                let far = side * (half_width + 5.0 + strip_width);
                let end = (t + strip_length).min(length);
                self.push(parts, (4, 5), Shape::Polygon(vec![at(t, near), at(end, near), at(end, far), at(t, far), at(t, near)]));
            }
            if segment.main {
                self.push(parts, (2, 14), Shape::Point(at(length - 5.0, side * (half_width + 1.0))));
            }
        }
        for t in positions(60.0, 120.0) {
            self.push(parts, (1, 13), Shape::Point(at(t, half_width + 1.0)));
        }
        self.push(parts, (2, 13), Shape::Point(at(8.0, half_width + 1.5)));
        self.push(parts, (2, 9), Shape::Point(at(length - 15.0, -(half_width + 1.5))));
        if segment.main && segment.index_along.rem_euclid(2) == 0 {
            self.push(parts, (2, 3), Shape::Point(at(length / 2.0, half_width + 4.0)));
        }
        if !segment.main && segment.index_along.rem_euclid(4) == 1 {
            let near = half_width + 10.0;
            let far = half_width + 35.0;
            self.push(parts, (2, 1), Shape::Polygon(vec![at(80.0, near), at(120.0, near), at(120.0, far), at(80.0, far), at(80.0, near)]));
        }
    }
}
