//! `citygrid report`: the assessment of a period as CSV, XLSX or the printable notice.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};

use citygrid::assess::output::{ReportFormat, report_bytes};
use citygrid::model::Lang;
use citygrid::session::Location;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// `2026-11` (a month), `2026-Q4`, `2026` (a year), `2026-11-25` (a day) or
    /// `2026-11-01..2026-11-30` (days, both included).
    #[arg(long)]
    period: String,
    /// `csv`, `xlsx` (needs `--out`) or `html`.
    #[arg(long, default_value = "csv")]
    format: String,
    /// File to write; standard output when left out.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Interface language of the headers and names: `zh` or `en`.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// Write the backlog ledger (挂账台账) of the period for the committee instead of the
    /// assessment (`csv` or `xlsx`).
    #[arg(long)]
    ledger: bool,
    /// On a server: the account to read as (password in `CITYGRID_AS_PASSWORD`), so its role
    /// and unit decide what is read; without it, the URL's own login.
    #[arg(long = "as", value_name = "LOGIN")]
    as_login: Option<String>,
}

pub fn run(location: Location, args: ReportArgs) -> Result<()> {
    let ReportArgs { period, format, out, lang, ledger, as_login } = args;
    let location = super::server_account(location, as_login.as_deref())?;
    if let (Some(out), Some(path)) = (&out, location.path()) {
        citygrid::io::export::refuse_live_database(out, path)?;
    }
    let format = ReportFormat::parse(&format).with_context(|| format!("--format {format:?}: use csv, xlsx or html"))?;
    let lang = Lang::from_code(&lang).with_context(|| format!("unknown language {lang:?}; use zh or en"))?;
    let period = citygrid::assess::Period::parse(&period)?;
    let now = citygrid::calendar::china_now();
    let (world, _) = citygrid::session::load_from(&location, now)?;
    let store = location.open()?;
    let bytes = if ledger {
        let report = citygrid::assess::output::ledger::LedgerReport::new(&store.backlog_ledger(false)?, period);
        match format {
            ReportFormat::Csv => report.csv(&world.report_names(), lang).into_bytes(),
            ReportFormat::Xlsx => report.xlsx(&world.report_names(), lang)?,
            ReportFormat::Html => bail!("the backlog ledger is written as csv or xlsx"),
        }
    } else {
        let mut facts = citygrid::assess::FactBook::load(&store, &world.calendar)?;
        // A period that has not ended is measured as of now.
        facts.as_of = Some(now);
        let options = citygrid::assess::ReportOptions { weights: citygrid::assess::Weights::load(&store)?, ..Default::default() };
        let report = citygrid::assess::Assessment::compute(&facts, period, options);
        report_bytes(&world.report_names(), &report, format, lang, now)?
    };
    match out {
        Some(out) => {
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        None if format == ReportFormat::Xlsx => bail!("--format xlsx needs --out FILE"),
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
