//! The basemap slot: the basemap on the map, the one being opened on its thread, the one
//! asked for that did not open and why; remembered in the settings once open.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::job::Job;
use crate::map::basemap::{Basemap, OFFLINE_WORKERS, ONLINE_WORKERS};
use crate::map::basemap_choice::BasemapChoice;
use crate::map::tile_sources::TileSource;
use crate::session::{BasemapProblem, RECENT_OFFLINE_LIMIT};
use crate::ui;

use super::CitygridApp;

/// An offline choice with its path made absolute: a relative path is taken from the working
/// directory now, not whenever the remembered choice is reopened. (No disk access.)
pub(super) fn absolute_choice(choice: BasemapChoice) -> BasemapChoice {
    match choice {
        BasemapChoice::Offline { path } => BasemapChoice::Offline { path: std::path::absolute(&path).unwrap_or(path) },
        other => other,
    }
}

/// The basemap on the map, with the choice it was opened from.
pub(super) struct ActiveBasemap {
    pub choice: BasemapChoice,
    pub tiles: Basemap,
}

/// Opens `choice` on a short-lived thread (a file's header is read, an HTTP client set up; no
/// tile is fetched). The app may ask for another basemap meanwhile; this one is dropped then.
fn spawn_basemap_opener(
    choice: BasemapChoice,
    tianditu_key: String,
    cache_dir: PathBuf,
    ctx: &egui::Context,
) -> std::io::Result<Job<(), OpenedBasemap>> {
    Job::spawn("citygrid-basemap-open", (), ui::repaint_notify(ctx), move |_| {
        choice.open(Some(&tianditu_key), &cache_dir).map_err(|error| error.to_string())
    })
}

/// A basemap being opened on its opener thread.
pub(super) struct OpeningBasemap {
    choice: BasemapChoice,
    job: Job<(), OpenedBasemap>,
}

/// The answer of a basemap opener thread: the source, or why it did not open.
type OpenedBasemap = Result<Arc<dyn TileSource>, String>;

impl CitygridApp {
    /// The basemap's state: the one on the map; else why the last one asked for did not open;
    /// `None` while none is configured or the first is still opening.
    #[must_use]
    pub fn basemap(&self) -> Option<Result<&Basemap, &str>> {
        match (&self.basemap, &self.basemap_problem) {
            (Some(active), _) => Some(Ok(&active.tiles)),
            (None, Some(problem)) => Some(Err(problem.message())),
            (None, None) => None,
        }
    }

    /// The choice the basemap on the map was opened from.
    #[must_use]
    pub fn basemap_choice(&self) -> Option<&BasemapChoice> {
        self.basemap.as_ref().map(|active| &active.choice)
    }

    /// Why the basemap asked for last did not open (the map keeps the previous one).
    #[must_use]
    pub fn basemap_problem(&self) -> Option<&BasemapProblem> {
        self.basemap_problem.as_ref()
    }

    /// Whether a basemap is being opened.
    #[must_use]
    pub fn is_opening_basemap(&self) -> bool {
        self.basemap_opening.is_some()
    }

    /// Waits until the basemap being opened, if any, has opened or failed.
    pub fn wait_for_basemap(&mut self, timeout: Duration) {
        let started = Instant::now();
        while self.basemap_opening.is_some() && started.elapsed() < timeout {
            self.poll_basemap();
            std::thread::sleep(Duration::from_millis(10));
        }
        self.poll_basemap();
    }

    /// Starts opening `choice` in the background, replacing any opening still under way. A
    /// Tianditu choice with no key is refused at once.
    pub(super) fn open_basemap(&mut self, choice: BasemapChoice) {
        let choice = absolute_choice(choice);
        self.basemap_target = Some(choice.clone());
        if choice.needs_tianditu_key() && self.settings.tianditu_key.trim().is_empty() {
            self.basemap_opening = None;
            self.basemap_problem = Some(BasemapProblem::MissingTiandituKey);
            return;
        }
        self.basemap_problem = None;
        match spawn_basemap_opener(choice.clone(), self.settings.tianditu_key.clone(), self.tile_cache_dir.clone(), &self.ctx) {
            Ok(job) => self.basemap_opening = Some(OpeningBasemap { choice, job }),
            Err(error) => {
                self.basemap_opening = None;
                self.basemap_problem = Some(BasemapProblem::Failed(format!("cannot start the basemap opener thread: {error}")));
            }
        }
    }

    /// Takes the opener's answer, if it has come: an opened basemap replaces the old one (whose
    /// workers then stop) and is remembered; a failure leaves the old one on the map.
    pub(super) fn poll_basemap(&mut self) {
        let Some(opening) = &mut self.basemap_opening else { return };
        let Some(opened) = opening.job.take_result() else { return };
        let Some(OpeningBasemap { choice, .. }) = self.basemap_opening.take() else { return };
        match opened {
            Ok(source) => {
                let workers = if choice.is_online() { ONLINE_WORKERS } else { OFFLINE_WORKERS };
                let tiles = Basemap::with_workers(source, self.ctx.clone(), workers);
                self.basemap = Some(ActiveBasemap { choice: choice.clone(), tiles });
                self.basemap_target = None;
                self.basemap_problem = None;
                self.basemap_panel.basemap_opened();
                self.remember_basemap(choice);
            }
            Err(message) => {
                tracing::warn!("basemap: {message}");
                self.basemap_problem = Some(BasemapProblem::Failed(message));
            }
        }
    }

    /// Remembers a basemap that has opened, and an offline one among the recent files.
    pub(super) fn remember_basemap(&mut self, choice: BasemapChoice) {
        self.settings.basemap = match &choice {
            BasemapChoice::Offline { path } => Some(path.clone()),
            _ => None,
        };
        if let BasemapChoice::Offline { path } = &choice
            && self.demo_basemap.as_ref() != Some(path)
        {
            let recent = &mut self.settings.recent_offline;
            recent.retain(|known| known != path);
            recent.insert(0, path.clone());
            recent.truncate(RECENT_OFFLINE_LIMIT);
        }
        self.settings.basemap_choice = Some(choice);
    }
}
