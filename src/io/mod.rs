//! Files in and out. Import of a district's own data ("bring your own city"): GeoJSON,
//! shapefiles, GeoPackage layers and CSV become parts, jurisdictions or cases of a citygrid
//! database. Export ([`export`]): parts, jurisdictions and cases to GeoJSON, GeoPackage and CSV.
//!
//! Three steps, each usable by a dialog on a worker thread:
//! 1. [`inspect`]: layers, fields, a few sample rows, feature count, geometry type and the
//!    coordinate system with the evidence for it. Cheap: reads headers and the first rows only.
//! 2. [`validate`]: the whole file through a [`MappingProfile`], giving every [`Issue`] (feature,
//!    field, problem in Chinese and English) and how many features would be written. Writes nothing.
//! 3. [`commit`]: the same pass, writing the accepted features in one transaction with progress
//!    and cancellation; a failed or cancelled import leaves the database as it was.
//!
//! Readers stream: a million features are never all in memory. Coordinates are converted to
//! WGS84/CGCS2000 longitude/latitude here ([`crs`]). This module never touches the UI.

pub mod crs;
mod csv_reader;
pub mod export;
pub mod feature;
mod geojson_reader;
mod gpkg_reader;
mod import;
pub mod issue;
pub mod job;
pub mod profile;
pub mod shapefile;
pub mod text;
pub mod value;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub use crs::{Crs, CrsError, CrsGuess};
pub use feature::{FieldInfo, FieldKind, SourceFeature, Value};
pub use import::{ImportReport, OnIssue, Policy, Progress, commit, validate};
pub use issue::{Fix, FixKind, Issue, IssueClass, IssueKind};
pub use job::{ImportJob, ImportStep, StepResult, start_step};
pub use profile::{MappingProfile, SourceOptions, Target, TargetField, auto_profile, target_fields};
pub use shapefile::EncodingChoice;

/// Why an import could not run at all (problems of single features are [`Issue`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the file is empty")]
    Empty,
    #[error("{path}: unknown file type (expected .geojson/.json, .shp, .gpkg or .csv)", path = .0.display())]
    UnknownFormat(PathBuf),
    #[error("GeoJSON syntax error at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("malformed file: {what}")]
    Malformed { what: String },
    #[error("no layer {name:?} in the file (layers: {available})")]
    NoSuchLayer { name: String, available: String },
    #[error("the file has several layers ({available}); choose one with --layer")]
    ChooseLayer { available: String },
    #[error("{0}")]
    Crs(#[from] CrsError),
    #[error("mapping profile: {0}")]
    Profile(String),
    #[error("import stopped at the first issue (on-issue = stop): {first}; nothing was written")]
    Stopped { first: String, report: Box<ImportReport> },
    #[error("import cancelled after {done} features; nothing was written")]
    Cancelled { done: u64 },
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// A file type the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    GeoJson,
    Shapefile,
    GeoPackage,
    Csv,
}

impl Format {
    /// The format of a file, by its extension.
    ///
    /// # Errors
    /// An extension the importer does not read.
    pub fn of(path: &Path) -> Result<Self, ImportError> {
        let extension = path.extension().map(|ext| ext.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        match extension.as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "shp" => Ok(Self::Shapefile),
            "gpkg" => Ok(Self::GeoPackage),
            "csv" | "txt" => Ok(Self::Csv),
            _ => Err(ImportError::UnknownFormat(path.to_owned())),
        }
    }

    /// Name for people.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::GeoJson => "GeoJSON",
            Self::Shapefile => "ESRI Shapefile",
            Self::GeoPackage => "GeoPackage",
            Self::Csv => "CSV",
        }
    }
}

/// How many features a layer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FeatureCount {
    /// Counted from an index or a header.
    Exact(u64),
    /// Extrapolated from the bytes the first features took (GeoJSON, CSV: a count needs a full read).
    Estimated(u64),
}

impl FeatureCount {
    /// The number, exact or not.
    #[must_use]
    pub fn value(self) -> u64 {
        match self {
            Self::Exact(count) | Self::Estimated(count) => count,
        }
    }
}

impl std::fmt::Display for FeatureCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(count) => write!(f, "{count}"),
            Self::Estimated(count) => write!(f, "about {count}"),
        }
    }
}

/// What [`inspect`] finds in one layer.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    pub name: String,
    /// `Point`, `MultiPolygon`… as the file declares it (or as the first feature has it).
    pub geometry_type: String,
    pub feature_count: FeatureCount,
    pub fields: Vec<FieldInfo>,
    /// The first few features, in the file's coordinates.
    pub samples: Vec<SourceFeature>,
    /// The coordinate system and why we think so, or why it cannot be used.
    pub crs: Result<CrsGuess, CrsError>,
    /// Shapefile and CSV attribute encoding, and why.
    pub encoding: Option<EncodingChoice>,
}

/// What [`inspect`] finds in a file.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub path: PathBuf,
    pub format: Format,
    pub layers: Vec<LayerInfo>,
}

/// How many sample features [`inspect`] keeps per layer.
pub const SAMPLE_FEATURES: usize = 5;

/// An opened layer, ready to stream.
pub(crate) enum OpenLayer {
    GeoJson { path: PathBuf, crs_name: Option<String>, layer_name: String },
    Shapefile(Box<shapefile::Shapefile>),
    GeoPackage { conn: Box<crate::untrusted::UntrustedDb>, path: PathBuf, layer: gpkg_reader::GpkgLayer },
    Csv(Box<csv_reader::CsvSource>),
}

type Visit<'a> = dyn FnMut(SourceFeature) -> Result<ControlFlow<()>, ImportError> + 'a;

fn stem_of(path: &Path) -> String {
    path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
}

impl OpenLayer {
    /// Opens every layer of a file (a GeoPackage may have several; the others have one).
    pub(crate) fn open_all(path: &Path, options: &SourceOptions) -> Result<Vec<Self>, ImportError> {
        if !path.exists() {
            return Err(ImportError::Io { path: path.to_owned(), source: std::io::Error::from(std::io::ErrorKind::NotFound) });
        }
        Ok(match Format::of(path)? {
            Format::GeoJson => {
                let head = geojson_reader::read_geojson(path, true, &mut |_| Ok(ControlFlow::Break(())))?;
                vec![Self::GeoJson {
                    path: path.to_owned(),
                    crs_name: head.crs_name,
                    layer_name: head.layer_name.unwrap_or_else(|| stem_of(path)),
                }]
            }
            Format::Shapefile => vec![Self::Shapefile(Box::new(shapefile::Shapefile::open(path, options.encoding.as_deref())?))],
            Format::Csv => {
                vec![Self::Csv(Box::new(csv_reader::CsvSource::open(path, options.x_field.as_deref(), options.y_field.as_deref())?))]
            }
            Format::GeoPackage => {
                let (conn, layers) = gpkg_reader::open(path)?;
                let mut open = Vec::with_capacity(layers.len());
                // Each layer gets its own read-only connection so layers can be read independently.
                for layer in layers {
                    let conn = if open.is_empty() { None } else { Some(gpkg_reader::open(path)?.0) };
                    open.push((conn, layer));
                }
                let mut first = Some(conn);
                open.into_iter()
                    .filter_map(|(conn, layer)| {
                        let conn = conn.or_else(|| first.take())?;
                        Some(Self::GeoPackage { conn: Box::new(conn), path: path.to_owned(), layer })
                    })
                    .collect()
            }
        })
    }

    /// Opens the layer the options name (or the only one).
    pub(crate) fn open(path: &Path, options: &SourceOptions) -> Result<Self, ImportError> {
        let mut layers = Self::open_all(path, options)?;
        let available = || layers.iter().map(Self::name).collect::<Vec<_>>().join(", ");
        match &options.layer {
            Some(name) => match layers.iter().position(|layer| &layer.name() == name) {
                Some(index) => Ok(layers.swap_remove(index)),
                None => Err(ImportError::NoSuchLayer { name: name.clone(), available: available() }),
            },
            None if layers.len() == 1 => Ok(layers.remove(0)),
            None if layers.is_empty() => Err(ImportError::Empty),
            None => Err(ImportError::ChooseLayer { available: available() }),
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Self::GeoJson { layer_name, .. } => layer_name.clone(),
            Self::Shapefile(shapefile) => stem_of(&shapefile.shp_path),
            Self::GeoPackage { layer, .. } => layer.table.clone(),
            Self::Csv(csv) => stem_of(&csv.path),
        }
    }

    /// The declared coordinate system with its evidence; `override_name` (the profile's or
    /// `--crs`) wins.
    pub(crate) fn crs(&self, override_name: Option<&str>) -> Result<CrsGuess, CrsError> {
        if let Some(name) = override_name {
            let crs = crs::crs_from_name(name)?;
            return Ok(CrsGuess { crs, evidence: format!("chosen by the user: {}", crs.describe()) });
        }
        match self {
            Self::GeoJson { crs_name: None, .. } => {
                Ok(CrsGuess { crs: Crs::Wgs84, evidence: "GeoJSON has no crs member: WGS84 per RFC 7946".into() })
            }
            Self::GeoJson { crs_name: Some(name), .. } => {
                let crs = crs::crs_from_name(name)?;
                Ok(CrsGuess { crs, evidence: format!("GeoJSON crs member says {name}: {}", crs.describe()) })
            }
            Self::Shapefile(shapefile) => match &shapefile.prj {
                None => Err(CrsError::Unknown("the shapefile has no .prj".into())),
                Some(wkt) => {
                    let (crs, name) = crs::crs_from_wkt(wkt)?;
                    Ok(CrsGuess { crs, evidence: format!(".prj says {name}: {}", crs.describe()) })
                }
            },
            Self::GeoPackage { layer, .. } => {
                if let Some((organization, id)) = &layer.srs_organization
                    && organization.eq_ignore_ascii_case("EPSG")
                {
                    let code = u32::try_from(*id).unwrap_or(0);
                    let name = layer.srs_name.clone().unwrap_or_default();
                    return Crs::from_epsg(code)
                        .map(|crs| CrsGuess { crs, evidence: format!("gpkg_spatial_ref_sys says EPSG:{code} {name}") })
                        .ok_or_else(|| CrsError::Unsupported(format!("EPSG:{code} {name}")));
                }
                if let Some(definition) = layer.srs_definition.as_deref().filter(|text| !text.is_empty() && *text != "undefined") {
                    let (crs, name) = crs::crs_from_wkt(definition)?;
                    return Ok(CrsGuess { crs, evidence: format!("gpkg_spatial_ref_sys definition says {name}: {}", crs.describe()) });
                }
                Err(CrsError::Unknown(format!("srs_id {:?} has no usable definition", layer.srs_id)))
            }
            Self::Csv(_) => Ok(CrsGuess {
                crs: Crs::Wgs84,
                evidence: "CSV declares no coordinate system: WGS84 longitude/latitude assumed (set another with --crs)".into(),
            }),
        }
    }

    pub(crate) fn fields(&self, samples: &[SourceFeature]) -> Result<Vec<FieldInfo>, ImportError> {
        Ok(match self {
            Self::Shapefile(shapefile) => shapefile.fields(),
            Self::Csv(csv) => csv.fields(),
            Self::GeoPackage { conn, path, layer } => gpkg_reader::fields(conn, path, layer)?,
            Self::GeoJson { .. } => {
                // GeoJSON declares nothing: the union of the sample features' properties, in order.
                let mut fields: Vec<FieldInfo> = Vec::new();
                for feature in samples {
                    for (name, value) in &feature.attributes {
                        match fields.iter_mut().find(|field| &field.name == name) {
                            Some(field) if field.kind == FieldKind::Unknown => field.kind = value.kind(),
                            Some(_) => {}
                            None => fields.push(FieldInfo { name: name.clone(), kind: value.kind() }),
                        }
                    }
                }
                fields
            }
        })
    }

    /// Features counted cheaply, or `None` when only a full read would tell.
    pub(crate) fn exact_count(&self) -> Result<Option<u64>, ImportError> {
        Ok(match self {
            Self::Shapefile(shapefile) => shapefile.feature_count,
            Self::GeoPackage { conn, path, layer } => Some(gpkg_reader::count(conn, path, layer)?),
            Self::GeoJson { .. } | Self::Csv(_) => None,
        })
    }

    pub(crate) fn declared_geometry_type(&self) -> Option<String> {
        match self {
            Self::Shapefile(shapefile) => Some(shapefile::shape_type_name(shapefile.shape_type).to_owned()),
            Self::GeoPackage { layer, .. } => Some(layer.geometry_type.clone()),
            Self::Csv(_) => Some("Point".into()),
            Self::GeoJson { .. } => None,
        }
    }

    pub(crate) fn encoding(&self) -> Option<EncodingChoice> {
        match self {
            Self::Shapefile(shapefile) => Some(shapefile.encoding.clone()),
            Self::Csv(csv) => Some(csv.encoding.clone()),
            _ => None,
        }
    }

    pub(crate) fn file_path(&self) -> &Path {
        match self {
            Self::GeoJson { path, .. } | Self::GeoPackage { path, .. } => path,
            Self::Shapefile(shapefile) => &shapefile.shp_path,
            Self::Csv(csv) => &csv.path,
        }
    }

    /// How many of the first `probe` features there are and how many bytes of the file they took.
    pub(crate) fn bytes_of_first(&self, probe: u64) -> Result<(u64, u64), ImportError> {
        match self {
            Self::GeoJson { path, .. } => geojson_reader::bytes_of_first(path, probe),
            Self::Csv(csv) => csv.bytes_of_first(probe),
            _ => Ok((0, 0)),
        }
    }

    /// Streams the layer's features in order.
    pub(crate) fn read(&self, visit: &mut Visit<'_>) -> Result<(), ImportError> {
        match self {
            Self::GeoJson { path, .. } => geojson_reader::read_geojson(path, false, visit).map(|_| ()),
            Self::Shapefile(shapefile) => shapefile.read(visit),
            Self::GeoPackage { conn, path, layer } => gpkg_reader::read(conn, path, layer, visit),
            Self::Csv(csv) => csv.read(visit),
        }
    }
}

fn geometry_type_name(geometry: &geo::Geometry<f64>) -> &'static str {
    match geometry {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => "Polygon",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Streams every feature of a layer (the one `options.layer` names, or the only one) in the
/// file's own coordinates, for previews and tests; `visit` may stop early.
///
/// # Errors
/// A file that cannot be opened or is malformed, or whatever `visit` returns.
pub fn read_layer(path: &Path, options: &SourceOptions, visit: &mut Visit<'_>) -> Result<(), ImportError> {
    OpenLayer::open(path, options)?.read(visit)
}

/// Reads what a file holds without reading it whole: every layer's fields, first features,
/// count (exact where an index or header gives it, else estimated from the bytes the first
/// features took), geometry type, coordinate system and encoding.
///
/// # Errors
/// A file that cannot be opened or whose start is malformed.
pub fn inspect(path: &Path, options: &SourceOptions) -> Result<Inspection, ImportError> {
    let format = Format::of(path)?;
    let mut layers = Vec::new();
    for layer in OpenLayer::open_all(path, options)? {
        let mut samples = Vec::new();
        layer.read(&mut |feature| {
            samples.push(feature);
            Ok(if samples.len() >= SAMPLE_FEATURES { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        })?;
        let feature_count = match layer.exact_count()? {
            Some(count) => FeatureCount::Exact(count),
            None if samples.len() < SAMPLE_FEATURES => FeatureCount::Exact(samples.len() as u64),
            None => {
                let file_len = std::fs::metadata(layer.file_path()).map(|meta| meta.len()).unwrap_or(0);
                match layer.bytes_of_first(200)? {
                    (seen, _) if seen < 200 => FeatureCount::Exact(seen),
                    (seen, bytes) => FeatureCount::Estimated(file_len * seen / bytes.max(1)),
                }
            }
        };
        let geometry_type = layer
            .declared_geometry_type()
            .or_else(|| samples.iter().find_map(|feature| feature.geometry.as_ref()).map(|g| geometry_type_name(g).to_owned()))
            .unwrap_or_else(|| "None".into());
        layers.push(LayerInfo {
            name: layer.name(),
            geometry_type,
            feature_count,
            fields: layer.fields(&samples)?,
            crs: layer.crs(options.crs.as_deref()),
            encoding: layer.encoding(),
            samples,
        });
    }
    Ok(Inspection { path: path.to_owned(), format, layers })
}
