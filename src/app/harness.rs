//! The kittest harness running the real app (tests, `citygrid screenshot`, the soak bench):
//! built only with the `dev-tools` feature, so the product binary carries neither the harness
//! nor egui_kittest.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use chrono::NaiveDateTime;

use crate::map::basemap::Basemap;
use crate::map::scene::MapScene;
use crate::model::Lang;
use crate::session::{Command, Selection};
use crate::ui;

use super::{CitygridApp, Phase};

/// Builds a kittest harness running the real app on `db_path` (tests, screenshots). The app
/// starts loading at once; see [`wait_until_loaded`].
#[must_use]
pub fn harness(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
) -> egui_kittest::Harness<'static, CitygridApp> {
    harness_at(crate::session::Location::File(db_path.to_owned()), basemap, size, lang, now)
}

/// [`harness`] on a file or a server (a server seat shows its sign-in before reading anything).
#[must_use]
pub fn harness_at(
    location: crate::session::Location,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
) -> egui_kittest::Harness<'static, CitygridApp> {
    let basemap = basemap.map(Path::to_owned);
    #[allow(clippy::cast_precision_loss)]
    let size = egui::vec2(size[0] as f32, size[1] as f32);
    egui_kittest::Harness::builder()
        .with_size(size)
        .with_max_steps(10_000)
        .with_context_setup(ui::fonts::install_fonts)
        .wgpu()
        .build_eframe(move |cc| {
            // Tests and screenshots get exactly the basemap they ask for.
            let mut app = CitygridApp::new(cc, location.clone(), basemap, false);
            app.set_lang(lang);
            if let Some(now) = now {
                app.set_clock(now);
            }
            app
        })
}

/// Steps the harness until the world is loaded, then a few frames more so the layout settles.
///
/// # Errors
/// Loading failed, or took longer than `timeout`.
pub fn wait_until_loaded(harness: &mut egui_kittest::Harness<'static, CitygridApp>, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        harness.step();
        if harness.state().world().is_some() {
            break;
        }
        if let Some(message) = harness.state().failure() {
            bail!("{message}");
        }
        if started.elapsed() > timeout {
            bail!("the database did not load within {} s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(4);
    Ok(())
}

/// Steps the harness until the basemap has no tile in flight and the map scene has drawn
/// everything it wants (two quiet frames in a row).
pub fn wait_for_tiles(harness: &mut egui_kittest::Harness<'static, CitygridApp>, timeout: Duration) {
    let started = Instant::now();
    let mut quiet_frames = 0;
    while quiet_frames < 2 && started.elapsed() < timeout {
        harness.step();
        let tiles_idle = harness.state().basemap().is_none_or(|basemap| basemap.is_err() || basemap.is_ok_and(Basemap::is_idle));
        let scene_settled = harness.state().scene().is_none_or(MapScene::is_settled);
        let idle = tiles_idle && scene_settled;
        quiet_frames = if idle { quiet_frames + 1 } else { 0 };
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`harness`] and [`wait_until_loaded`] in one, signed in as the demo dispatcher.
///
/// # Errors
/// Loading failed or took longer than `timeout`, or the sign-in failed.
pub fn harness_for(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
    timeout: Duration,
) -> Result<egui_kittest::Harness<'static, CitygridApp>> {
    harness_as(db_path, basemap, size, lang, now, timeout, DEMO_DISPATCHER, crate::demo::DEMO_PASSWORD)
}

/// [`harness`] and [`wait_until_loaded`], then signed in as `login`.
///
/// # Errors
/// Loading failed or took longer than `timeout`, or the sign-in failed.
#[allow(clippy::too_many_arguments)]
pub fn harness_as(
    db_path: &Path,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
    timeout: Duration,
    login: &str,
    password: &str,
) -> Result<egui_kittest::Harness<'static, CitygridApp>> {
    harness_signed_in(crate::session::Location::File(db_path.to_owned()), basemap, size, lang, now, timeout, login, password)
}

/// [`harness_as`] on a file or a server: a seat on a server signs in first, and its sign-in
/// is the connection that reads the district.
///
/// # Errors
/// Loading failed or took longer than `timeout`, or the sign-in failed.
#[allow(clippy::too_many_arguments)]
pub fn harness_signed_in(
    location: crate::session::Location,
    basemap: Option<&Path>,
    size: [u32; 2],
    lang: Lang,
    now: Option<NaiveDateTime>,
    timeout: Duration,
    login: &str,
    password: &str,
) -> Result<egui_kittest::Harness<'static, CitygridApp>> {
    let connect_first = location.needs_account();
    let mut harness = harness_at(location, basemap, size, lang, now);
    if connect_first {
        harness.run_steps(2);
    } else {
        wait_until_loaded(&mut harness, timeout)?;
    }
    harness.state_mut().sign_in_blocking(login, password, timeout).with_context(|| format!("signing in as {login}"))?;
    harness.run_steps(4);
    Ok(harness)
}

/// Renders a view of the real app offscreen to a PNG.
///
/// # Errors
/// Unknown view or language, loading failure, rendering failure, or the PNG cannot be written.
#[allow(clippy::too_many_arguments)]
pub fn screenshot(
    db_path: &Path,
    basemap: Option<&Path>,
    view: &str,
    size: [u32; 2],
    lang: &str,
    center: Option<(f64, f64, f64)>,
    now: Option<NaiveDateTime>,
    out: &Path,
) -> Result<()> {
    if !matches!(view, "map" | "desk" | "wall") {
        bail!("unknown view {view:?}; available views: map, desk (the most pressing case selected, its steps and timeline), wall");
    }
    let lang = Lang::from_code(lang).with_context(|| format!("unknown language {lang:?}; use zh or en"))?;
    if !db_path.exists() {
        bail!("{}: no such database (create one with `citygrid demo --out …`)", db_path.display());
    }
    let mut harness = if view == "wall" {
        // The wall needs no sign-in.
        let mut harness = harness(db_path, basemap, size, lang, now);
        harness.state_mut().set_wall(false);
        wait_until_loaded(&mut harness, Duration::from_secs(300))?;
        harness
    } else {
        harness_for(db_path, basemap, size, lang, now, Duration::from_secs(300))?
    };
    if view != "wall" && size[1] >= 1440 {
        // A desk on a HiDPI display is scaled by the desktop (200 % at 2160 lines), as the
        // wall scales itself: the same layout, sharper.
        #[allow(clippy::cast_precision_loss)]
        harness.ctx.set_zoom_factor((size[1] as f32 / 1080.0).floor());
        // Panels sized on the first frames (at 100 %) start over at the new scale.
        harness.ctx.data_mut(egui::util::IdTypeMap::clear);
        harness.run_steps(4);
    }
    if basemap.is_some() {
        harness.state_mut().wait_for_basemap(Duration::from_secs(60));
    }
    if let Some((lon, lat, zoom)) = center {
        harness.state_mut().apply(Command::CenterAt { lon, lat, zoom });
        harness.run_steps(4);
    }
    if view == "desk" {
        // The case at the top of the list: the most pressing open one.
        let app = harness.state_mut();
        let now = app.now();
        let first = {
            let world = match &app.phase {
                Phase::Ready(world) => Arc::clone(world),
                _ => bail!("the database is not loaded"),
            };
            let mut desk = ui::desk::DeskState::new();
            desk.user.clone_from(&app.desk.user);
            desk.rows(&world, &app.book, lang, now).first().copied()
        };
        if let Some(position) = first {
            app.apply(Command::Select(Some(Selection::Case(position))));
            if center.is_none() {
                app.apply(Command::ZoomToSelection);
            }
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30)
            && harness.state().desk.timeline.as_ref().is_none_or(|(_, _, timeline)| timeline.as_ref().is_ok_and(|t| t.events.is_empty()))
        {
            harness.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        harness.run_steps(4);
    }
    wait_for_tiles(&mut harness, Duration::from_secs(120));
    let image = harness.render().map_err(|error| anyhow::anyhow!("rendering failed: {error}"))?;
    image.save(out).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({}×{})", out.display(), image.width(), image.height());
    Ok(())
}

/// The demo account [`harness_for`] signs in with: a dispatcher.
pub const DEMO_DISPATCHER: &str = "dispatch1";

impl CitygridApp {
    /// Signs in and waits for the answer (tests, screenshots). The UI sends the same request
    /// from the sign-in form without waiting.
    ///
    /// # Errors
    /// Wrong credentials, an unloaded database, or no answer within `timeout`.
    pub fn sign_in_blocking(&mut self, login: &str, password: &str, timeout: Duration) -> Result<()> {
        self.apply(Command::SignIn { login: login.to_owned(), password: password.to_owned() });
        let started = Instant::now();
        while self.desk.sign_in.busy && started.elapsed() < timeout {
            // On a server the sign-in is the connection: the district is read first.
            self.poll_loader();
            match &self.worker {
                Some(worker) => {
                    if let Some(reply) = worker.wait_reply(Duration::from_millis(50)) {
                        self.handle_reply(reply);
                    }
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        match (&self.desk.user, &self.desk.sign_in.error) {
            (Some(_), _) => Ok(()),
            (None, Some(error)) => bail!("{error}"),
            (None, None) => bail!("no answer to the sign-in within {} s", timeout.as_secs()),
        }
    }

    /// Waits until the step or report sent last is answered (tests).
    pub fn wait_for_desk(&mut self, timeout: Duration) {
        let started = Instant::now();
        while self.desk.pending.is_some() && started.elapsed() < timeout {
            if let Some(reply) = self.worker.as_ref().and_then(|worker| worker.wait_reply(Duration::from_millis(50))) {
                self.handle_reply(reply);
            }
        }
    }
}
