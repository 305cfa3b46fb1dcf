//! The video wall (大屏): read-only, no sign-in, full screen; moves through focus areas on a
//! cycle and fits all open cases at first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::model::JurisdictionKind;
use crate::session::{Command, LayerVisibility, World};
use crate::ui;

use super::basemap_slot::ActiveBasemap;
use super::{CitygridApp, Phase};

/// The wall's own state between frames.
#[derive(Debug)]
pub(super) struct WallState {
    /// Move through focus areas (the district, each township, the hot spot) every [`WALL_CYCLE`].
    cycle: bool,
    /// When (on the app's clock) the wall last moved: an accelerated clock cycles it too.
    last_move: Option<NaiveDateTime>,
    next_focus: usize,
    /// The first view (all open cases in sight) has been set.
    fitted: bool,
}

/// The zoom at which a lon/lat box fills a map of `size` points, less a margin.
fn zoom_to_fit(min: [f64; 2], max: [f64; 2], size: egui::Vec2) -> f64 {
    let a = crate::map::mercator_from_lonlat(min[0], min[1]);
    let b = crate::map::mercator_from_lonlat(max[0], max[1]);
    let (dx, dy) = ((a[0] - b[0]).abs().max(1e-9), (a[1] - b[1]).abs().max(1e-9));
    let fit = (f64::from(size.x) / (dx * 256.0)).min(f64::from(size.y) / (dy * 256.0));
    (fit.log2() - 0.4).clamp(10.0, 17.0)
}

/// How often the wall moves to its next focus area.
pub const WALL_CYCLE: Duration = Duration::from_secs(60);

impl CitygridApp {
    /// Turns the video-wall mode on: read-only, no sign-in, the whole district on a large map
    /// with today's figures; `cycle` moves through focus areas every minute.
    pub fn set_wall(&mut self, cycle: bool) {
        self.wall = Some(WallState { cycle, last_move: None, next_focus: 0, fitted: false });
    }

    /// Whether the app runs as the video wall.
    #[must_use]
    pub fn is_wall(&self) -> bool {
        self.wall.is_some()
    }

    /// Where the wall looks next: the district, each of its townships, then the grid cell with
    /// the most open cases (the hot spot).
    pub(super) fn wall_focus(&self, index: usize) -> Option<(f64, f64, f64)> {
        let Phase::Ready(world) = &self.phase else { return None };
        let centre_of = |geometry: &geo::MultiPolygon<f64>| geo::BoundingRect::bounding_rect(geometry).map(|rect| rect.center());
        let mut focus: Vec<(f64, f64, f64)> = Vec::new();
        if let Some(district) = world.jurisdictions.iter().find(|j| j.kind == JurisdictionKind::District && j.code == world.district_code)
            && let Some(centre) = centre_of(&district.geometry)
        {
            focus.push((centre.x, centre.y, 11.0));
        }
        for township in world.jurisdictions.iter().filter(|j| j.kind == JurisdictionKind::Township) {
            if let Some(centre) = centre_of(&township.geometry) {
                focus.push((centre.x, centre.y, 13.0));
            }
        }
        let mut open_by_cell: HashMap<u64, (usize, f64, f64)> = HashMap::new();
        for case in self.book.cases().iter().filter(|case| case.state.is_open()) {
            if let Some(cell) = case.grid_code {
                let entry = open_by_cell.entry(cell).or_insert((0, case.location.x(), case.location.y()));
                entry.0 += 1;
            }
        }
        if let Some((_, (_, lon, lat))) = open_by_cell.into_iter().max_by_key(|(cell, (count, _, _))| (*count, std::cmp::Reverse(*cell))) {
            focus.push((lon, lat, 16.0));
        }
        (!focus.is_empty()).then(|| focus[index % focus.len()])
    }

    pub(super) fn wall_ui(&mut self, ui: &mut egui::Ui, world: &Arc<World>, now: NaiveDateTime) {
        let lang = self.settings.lang;
        // Laid out for 1080 lines and scaled with the display.
        let ctx = ui.ctx().clone();
        let pixels = ctx.content_rect().size() * ctx.pixels_per_point();
        let native = ctx.native_pixels_per_point().unwrap_or(1.0);
        let zoom = ui::wall::wall_zoom(pixels) / native;
        if (ctx.zoom_factor() - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(zoom);
        }
        ctx.set_visuals(egui::Visuals::dark());
        // First view: every open case in sight.
        if let Some(map) = ui::map_view::last_map_rect(&ctx)
            && self.wall.as_ref().is_some_and(|wall| !wall.fitted)
        {
            let open: Vec<[f64; 2]> =
                self.book.cases().iter().filter(|case| case.state.is_open()).map(|case| [case.location.x(), case.location.y()]).collect();
            if !open.is_empty() {
                let min = open.iter().fold([f64::MAX, f64::MAX], |min, p| [min[0].min(p[0]), min[1].min(p[1])]);
                let max = open.iter().fold([f64::MIN, f64::MIN], |max, p| [max[0].max(p[0]), max[1].max(p[1])]);
                let zoom = zoom_to_fit(min, max, map.size());
                self.apply(Command::CenterAt { lon: (min[0] + max[0]) / 2.0, lat: (min[1] + max[1]) / 2.0, zoom });
            }
            if let Some(wall) = &mut self.wall {
                wall.fitted = true;
            }
        }
        if let Some(wall) = &mut self.wall
            && wall.cycle
            && wall.last_move.get_or_insert(now).and_utc() + WALL_CYCLE <= now.and_utc()
        {
            wall.last_move = Some(now);
            wall.next_focus += 1;
            let index = wall.next_focus;
            if let Some((lon, lat, zoom)) = self.wall_focus(index) {
                self.apply(Command::CenterAt { lon, lat, zoom });
            }
        }
        ui::wall::wall_panels_ui(ui, ui::View { world, cases: &self.book, lang, now }, self.desk.unavailable_since);
        let layers = LayerVisibility { parts: false, grid: false, communities: true, ..LayerVisibility::default() };
        let (tiles, basemap_attribution): (Option<&mut dyn walkers::Tiles>, Option<String>) = match &mut self.basemap {
            Some(ActiveBasemap { tiles, .. }) => {
                let attribution = tiles.info().attribution_for(lang == crate::model::Lang::En).to_owned();
                (Some(tiles), Some(attribution))
            }
            None => (None, None),
        };
        let view = ui::map_view::MapView {
            world,
            cases: &self.book,
            placing: false,
            dispute: None,
            topology: None,
            layers: &layers,
            selection: None,
            lang,
            now,
            basemap_attribution: basemap_attribution.as_deref(),
            painter_part_limit: super::PAINTER_PART_LIMIT,
            painter_parts_min_zoom: ui::map_view::PART_MIN_ZOOM,
            wall: true,
        };
        // The wall is not clicked; whatever the map reports is dropped.
        let _ = view.show(ui, &mut self.map_memory, tiles, self.scene.as_mut());
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    }
}
