//! What the schematic demo basemap (`citygrid basemap build`) is drawn from, read out of a
//! citygrid database.

use anyhow::{Context as _, Result};

use crate::map::basemap_build::{BasemapInput, BasemapPlan};
use crate::store::Store;

/// Reads what the demo basemap is drawn from out of a citygrid database: the districts (the
/// managed one marked), townships, streets, green spaces and the shipped rivers, and the
/// zoom plan (the region to `region_max_zoom`, the streets' extent to `core_max_zoom`).
///
/// # Errors
/// The database cannot be read, or has no districts.
pub fn basemap_input(path: &std::path::Path, region_max_zoom: u8, core_max_zoom: u8) -> Result<(BasemapInput, BasemapPlan)> {
    use crate::model::{JurisdictionKind, PartGeometry};
    use geo::BoundingRect;
    let store = Store::open(path)?;
    let managed = store.meta("district_code")?.unwrap_or_default();
    let jurisdictions = store.load_jurisdictions()?;
    let mut input = BasemapInput::default();
    for jurisdiction in jurisdictions {
        match jurisdiction.kind {
            JurisdictionKind::District => {
                let is_managed = jurisdiction.code == managed;
                input.districts.push((jurisdiction.name, jurisdiction.geometry, is_managed));
            }
            JurisdictionKind::Township => input.townships.push((jurisdiction.name, jurisdiction.geometry)),
            _ => {}
        }
    }
    input.streets = store.load_streets()?.into_iter().map(|street| (street.line, street.class == "main", street.name)).collect();
    input.greens = store
        .load_parts()?
        .into_iter()
        .filter(|part| part.code.class_code() == "0405")
        .filter_map(|part| match part.geometry {
            PartGeometry::Polygon(polygon) => Some(polygon),
            _ => None,
        })
        .collect();
    input.rivers = super::river_lines()?;
    let bounds = |rects: Vec<geo::Rect<f64>>| {
        rects.into_iter().reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    };
    let region = bounds(input.districts.iter().filter_map(|(_, shape, _)| shape.bounding_rect()).collect())
        .context("the database has no districts")?;
    let core = bounds(input.streets.iter().filter_map(|(line, _, _)| line.bounding_rect()).collect()).unwrap_or(region);
    let plan = BasemapPlan {
        min_zoom: 7,
        region_max_zoom,
        region: [region.min().x, region.min().y, region.max().x, region.max().y],
        core_max_zoom,
        core: [core.min().x - 0.002, core.min().y - 0.002, core.max().x + 0.002, core.max().y + 0.002],
    };
    Ok((input, plan))
}
