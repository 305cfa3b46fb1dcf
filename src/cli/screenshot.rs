//! `citygrid screenshot` (feature `dev-tools`): a view of the real app rendered offscreen to a
//! PNG, for the README and the docs.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

#[derive(clap::Args)]
pub struct ScreenshotArgs {
    /// View to render: `map` (main window), `desk` (a case selected) or `wall`.
    #[arg(long, default_value = "map")]
    view: String,
    /// Window size, `WIDTHxHEIGHT`.
    #[arg(long, default_value = "1600x1000")]
    size: String,
    /// PNG to write.
    #[arg(long)]
    out: PathBuf,
    /// Interface language: `zh` or `en`.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// Map centre and zoom, `LON,LAT,ZOOM` (default: the whole district).
    #[arg(long)]
    center: Option<String>,
    /// The clock the view shows, China time `YYYY-MM-DD HH:MM` (default: now); e.g. the
    /// `--as-of` of a demo database.
    #[arg(long)]
    now: Option<String>,
}

pub fn run(db: &Path, basemap: Option<&Path>, args: ScreenshotArgs) -> Result<()> {
    let ScreenshotArgs { view, size, out, lang, center, now } = args;
    let now = now.as_deref().map(super::parse_as_of).transpose()?;
    let Some((width, height)) = size.split_once('x').and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?))) else {
        bail!("--size {size:?} is not WIDTHxHEIGHT, e.g. 1920x1080");
    };
    let center = match center {
        None => None,
        Some(text) => {
            let values: Vec<f64> =
                text.split(',').map(|value| value.trim().parse::<f64>()).collect::<Result<_, _>>().ok().unwrap_or_default();
            let [lon, lat, zoom] = values[..] else {
                bail!("--center {text:?} is not LON,LAT,ZOOM, e.g. 118.33,29.83,15");
            };
            Some((lon, lat, zoom))
        }
    };
    citygrid::app::screenshot(db, basemap, &view, [width, height], &lang, center, now, &out)
}
