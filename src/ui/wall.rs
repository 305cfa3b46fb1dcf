//! The video wall (大屏): an unattended, full-screen, read-only view of the district. A large
//! live map with every open case coloured by its warning light, tiles with today's figures, a
//! ticker of newly overdue cases, the unit league table and the clock; it follows the database
//! as other seats change it and says so plainly when its data is stale.
//!
//! Laid out for 1920×1080 and up: the app scales the whole wall by the display's height, so a
//! 3840×2160 wall shows the same layout twice as sharp and a spanned 7680×2160 wall gets a
//! wider map.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use egui::{Color32, RichText};

use crate::desk::{CaseBook, Queue};
use crate::model::{CaseState, CloseType, Labelled, UnitId};
use crate::ui::Lang;
use crate::ui::View;
use crate::ui::design_tokens as tokens;
use crate::workflow::ClockState;

/// Today's figures on the wall.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WallFigures {
    pub reported_today: usize,
    pub dispatched_today: usize,
    pub closed_today: usize,
    /// Open cases whose clock runs past the deadline now.
    pub overdue_now: usize,
    /// Closed today on time ÷ closed today (normal and overdue closes), `None` before the
    /// first close of the day.
    pub on_time_rate_today: Option<f64>,
    pub open_now: usize,
    /// Open cases late in the stage they wait in (filing, dispatch, signing, verification,
    /// close): the centre's own clocks and the unit's signing.
    pub stage_late_now: usize,
    /// Open cases the centre urged (催办) or supervises (督办) on their current dispatch.
    pub urged_now: usize,
}

/// A row of the league table: one unit this month.
#[derive(Debug, Clone, PartialEq)]
pub struct LeagueRow {
    pub unit: UnitId,
    pub open: usize,
    pub overdue: usize,
    pub closed_this_month: usize,
    pub on_time_this_month: usize,
}

impl LeagueRow {
    /// On-time closure rate this month, `None` before the unit's first close.
    #[must_use]
    pub fn rate(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        (self.closed_this_month > 0).then(|| self.on_time_this_month as f64 / self.closed_this_month as f64)
    }
}

/// A case that went overdue recently, for the ticker.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueItem {
    pub position: usize,
    pub deadline_at: NaiveDateTime,
}

fn on(time: Option<NaiveDateTime>, day: NaiveDate) -> bool {
    time.is_some_and(|time| time.date() == day)
}

/// Today's figures at `now`.
#[must_use]
pub fn figures(book: &CaseBook, now: NaiveDateTime) -> WallFigures {
    let today = now.date();
    let mut figures = WallFigures::default();
    let (mut closed_counted, mut closed_on_time) = (0usize, 0usize);
    for case in book.cases() {
        figures.reported_today += usize::from(case.reported_at.date() == today);
        figures.dispatched_today += usize::from(on(case.dispatched_at, today));
        if case.state == CaseState::Closed && on(case.closed_at, today) {
            figures.closed_today += 1;
            match case.close_type {
                Some(CloseType::Normal) => {
                    closed_counted += 1;
                    closed_on_time += 1;
                }
                Some(CloseType::Overdue) => closed_counted += 1,
                _ => {}
            }
        }
        figures.urged_now += usize::from(case.state.is_open() && (case.urge_count > 0 || case.supervised_at.is_some()));
    }
    // The desk's counters by the same filters, so the two agree.
    figures.open_now = book.count(&Queue::Open.filter());
    figures.overdue_now = book.count(&Queue::OverdueNow.filter());
    figures.stage_late_now = book.count(&Queue::StageLate.filter());
    #[allow(clippy::cast_precision_loss)]
    {
        figures.on_time_rate_today = (closed_counted > 0).then(|| closed_on_time as f64 / closed_counted as f64);
    }
    figures
}

/// The units with cases this month or open now, best on-time rate first (units without a close
/// this month last, by open cases).
#[must_use]
pub fn league(book: &CaseBook, now: NaiveDateTime) -> Vec<LeagueRow> {
    let month_start = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or(now.date());
    let mut rows: HashMap<UnitId, LeagueRow> = HashMap::new();
    for (position, case) in book.cases().iter().enumerate() {
        let Some(unit) = case.unit else { continue };
        let row = rows.entry(unit).or_insert(LeagueRow { unit, open: 0, overdue: 0, closed_this_month: 0, on_time_this_month: 0 });
        if case.state.is_open() && !case.state.is_paused() {
            row.open += 1;
        }
        if book.live_light(position) == Some(crate::calendar::DeadlineLight::Red) {
            row.overdue += 1;
        }
        if case.state == CaseState::Closed
            && case.closed_at.is_some_and(|at| at.date() >= month_start && at <= now)
            && matches!(case.close_type, Some(CloseType::Normal | CloseType::Overdue))
        {
            row.closed_this_month += 1;
            row.on_time_this_month += usize::from(case.close_type == Some(CloseType::Normal));
        }
    }
    let mut rows: Vec<LeagueRow> = rows.into_values().filter(|row| row.open > 0 || row.closed_this_month > 0).collect();
    rows.sort_by(|a, b| {
        b.rate()
            .unwrap_or(-1.0)
            .total_cmp(&a.rate().unwrap_or(-1.0))
            .then(b.closed_this_month.cmp(&a.closed_this_month))
            .then(a.overdue.cmp(&b.overdue))
            .then(a.unit.0.cmp(&b.unit.0))
    });
    rows
}

/// Cases whose clock runs and whose deadline passed within the last `within`, newest first.
#[must_use]
pub fn newly_overdue(book: &CaseBook, now: NaiveDateTime, within: TimeDelta) -> Vec<OverdueItem> {
    let since = now - within;
    let mut items: Vec<OverdueItem> = (0..book.len())
        .filter_map(|position| {
            let status = book.status(position)?;
            let deadline_at = status.deadline_at?;
            (status.clock == ClockState::Running && deadline_at <= now && deadline_at > since)
                .then_some(OverdueItem { position, deadline_at })
        })
        .collect();
    items.sort_by(|a, b| b.deadline_at.cmp(&a.deadline_at).then(a.position.cmp(&b.position)));
    items
}

/// A community with open cases, for the wall's hot spots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotSpot {
    pub name: String,
    pub open: usize,
    pub overdue: usize,
}

/// The communities with the most open cases now (by the grid cell each case lies in), most
/// first, with how many of them are overdue.
#[must_use]
pub fn hot_spots(world: &crate::session::World, book: &CaseBook) -> Vec<HotSpot> {
    use crate::model::JurisdictionKind;
    let community_of: HashMap<&str, &str> = world
        .jurisdictions
        .iter()
        .filter(|jurisdiction| jurisdiction.kind == JurisdictionKind::GridCell)
        .filter_map(|cell| Some((cell.code.as_str(), cell.parent_code.as_deref()?)))
        .collect();
    let name_of: HashMap<&str, &str> = world
        .jurisdictions
        .iter()
        .filter(|jurisdiction| jurisdiction.kind == JurisdictionKind::Community)
        .map(|community| (community.code.as_str(), community.name.as_str()))
        .collect();
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (position, case) in book.cases().iter().enumerate() {
        if !case.state.is_open() {
            continue;
        }
        let Some(cell) = case.grid_code.map(|code| code.to_string()) else { continue };
        let Some(name) = community_of.get(cell.as_str()).and_then(|community| name_of.get(community)) else { continue };
        let entry = counts.entry(name).or_default();
        entry.0 += 1;
        entry.1 += usize::from(book.live_light(position) == Some(crate::calendar::DeadlineLight::Red));
    }
    let mut spots: Vec<HotSpot> =
        counts.into_iter().map(|(name, (open, overdue))| HotSpot { name: short_area_name(name), open, overdue }).collect();
    spots.sort_by(|a, b| b.open.cmp(&a.open).then(b.overdue.cmp(&a.overdue)).then(a.name.cmp(&b.name)));
    spots
}

/// A community's name without its committee suffix (居委会, 村委会 → 村), as the map labels it.
fn short_area_name(name: &str) -> String {
    name.replace("居委会", "").replace("村委会", "村")
}

/// A unit's name short enough for a wall row and still told apart from its neighbours: the
/// English name without its parenthesis ("Sanitation section (urban management)"), cut at 24
/// characters; the Chinese at 11.
#[must_use]
pub fn short_unit_name(name: &str, chinese: bool) -> String {
    let name = if chinese { name } else { name.split(" (").next().unwrap_or(name) };
    let limit = if chinese { 11 } else { 24 };
    if name.chars().count() > limit { name.chars().take(limit - 1).chain(std::iter::once('…')).collect() } else { name.to_owned() }
}

/// Colours of the wall (dark, high contrast, readable across a room).
const WALL_BG: Color32 = Color32::from_rgb(0x0B, 0x14, 0x22);
const TILE_BG: Color32 = Color32::from_rgb(0x14, 0x22, 0x38);
const TILE_LABEL: Color32 = Color32::from_rgb(0x9F, 0xB3, 0xCC);
const TILE_VALUE: Color32 = Color32::from_rgb(0xF2, 0xF6, 0xFB);
const STALE: Color32 = Color32::from_rgb(0xE0, 0x8A, 0x00);

fn tile(ui: &mut egui::Ui, label: &str, value: &str, accent: Color32, width: f32) {
    egui::Frame::new().fill(TILE_BG).corner_radius(6.0).inner_margin(egui::Margin::symmetric(14, 10)).show(ui, |ui| {
        ui.set_width(width);
        ui.vertical(|ui| {
            ui.label(RichText::new(label).size(18.0).color(TILE_LABEL));
            ui.label(RichText::new(value).size(44.0).strong().color(accent));
        });
    });
}

/// What the colours of the cases on the map mean.
fn legend_ui(ui: &mut egui::Ui, lang: Lang) {
    use crate::calendar::DeadlineLight;
    ui.horizontal(|ui| {
        for (color, zh, en) in [
            (tokens::case_color(Some(DeadlineLight::Green)), "按期处置中", "in time"),
            (tokens::case_color(Some(DeadlineLight::Yellow)), "临近时限", "deadline near"),
            (tokens::case_color(Some(DeadlineLight::Red)), "已超期", "overdue"),
            (tokens::CASE_PAUSED, "缓办、挂账", "deferred, backlog"),
            (tokens::case_color(None), "待派遣、待核查", "to dispatch, to verify"),
        ] {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 22.0), egui::Sense::hover());
            ui.painter().circle_filled(rect.center(), 9.0, color);
            ui.label(RichText::new(lang.pick(zh, en)).size(20.0).color(TILE_LABEL));
            ui.add_space(14.0);
        }
    });
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

/// What the wall shows around the map: the header, the figures, the league table and the
/// ticker. `stale_since` is when the data stopped updating, if it has.
pub fn wall_panels_ui(ui: &mut egui::Ui, view: View<'_>, stale_since: Option<NaiveDateTime>) {
    let View { world, cases: book, lang, now } = view;
    let figures = figures(book, now);
    egui::Panel::top("wall_header").frame(egui::Frame::new().fill(WALL_BG).inner_margin(egui::Margin::symmetric(20, 10))).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("{}{}", world.district_name, lang.pick("数字城管指挥中心", " city management command centre")))
                    .size(30.0)
                    .strong()
                    .color(TILE_VALUE),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(RichText::new(now.format("%H:%M:%S").to_string()).size(34.0).monospace().color(TILE_VALUE));
                let weekday = match lang {
                    Lang::Zh => ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"],
                    Lang::En => ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
                };
                let day = weekday[now.weekday().num_days_from_monday() as usize];
                let working = if world.calendar.is_working_minute(now) {
                    lang.pick("工作时间", "working time")
                } else {
                    lang.pick("非工作时间", "outside working time")
                };
                ui.label(RichText::new(format!("{}  {day}  {working}", now.format("%Y-%m-%d"))).size(20.0).color(TILE_LABEL));
            });
        });
        legend_ui(ui, lang);
        if let Some(since) = stale_since {
            ui.label(
                RichText::new(format!(
                    "{} {} {}",
                    lang.pick("数据更新中断：显示的是", "Data not updating: showing the data of"),
                    since.format("%H:%M:%S"),
                    lang.pick("的数据，正在自动重连", "— reconnecting by itself")
                ))
                .size(22.0)
                .strong()
                .color(STALE),
            );
        }
    });
    let side_width = 520.0;
    egui::Panel::right("wall_side").exact_size(side_width).frame(egui::Frame::new().fill(WALL_BG).inner_margin(12.0)).show(ui, |ui| {
        let tile_width = (side_width - 24.0 - 12.0) / 2.0 - 28.0;
        egui::Grid::new("wall_tiles").spacing([12.0, 12.0]).show(ui, |ui| {
            tile(ui, lang.pick("今日上报", "Reported today"), &figures.reported_today.to_string(), TILE_VALUE, tile_width);
            tile(ui, lang.pick("今日派遣", "Dispatched today"), &figures.dispatched_today.to_string(), TILE_VALUE, tile_width);
            ui.end_row();
            tile(
                ui,
                lang.pick("今日结案", "Closed today"),
                &figures.closed_today.to_string(),
                tokens::case_color(Some(crate::calendar::DeadlineLight::Green)),
                tile_width,
            );
            tile(
                ui,
                lang.pick("当前超期", "Overdue now"),
                &figures.overdue_now.to_string(),
                tokens::case_color(Some(crate::calendar::DeadlineLight::Red)),
                tile_width,
            );
            ui.end_row();
            tile(ui, lang.pick("今日按期结案率", "On time today"), &percent(figures.on_time_rate_today), TILE_VALUE, tile_width);
            tile(ui, lang.pick("在办案卷", "Open cases"), &figures.open_now.to_string(), TILE_VALUE, tile_width);
            ui.end_row();
            let late_color =
                if figures.stage_late_now > 0 { tokens::case_color(Some(crate::calendar::DeadlineLight::Red)) } else { TILE_VALUE };
            tile(ui, lang.pick("环节超时", "Stage late"), &figures.stage_late_now.to_string(), late_color, tile_width);
            let urged_color =
                if figures.urged_now > 0 { tokens::case_color(Some(crate::calendar::DeadlineLight::Yellow)) } else { TILE_VALUE };
            tile(ui, lang.pick("催办督办", "Urged"), &figures.urged_now.to_string(), urged_color, tile_width);
            ui.end_row();
        });
        ui.add_space(14.0);
        ui.label(
            RichText::new(lang.pick("本月单位按期结案率排名", "Units by on-time closure this month")).size(22.0).strong().color(TILE_VALUE),
        );
        ui.add_space(4.0);
        let league = league(book, now);
        egui::Grid::new("wall_league").num_columns(5).spacing([14.0, 6.0]).striped(true).show(ui, |ui| {
            for header in [
                lang.pick("名次", "#"),
                lang.pick("单位", "Unit"),
                lang.pick("在办", "Open"),
                lang.pick("超期", "Overdue"),
                lang.pick("按期率", "On time"),
            ] {
                ui.label(RichText::new(header).size(17.0).color(TILE_LABEL));
            }
            ui.end_row();
            for (rank, row) in league.iter().take(10).enumerate() {
                ui.label(RichText::new((rank + 1).to_string()).size(18.0).color(TILE_LABEL));
                let name = short_unit_name(&world.unit_name(Some(row.unit), lang), lang.is_chinese());
                ui.label(RichText::new(name).size(18.0).color(TILE_VALUE));
                ui.label(RichText::new(row.open.to_string()).size(18.0).color(TILE_VALUE));
                let overdue_color =
                    if row.overdue > 0 { tokens::case_color(Some(crate::calendar::DeadlineLight::Red)) } else { TILE_VALUE };
                ui.label(RichText::new(row.overdue.to_string()).size(18.0).color(overdue_color));
                ui.label(RichText::new(percent(row.rate())).size(18.0).strong().color(TILE_VALUE));
                ui.end_row();
            }
        });
        // The rest of the column: where the cases gather, and what waits at the centre.
        let rows_left = ((ui.available_height() - 2.0 * 48.0) / 28.0).floor().max(0.0) as usize;
        let spots = hot_spots(world, book);
        let spot_rows = spots.len().min(5).min(rows_left / 2);
        if spot_rows > 0 {
            ui.add_space(14.0);
            ui.label(
                RichText::new(lang.pick("热点社区（在办案卷最多）", "Hot spots (most open cases)")).size(22.0).strong().color(TILE_VALUE),
            );
            egui::Grid::new("wall_hot_spots").num_columns(3).spacing([14.0, 6.0]).show(ui, |ui| {
                for spot in spots.iter().take(spot_rows) {
                    ui.label(RichText::new(&spot.name).size(18.0).color(TILE_VALUE));
                    ui.label(RichText::new(format!("{} {}", lang.pick("在办", "open"), spot.open)).size(18.0).color(TILE_VALUE));
                    let color = if spot.overdue > 0 { tokens::case_color(Some(crate::calendar::DeadlineLight::Red)) } else { TILE_LABEL };
                    ui.label(RichText::new(format!("{} {}", lang.pick("超期", "overdue"), spot.overdue)).size(18.0).color(color));
                    ui.end_row();
                }
            });
        }
        let waiting_rows = rows_left.saturating_sub(spot_rows).min(5);
        let waiting = book.select(
            &Queue::AtCentre.filter(),
            crate::desk::CaseSort { column: crate::desk::SortColumn::Urgency, descending: false },
            &|_| String::new(),
        );
        if waiting_rows > 0 {
            ui.add_space(14.0);
            ui.label(
                RichText::new(format!("{} {}", lang.pick("待中心处理", "Waiting at the centre:"), waiting.len()))
                    .size(22.0)
                    .strong()
                    .color(TILE_VALUE),
            );
            egui::Grid::new("wall_at_centre").num_columns(2).spacing([14.0, 6.0]).show(ui, |ui| {
                for position in waiting.iter().take(waiting_rows) {
                    let (Some(case), Some(status)) = (book.get(*position), book.status(*position)) else { continue };
                    let class = short_unit_name(&world.class_name(case.subject.item_kind(), &case.class_code, lang), lang.is_chinese());
                    ui.label(RichText::new(class).size(18.0).color(TILE_VALUE));
                    match status.stage {
                        Some(clock) => {
                            let color = tokens::case_color(Some(clock.light));
                            ui.label(RichText::new(crate::ui::desk::stage_text(&clock, lang)).size(18.0).color(color));
                        }
                        None => {
                            ui.label(RichText::new(case.state.label(lang)).size(18.0).color(TILE_LABEL));
                        }
                    }
                    ui.end_row();
                }
            });
        }
    });
    egui::Panel::bottom("wall_ticker").frame(egui::Frame::new().fill(WALL_BG).inner_margin(egui::Margin::symmetric(20, 8))).show(
        ui,
        |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(lang.pick("新近超期", "Newly overdue"))
                        .size(22.0)
                        .strong()
                        .color(tokens::case_color(Some(crate::calendar::DeadlineLight::Red))),
                );
                let items = newly_overdue(book, now, TimeDelta::hours(24));
                if items.is_empty() {
                    ui.label(
                        RichText::new(lang.pick("近 24 小时没有新超期案卷", "No case went overdue in the last 24 hours"))
                            .size(20.0)
                            .color(TILE_LABEL),
                    );
                } else {
                    ui.label(RichText::new(format!("{}", items.len())).size(22.0).strong().color(TILE_VALUE));
                    ui.separator();
                }
                // Pages through the list, as many whole items as the line holds, every 5
                // seconds.
                let per_page = ((ui.available_width() / 520.0).floor() as usize).max(1);
                let page = usize::try_from(now.and_utc().timestamp() / 5).unwrap_or(0);
                let start = if items.len() > per_page { (page * per_page) % items.len() } else { 0 };
                for item in items.iter().cycle().skip(start).take(items.len().min(per_page)) {
                    let Some(case) = book.get(item.position) else { continue };
                    let hours = (now - item.deadline_at).num_minutes() as f64 / 60.0;
                    let text = format!(
                        "{} {} · {} · {}{hours:.1}{}",
                        case.case_no,
                        short_unit_name(&world.class_name(case.subject.item_kind(), &case.class_code, lang), lang.is_chinese()),
                        short_unit_name(&world.unit_name(case.unit, lang), lang.is_chinese()),
                        lang.pick("超 ", "over by "),
                        lang.pick(" 小时", " h"),
                    );
                    let width = ui.painter().layout_no_wrap(text.clone(), egui::FontId::proportional(20.0), TILE_VALUE).size().x;
                    if width + 16.0 > ui.available_width() {
                        break;
                    }
                    ui.label(RichText::new(text).size(20.0).color(TILE_VALUE));
                    ui.separator();
                }
            });
        },
    );
}

/// The zoom factor that lays the wall out for a display of `pixels` (physical): 1 at 1080
/// lines, 2 at 2160, never below 1.
#[must_use]
pub fn wall_zoom(pixels: egui::Vec2) -> f32 {
    (pixels.y / 1080.0).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{LimitUnit, WorkCalendar};
    use crate::model::{Case, CaseSubject, SourceChannel, Urgency};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time")
    }

    fn case(id: i64, unit: i64, state: CaseState, dispatched: &str, deadline: &str, closed: Option<(&str, CloseType)>) -> Case {
        Case {
            id,
            unit: Some(UnitId(unit)),
            state,
            dispatched_at: Some(at(dispatched)),
            deadline_at: Some(at(deadline)),
            limit_unit: Some(LimitUnit::ClockHours),
            closed_at: closed.map(|(time, _)| at(time)),
            close_type: closed.map(|(_, close_type)| close_type),
            ..Case::reported(
                format!("C{id}"),
                SourceChannel::Collector,
                CaseSubject::Event,
                "0101".into(),
                Urgency::Normal,
                geo::Point::new(118.3, 29.8),
                at(dispatched),
            )
        }
    }

    /// Wednesday 2026-11-25, 10:00.
    fn now() -> NaiveDateTime {
        at("2026-11-25 10:00")
    }

    fn book() -> CaseBook {
        CaseBook::new(
            vec![
                // Unit 1: closed today on time, closed today late, overdue since 09:00 today.
                case(1, 1, CaseState::Closed, "2026-11-25 08:00", "2026-11-25 09:30", Some(("2026-11-25 09:00", CloseType::Normal))),
                case(2, 1, CaseState::Closed, "2026-11-24 08:00", "2026-11-24 12:00", Some(("2026-11-25 09:10", CloseType::Overdue))),
                case(3, 1, CaseState::Dispatched, "2026-11-25 08:00", "2026-11-25 09:00", None),
                // Unit 2: closed on time earlier this month, one running in time.
                case(4, 2, CaseState::Closed, "2026-11-02 08:00", "2026-11-03 08:00", Some(("2026-11-02 12:00", CloseType::Normal))),
                case(5, 2, CaseState::Dispatched, "2026-11-25 09:30", "2026-11-26 09:30", None),
                // Last month: not in this month's table; overdue for two days: not "newly".
                case(6, 3, CaseState::Closed, "2026-10-02 08:00", "2026-10-03 08:00", Some(("2026-10-02 12:00", CloseType::Normal))),
                case(7, 3, CaseState::Dispatched, "2026-11-20 08:00", "2026-11-23 08:00", None),
            ],
            &WorkCalendar::default(),
            now(),
        )
    }

    #[test]
    fn todays_figures_count_what_happened_today() {
        let figures = figures(&book(), now());
        assert_eq!(figures.dispatched_today, 3);
        assert_eq!(figures.reported_today, 3);
        assert_eq!(figures.closed_today, 2);
        assert_eq!(figures.on_time_rate_today, Some(0.5));
        assert_eq!(figures.overdue_now, 2);
        assert_eq!(figures.open_now, 3);
    }

    #[test]
    fn the_league_ranks_units_by_on_time_closure_this_month() {
        let league = league(&book(), now());
        let units: Vec<i64> = league.iter().map(|row| row.unit.0).collect();
        assert_eq!(units, vec![2, 1, 3], "100 %, then 50 %, then no close this month");
        assert_eq!(league[1].rate(), Some(0.5));
        assert_eq!((league[1].open, league[1].overdue), (1, 1));
        assert_eq!(league[2].rate(), None);
    }

    #[test]
    fn the_ticker_lists_only_cases_overdue_within_the_day() {
        let book = book();
        let items = newly_overdue(&book, now(), TimeDelta::hours(24));
        let ids: Vec<i64> = items.iter().map(|item| book.get(item.position).expect("case").id).collect();
        assert_eq!(ids, vec![3]);
    }

    #[test]
    fn the_wall_scales_with_the_display_height() {
        assert!((wall_zoom(egui::vec2(1920.0, 1080.0)) - 1.0).abs() < f32::EPSILON);
        assert!((wall_zoom(egui::vec2(3840.0, 2160.0)) - 2.0).abs() < f32::EPSILON);
        assert!((wall_zoom(egui::vec2(7680.0, 2160.0)) - 2.0).abs() < f32::EPSILON);
        assert!((wall_zoom(egui::vec2(1280.0, 720.0)) - 1.0).abs() < f32::EPSILON);
    }
}
