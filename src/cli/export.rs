//! `citygrid export`: parts, jurisdictions or cases to GeoPackage, GeoJSON or CSV.

use std::path::PathBuf;

use citygrid::session::Location;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// `parts`, `jurisdictions`, `cases`, or `all` (GeoPackage only).
    #[arg(long, default_value = "all")]
    layer: String,
    /// The file to write: `.geojson`, `.gpkg` or `.csv` (cases only). Replaced only when the
    /// export succeeds.
    #[arg(long)]
    out: PathBuf,
    /// Only jurisdictions of this kind: district, township, community, grid, unit_zone.
    #[arg(long)]
    kind: Option<String>,
    /// Only features meeting LON_MIN,LAT_MIN,LON_MAX,LAT_MAX (WGS84 degrees).
    #[arg(long)]
    bbox: Option<String>,
    /// Only parts and cases whose class code starts with this (`0101`, `01`).
    #[arg(long)]
    class: Option<String>,
    /// Only open cases.
    #[arg(long)]
    open: bool,
    /// Measure deadline statuses at this China time (`2026-11-25 09:30`); default now.
    #[arg(long)]
    now: Option<String>,
    /// CSV header row: `names` (field names) or `zh` (Chinese titles, for spreadsheets).
    #[arg(long, default_value = "names")]
    csv_header: String,
    /// On a server: the account to read as (password in `CITYGRID_AS_PASSWORD`), so its role
    /// and unit decide what is read; without it, the URL's own login.
    #[arg(long = "as", value_name = "LOGIN")]
    as_login: Option<String>,
}

/// `citygrid export`: reads the database like the app, measures deadlines, writes the file.
pub fn run(location: Location, args: ExportArgs) -> Result<()> {
    let ExportArgs { layer, out, kind, bbox, class, open, now, csv_header, as_login } = args;
    let location = super::server_account(location, as_login.as_deref())?;
    let (layer, out, csv_header) = (layer.as_str(), out.as_path(), csv_header.as_str());
    use citygrid::io::export::{CsvHeader, ExportFormat, ExportWhat, Names, Selection, Sources, export, layers_for, refuse_live_database};
    use citygrid::model::Keyword as _;
    let what = ExportWhat::parse(layer).with_context(|| format!("--layer {layer:?}: use parts, jurisdictions, cases or all"))?;
    if let Some(path) = location.path() {
        refuse_live_database(out, path)?;
    }
    let format = ExportFormat::from_path(out)?;
    let csv_header = match csv_header {
        "names" => CsvHeader::Names,
        "zh" => CsvHeader::ChineseTitles,
        other => bail!("--csv-header {other:?}: use names or zh"),
    };
    let jurisdiction_kind = kind
        .map(|kind| {
            citygrid::model::JurisdictionKind::from_keyword(&kind)
                .with_context(|| format!("--kind {kind:?}: use district, township, community, grid or unit_zone"))
        })
        .transpose()?;
    let within = bbox
        .map(|text| {
            let values: Vec<f64> = text.split(',').filter_map(|value| value.trim().parse::<f64>().ok()).collect();
            match values[..] {
                [min_lon, min_lat, max_lon, max_lat] if min_lon < max_lon && min_lat < max_lat => {
                    Ok(geo::Rect::new((min_lon, min_lat), (max_lon, max_lat)))
                }
                _ => Err(anyhow::anyhow!("--bbox {text:?} is not LON_MIN,LAT_MIN,LON_MAX,LAT_MAX, e.g. 118.2,29.8,118.4,29.9")),
            }
        })
        .transpose()?;
    let now = now.as_deref().map(super::parse_as_of).transpose()?.unwrap_or_else(citygrid::calendar::china_now);
    let started = Instant::now();
    let (world, book) = citygrid::session::load_from(&location, now)?;
    let names = Names::new(&world.units, &world.manual);
    let cases = (0..book.len()).filter_map(|position| Some((book.get(position)?, book.status(position)?))).collect();
    let parts = if matches!(what, citygrid::io::export::ExportWhat::Jurisdictions | citygrid::io::export::ExportWhat::Cases) {
        Vec::new()
    } else {
        world.parts.read_all()?
    };
    let sources = Sources { parts: &parts, jurisdictions: &world.jurisdictions, cases };
    let selection = Selection { within, class_prefix: class, jurisdiction_kind, open_cases_only: open };
    let layers = layers_for(sources, what, &selection, format, &names);
    let mut next_report = 0.0;
    let summary = export(out, layers, csv_header, &mut |progress| {
        let share = progress.done as f64 / progress.total.max(1) as f64;
        if share >= next_report {
            eprint!("\rexporting… {:>3.0} % ({} / {})", share * 100.0, progress.done, progress.total);
            next_report = share + 0.1;
        }
        true
    })?;
    eprintln!();
    let layers: Vec<String> = summary.layers.iter().map(|(name, count)| format!("{name} {count}")).collect();
    println!("wrote {}: {} in {:.1} s", out.display(), layers.join(", "), started.elapsed().as_secs_f64());
    Ok(())
}
