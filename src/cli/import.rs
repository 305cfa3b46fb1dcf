//! `citygrid import`: inspect a file, map its fields, validate or import it in one transaction.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The file: .geojson/.json, .shp, .gpkg or .csv.
    file: PathBuf,
    /// Only show the layers, fields, sample rows, count and coordinate system.
    #[arg(long)]
    inspect: bool,
    /// What the features become: parts, jurisdictions or cases (default: the profile's).
    #[arg(long)]
    target: Option<String>,
    /// GeoPackage layer.
    #[arg(long)]
    layer: Option<String>,
    /// Mapping profile (JSON) to use instead of guessing from field names.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Write the profile used to this file, for the next delivery.
    #[arg(long)]
    save_profile: Option<PathBuf>,
    /// `target=source` field mappings, overriding the profile (`--map code=BJBM`).
    #[arg(long = "map", value_name = "TARGET=SOURCE")]
    maps: Vec<String>,
    /// `target=value` constants for unmapped targets (`--set kind=grid`).
    #[arg(long = "set", value_name = "TARGET=VALUE")]
    constants: Vec<String>,
    /// Coordinate system overriding what the file declares (`EPSG:4527`).
    #[arg(long)]
    crs: Option<String>,
    /// Attribute encoding overriding .cpg and guessing (`GBK`).
    #[arg(long)]
    encoding: Option<String>,
    /// CSV columns holding longitude/x and latitude/y (default: guessed from the header).
    #[arg(long)]
    x_field: Option<String>,
    #[arg(long)]
    y_field: Option<String>,
    /// What to do with features that have issues: stop (write nothing), skip, or fix (safe
    /// automatic fixes, skip the rest); per class too: `skip,geometry=fix,code=stop`
    /// (classes: geometry, coordinates, code, reference, value).
    #[arg(long, default_value = "stop")]
    on_issue: String,
    /// Validate and report without writing.
    #[arg(long)]
    dry_run: bool,
    /// The administrator importing (named in the audit trail); their password in
    /// CITYGRID_AS_PASSWORD. Not needed for --inspect or --dry-run.
    #[arg(long = "as", value_name = "LOGIN")]
    acting: Option<String>,
    /// How many issues to list.
    #[arg(long, default_value_t = 20)]
    show_issues: usize,
}

/// `--on-issue stop`, or per class: `--on-issue skip,geometry=fix,code=stop`.
fn policy_from(text: &str) -> Result<citygrid::io::Policy> {
    use citygrid::io::{IssueClass, OnIssue, Policy};
    let choice = |name: &str| OnIssue::from_name(name.trim()).with_context(|| format!("--on-issue {name:?}: use stop, skip or fix"));
    let mut policy = Policy::default();
    for piece in text.split(',') {
        match piece.split_once('=') {
            Some((class, on_issue)) => {
                let class = IssueClass::from_name(class.trim())
                    .with_context(|| format!("--on-issue: {class:?} is not geometry, coordinates, code, reference or value"))?;
                policy.per_class.insert(class, choice(on_issue)?);
            }
            None => policy.default = choice(piece)?,
        }
    }
    Ok(policy)
}

/// `citygrid import`: inspect, map (profile, guesses, --map), validate or commit, report.
pub fn run(db: Option<PathBuf>, args: ImportArgs) -> Result<()> {
    use citygrid::io;
    let source = io::SourceOptions {
        layer: args.layer.clone(),
        x_field: args.x_field.clone(),
        y_field: args.y_field.clone(),
        encoding: args.encoding.clone(),
        crs: args.crs.clone(),
    };
    let inspection = io::inspect(&args.file, &source).with_context(|| format!("reading {}", args.file.display()))?;
    eprint!("{}", io::text::inspection_text(&inspection));
    if args.inspect {
        return Ok(());
    }
    let mut profile = match &args.profile {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            io::MappingProfile::from_json(&text).with_context(|| format!("profile {}", path.display()))?
        }
        None => {
            let target_name = args.target.as_deref().context("--target parts|jurisdictions|cases is needed (or --profile)")?;
            let target = io::Target::from_name(target_name)
                .with_context(|| format!("--target {target_name:?}: use parts, jurisdictions or cases"))?;
            let layer = match &args.layer {
                Some(name) => inspection.layers.iter().find(|layer| &layer.name == name),
                None => inspection.layers.first(),
            };
            io::auto_profile(target, layer.map(|layer| layer.fields.as_slice()).unwrap_or_default())
        }
    };
    if let Some(name) = &args.target {
        let target = io::Target::from_name(name).with_context(|| format!("--target {name:?}: use parts, jurisdictions or cases"))?;
        if target != profile.target {
            bail!("--target {name} differs from the profile's target {:?}", profile.target);
        }
    }
    for (pairs, into) in [(&args.maps, &mut profile.fields), (&args.constants, &mut profile.constants)] {
        for pair in pairs {
            let (target, value) = pair.split_once('=').with_context(|| format!("{pair:?} is not TARGET=VALUE"))?;
            into.insert(target.trim().to_owned(), value.trim().to_owned());
        }
    }
    for (option, value) in [
        (&mut profile.source.layer, &args.layer),
        (&mut profile.source.crs, &args.crs),
        (&mut profile.source.encoding, &args.encoding),
        (&mut profile.source.x_field, &args.x_field),
        (&mut profile.source.y_field, &args.y_field),
    ] {
        if value.is_some() {
            option.clone_from(value);
        }
    }
    profile.check()?;
    let mapped: Vec<String> = profile.fields.iter().map(|(target, source)| format!("{target}←{source}")).collect();
    eprintln!("mapping: {}", if mapped.is_empty() { "nothing mapped".into() } else { mapped.join(", ") });
    if let Some(path) = &args.save_profile {
        std::fs::write(path, profile.to_json()).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("saved the profile to {}", path.display());
    }
    let policy = policy_from(&args.on_issue)?;
    let path = db.context("--db PATH is needed to import (the database to write into)")?;
    // On a server the parts and boundaries are the owner's to write: the URL's own login, with
    // the administrator named by --as checked against the district's accounts.
    let location = citygrid::session::Location::parse(&path.to_string_lossy());
    let mut store = location.open()?;
    let path = std::path::PathBuf::from(location.display());
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut last = Instant::now();
    let mut progress = |progress: &io::Progress| {
        if last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            let total = progress.total.map(|total| format!(" of {total}")).unwrap_or_default();
            let left = progress.remaining().map(|left| format!(", about {:.0} s left", left.as_secs_f64())).unwrap_or_default();
            eprintln!("{} features{total}{left}", progress.done);
        }
    };
    let result = if args.dry_run {
        io::validate(&store, &args.file, &profile, &policy, &mut progress, &cancel)
    } else {
        let login = args.acting.as_deref().context(
            "an import writes to the district: name the administrator making it with --as LOGIN (password in CITYGRID_AS_PASSWORD), or check first with --dry-run",
        )?;
        let by = super::acting_user(&store, &path, login)?;
        io::commit(&mut store, &by, &args.file, &profile, &policy, &mut progress, &cancel)
    };
    match result {
        Ok(report) => {
            print!("{}", io::text::report_text(&report, args.show_issues));
            let stops = report.issues_by_class.keys().any(|class| policy.for_class(*class) == io::OnIssue::Stop);
            if args.dry_run && stops {
                bail!("{} issues: an import with --on-issue stop would write nothing", report.issue_count);
            }
            Ok(())
        }
        Err(io::ImportError::Stopped { first, report }) => {
            print!("{}", io::text::report_text(&report, args.show_issues));
            bail!("import stopped at the first issue (--on-issue stop), nothing was written: {first}")
        }
        Err(error) => Err(error).with_context(|| format!("importing {}", args.file.display())),
    }
}
