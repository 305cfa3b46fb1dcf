//! Part counts per map cell and class: what the density layer, the layer tree's counts and the
//! district's totals are drawn from, so that none of them needs every part in memory.
//!
//! A cell is the density layer's square at zoom [`CELL_ZOOM`] ([`DENSITY_CELL_POINTS`] points
//! on a side, about 57 m here) in normalised Web Mercator; a coarser zoom's cell is 2×2, 4×4…
//! of these. The store keeps one row per occupied cell (`part_cells`: `cx`, `cy`, the counts
//! as a blob, see [`encode`]) and adds to it with every part it writes, so a seat reads a few
//! tens of thousands of rows instead of millions of parts.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Part, PartGeometry};

/// The zoom whose density cells are stored; coarser zooms sum them.
pub const CELL_ZOOM: u8 = 16;
/// The side of a density cell on screen, in points, at every zoom.
pub const DENSITY_CELL_POINTS: f64 = 24.0;
/// Bytes of one entry of a cell's blob: major, minor, geometry kind, count (u32 LE).
const ENTRY_BYTES: usize = 7;

/// Web Mercator normalised to [0, 1] × [0, 1] (x east, y south), as walkers projects.
#[must_use]
pub fn mercator_from_lonlat(lon: f64, lat: f64) -> [f64; 2] {
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0;
    [x, y]
}

/// The side of a density cell at `zoom` in normalised Mercator.
#[must_use]
pub fn cell_size(zoom: u8) -> f64 {
    DENSITY_CELL_POINTS / (256.0 * 2f64.powi(i32::from(zoom)))
}

/// The stored cell a normalised Mercator point lies in.
#[must_use]
pub fn cell_of(mercator: [f64; 2]) -> (i64, i64) {
    let size = cell_size(CELL_ZOOM);
    ((mercator[0] / size).floor() as i64, (mercator[1] / size).floor() as i64)
}

/// The cell of `zoom` (≤ [`CELL_ZOOM`]) holding a stored cell.
#[must_use]
pub fn coarser(cell: (i64, i64), zoom: u8) -> (i64, i64) {
    let shift = u32::from(CELL_ZOOM.saturating_sub(zoom));
    (cell.0 >> shift, cell.1 >> shift)
}

/// 0 point, 1 line, 2 polygon: the order of the part tables.
#[must_use]
pub fn kind_index(geometry: &PartGeometry) -> u8 {
    match geometry {
        PartGeometry::Point(_) => 0,
        PartGeometry::Line(_) => 1,
        PartGeometry::Polygon(_) => 2,
    }
}

/// How many parts of one class and geometry kind a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassCount {
    pub major: u8,
    pub minor: u8,
    /// [`kind_index`].
    pub kind: u8,
    pub count: u32,
}

/// A cell's counts as stored: [`ENTRY_BYTES`] per class and kind, sorted.
#[must_use]
pub fn encode(counts: &[ClassCount]) -> Vec<u8> {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let mut bytes = Vec::with_capacity(sorted.len() * ENTRY_BYTES);
    for entry in sorted {
        bytes.extend([entry.major, entry.minor, entry.kind]);
        bytes.extend(entry.count.to_le_bytes());
    }
    bytes
}

/// The counts of a stored cell.
///
/// # Errors
/// A blob that is not whole entries, or names a geometry kind other than 0–2.
pub fn decode(bytes: &[u8]) -> Result<Vec<ClassCount>, String> {
    if !bytes.len().is_multiple_of(ENTRY_BYTES) {
        return Err(format!("{} bytes is not a whole number of {ENTRY_BYTES}-byte entries", bytes.len()));
    }
    bytes
        .chunks_exact(ENTRY_BYTES)
        .map(|entry| {
            let kind = entry[2];
            if kind > 2 {
                return Err(format!("geometry kind {kind} (0 point, 1 line, 2 polygon)"));
            }
            Ok(ClassCount { major: entry[0], minor: entry[1], kind, count: u32::from_le_bytes([entry[3], entry[4], entry[5], entry[6]]) })
        })
        .collect()
}

/// Adds `extra` to its class and kind in `counts`, kept sorted by class and kind (so two equal
/// sets of counts compare equal however they were gathered).
fn bump(counts: &mut Vec<ClassCount>, extra: ClassCount) {
    let key = |entry: &ClassCount| (entry.major, entry.minor, entry.kind);
    match counts.binary_search_by_key(&key(&extra), key) {
        Ok(found) => counts[found].count = counts[found].count.saturating_add(extra.count),
        Err(at) => counts.insert(at, extra),
    }
}

/// Part counts per stored cell, class and geometry kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartCells {
    cells: HashMap<(i64, i64), Vec<ClassCount>>,
}

impl PartCells {
    /// The counts of `parts`, as the store keeps them.
    #[must_use]
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Self {
        let mut cells = Self::default();
        for part in parts {
            cells.add(part);
        }
        cells
    }

    /// Counts one more part.
    pub fn add(&mut self, part: &Part) {
        let anchor = super::anchor_of(part);
        let cell = cell_of(mercator_from_lonlat(anchor.x(), anchor.y()));
        let (major, minor, kind) = (part.code.major(), part.code.minor(), kind_index(&part.geometry));
        bump(self.cells.entry(cell).or_default(), ClassCount { major, minor, kind, count: 1 });
    }

    /// Adds another cell's counts to the same cell here (a stored row to the parts being written).
    pub fn merge_cell(&mut self, cell: (i64, i64), more: &[ClassCount]) {
        let counts = self.cells.entry(cell).or_default();
        for extra in more {
            bump(counts, *extra);
        }
    }

    /// Sets a cell's counts (as read from the store).
    pub fn insert(&mut self, cell: (i64, i64), mut counts: Vec<ClassCount>) {
        counts.sort_unstable();
        self.cells.insert(cell, counts);
    }

    /// The cells and their counts, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ((i64, i64), &[ClassCount])> + '_ {
        self.cells.iter().map(|(cell, counts)| (*cell, counts.as_slice()))
    }

    /// Number of occupied cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// All parts counted.
    #[must_use]
    pub fn total(&self) -> usize {
        self.kind_counts().iter().sum()
    }

    /// Parts per geometry kind: points, lines, polygons.
    #[must_use]
    pub fn kind_counts(&self) -> [usize; 3] {
        let mut totals = [0usize; 3];
        for entry in self.cells.values().flatten() {
            totals[usize::from(entry.kind)] += entry.count as usize;
        }
        totals
    }

    /// Parts per four-digit class code, sorted by code.
    #[must_use]
    pub fn class_counts(&self) -> BTreeMap<String, usize> {
        let mut by_class: BTreeMap<(u8, u8), usize> = BTreeMap::new();
        for entry in self.cells.values().flatten() {
            *by_class.entry((entry.major, entry.minor)).or_default() += entry.count as usize;
        }
        by_class.into_iter().map(|((major, minor), count)| (format!("{major:02}{minor:02}"), count)).collect()
    }

    /// Parts per cell of `zoom` (≤ [`CELL_ZOOM`]) among the classes `shows` keeps.
    #[must_use]
    pub fn density(&self, zoom: u8, shows: impl Fn(u8, u8) -> bool) -> HashMap<(i64, i64), u32> {
        let mut counts: HashMap<(i64, i64), u32> = HashMap::new();
        for (cell, entries) in &self.cells {
            let count: u32 = entries.iter().filter(|entry| shows(entry.major, entry.minor)).map(|entry| entry.count).sum();
            if count > 0 {
                let total = counts.entry(coarser(*cell, zoom)).or_default();
                *total = total.saturating_add(count);
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartCode;
    use geo::{LineString, Point, Polygon};

    fn part(code: &str, geometry: PartGeometry) -> Part {
        Part::bare(PartCode::parse(code).expect("code"), geometry)
    }

    #[test]
    fn coarser_cells_sum_the_stored_ones_as_counting_at_that_zoom_would() {
        let lamp = |i: u32| {
            let lon = 118.30 + f64::from(i % 97) * 0.0004;
            let lat = 29.80 + f64::from(i / 97) * 0.0003;
            part(&format!("341004011800{i:04}"), PartGeometry::Point(Point::new(lon, lat)))
        };
        let pipe = part("3410040102000001", PartGeometry::Line(LineString::from(vec![(118.30, 29.80), (118.31, 29.81), (118.32, 29.80)])));
        let park = part(
            "3410040401000001",
            PartGeometry::Polygon(Polygon::new(LineString::from(vec![(118.33, 29.82), (118.34, 29.82), (118.34, 29.83)]), vec![])),
        );
        let mut parts: Vec<Part> = (0..2000).map(lamp).collect();
        parts.extend([pipe, park]);
        let cells = PartCells::from_parts(&parts);
        assert_eq!(cells.kind_counts(), [2000, 1, 1]);
        assert_eq!(cells.class_counts().into_iter().collect::<Vec<_>>(), [("0102".into(), 1), ("0118".into(), 2000), ("0401".into(), 1)]);
        for zoom in [6, 11, 14, 16] {
            // Counting each part's anchor straight into the zoom's cells.
            let size = cell_size(zoom);
            let mut direct: HashMap<(i64, i64), u32> = HashMap::new();
            for part in parts.iter().filter(|part| part.code.major() != 4) {
                let anchor = crate::spatial::anchor_of(part);
                let [x, y] = mercator_from_lonlat(anchor.x(), anchor.y());
                *direct.entry(((x / size).floor() as i64, (y / size).floor() as i64)).or_default() += 1;
            }
            assert_eq!(cells.density(zoom, |major, _| major != 4), direct, "zoom {zoom}");
        }
    }

    #[test]
    fn a_cell_round_trips_through_its_blob_and_a_bad_blob_is_named() {
        let counts = vec![ClassCount { major: 1, minor: 18, kind: 0, count: 70_000 }, ClassCount { major: 4, minor: 1, kind: 2, count: 3 }];
        assert_eq!(decode(&encode(&counts)), Ok(counts.clone()));
        assert!(decode(&encode(&counts)[..10]).expect_err("cut").contains("10 bytes"));
        let mut bad = encode(&counts);
        bad[2] = 7;
        assert!(decode(&bad).expect_err("kind").contains("geometry kind 7"));
        // Merging a stored row into new counts adds class by class.
        let mut cells = PartCells::default();
        cells.merge_cell((5, 6), &counts);
        cells.merge_cell((5, 6), &counts[..1]);
        assert_eq!(cells.kind_counts(), [140_000, 0, 3]);
    }
}
