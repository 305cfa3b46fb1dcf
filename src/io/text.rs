//! Plain-text renderings of an inspection and of a report, for the command line (the dialog
//! draws the same structures itself).

use std::fmt::Write;

use super::import::ImportReport;
use super::issue::IssueClass;
use super::{Inspection, LayerInfo};

fn layer_text(out: &mut String, layer: &LayerInfo) {
    let _ = writeln!(out, "layer {}: {} features, geometry {}", layer.name, layer.feature_count, layer.geometry_type);
    match &layer.crs {
        Ok(guess) => {
            let _ = writeln!(out, "  coordinates: {} ({})", guess.crs.describe(), guess.evidence);
        }
        Err(error) => {
            let _ = writeln!(out, "  coordinates: {error}");
        }
    }
    if let Some(encoding) = &layer.encoding {
        let _ = writeln!(out, "  encoding: {} ({})", encoding.name, encoding.evidence);
    }
    let fields: Vec<String> = layer.fields.iter().map(|field| format!("{} ({})", field.name, field.kind.name())).collect();
    let _ = writeln!(out, "  fields: {}", if fields.is_empty() { "none".into() } else { fields.join(", ") });
    for feature in &layer.samples {
        let values: Vec<String> = feature.attributes.iter().map(|(name, value)| format!("{name}={value}")).collect();
        let geometry = feature.geometry.as_ref().map_or_else(
            || "no geometry".to_owned(),
            |geometry| {
                use geo::CoordsIter;
                let first = geometry.coords_iter().next();
                format!(
                    "{} at {}",
                    super::geometry_type_name(geometry),
                    first.map_or_else(|| "(empty)".to_owned(), |c| format!("{}, {}", c.x, c.y))
                )
            },
        );
        let _ = writeln!(out, "  #{}: {}; {geometry}", feature.index + 1, values.join(", "));
    }
}

/// The inspection as lines of text.
#[must_use]
pub fn inspection_text(inspection: &Inspection) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", inspection.path.display(), inspection.format.name());
    for layer in &inspection.layers {
        layer_text(&mut out, layer);
    }
    out
}

/// The report: counts, the first `max_issues` issues and fixes, and what was (or would be) written.
#[must_use]
pub fn report_text(report: &ImportReport, max_issues: usize) -> String {
    let mut out = String::new();
    if report.issue_count > 0 {
        let by_class: Vec<String> = IssueClass::ALL
            .iter()
            .filter_map(|class| report.issues_by_class.get(class).map(|count| format!("{} {count}", class.label(false).to_lowercase())))
            .collect();
        let _ = writeln!(out, "{} issues ({}):", report.issue_count, by_class.join(", "));
        for issue in report.issues.iter().take(max_issues) {
            let _ = writeln!(out, "  {}", issue.describe(false));
        }
        if report.issue_count > max_issues as u64 {
            let _ = writeln!(out, "  … and {} more", report.issue_count - max_issues as u64);
        }
    }
    if report.fix_count > 0 {
        let _ = writeln!(out, "{} fixes:", report.fix_count);
        for fix in report.fixes.iter().take(max_issues) {
            let _ = writeln!(out, "  {}", fix.describe(false));
        }
    }
    let verb = if report.written { "wrote" } else { "would write" };
    let [points, lines, polygons] = report.parts_by_geometry;
    let detail = if report.target == super::Target::Parts {
        format!(" ({points} points, {lines} lines, {polygons} polygons)")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} features read from layer {}; {verb} {} {:?}{detail}; {} left out; {:.1} s",
        report.read, report.layer, report.accepted, report.target, report.skipped, report.elapsed_s
    );
    out
}
