//! ESRI shapefile reader: `.shp` geometry, `.dbf` attributes, `.prj` coordinate system and
//! `.cpg` attribute encoding.
//!
//! Written by hand rather than taken from a crate so that every length in the file is checked
//! against the bytes really there: a truncated or lying file gives an error naming the record
//! and the byte, never a panic and never a giant allocation. Records are read one at a time.
//!
//! Encoding: the `.cpg` wins (UTF-8, GBK/GB2312/CP936/936, GB18030); without it the DBF
//! language driver byte (0x4D → CP936); without that, UTF-8 if the first records decode as
//! UTF-8, else GBK. The choice and why are reported.

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Winding};

use super::ImportError;
use super::feature::{FieldInfo, FieldKind, SourceFeature, Value};

/// The attribute encoding chosen and the reason, for the inspection.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EncodingChoice {
    /// `UTF-8`, `GBK`, `gb18030`, `windows-1252`.
    pub name: String,
    /// `.cpg says "GBK"`, `DBF language driver 0x4D (CP936)`, `no .cpg: the text is not UTF-8, read as GBK`.
    pub evidence: String,
}

/// One DBF field descriptor.
#[derive(Debug, Clone)]
struct DbfField {
    name: String,
    kind: u8,
    length: usize,
    decimals: u8,
}

/// An open shapefile, ready to stream.
pub(crate) struct Shapefile {
    pub(crate) shp_path: PathBuf,
    dbf_path: Option<PathBuf>,
    pub prj: Option<String>,
    pub encoding: EncodingChoice,
    encoding_impl: &'static Encoding,
    fields: Vec<DbfField>,
    dbf_header_len: usize,
    dbf_record_len: usize,
    dbf_records: u64,
    pub shape_type: i32,
    /// Records according to `.shx` (or the DBF when there is no index).
    pub feature_count: Option<u64>,
}

fn sibling(path: &Path, extension: &str) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let dir = path.parent().unwrap_or_else(|| Path::new(""));
    // Shapefiles from Windows often mix case (`.SHP` with `.dbf`).
    [extension.to_ascii_lowercase(), extension.to_ascii_uppercase()]
        .into_iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|candidate| candidate.is_file())
}

fn malformed(path: &Path, what: impl std::fmt::Display) -> ImportError {
    ImportError::Malformed { what: format!("{}: {what}", path.display()) }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { path: path.to_owned(), source }
}

fn i32_be(bytes: &[u8], at: usize) -> Option<i32> {
    bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).map(i32::from_be_bytes)
}

fn i32_le(bytes: &[u8], at: usize) -> Option<i32> {
    bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).map(i32::from_le_bytes)
}

fn f64_le(bytes: &[u8], at: usize) -> Option<f64> {
    bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(f64::from_le_bytes)
}

/// The name of the geometry type code in a `.shp` header.
#[must_use]
pub(crate) fn shape_type_name(code: i32) -> &'static str {
    match code {
        0 => "Null",
        1 | 11 | 21 => "Point",
        3 | 13 | 23 => "LineString",
        5 | 15 | 25 => "Polygon",
        8 | 18 | 28 => "MultiPoint",
        _ => "Unknown",
    }
}

fn encoding_from_label(label: &str) -> Option<&'static Encoding> {
    let upper = label.trim().to_ascii_uppercase().replace(['-', '_', ' '], "");
    match upper.as_str() {
        "UTF8" | "65001" => Some(encoding_rs::UTF_8),
        "GBK" | "GB2312" | "CP936" | "936" | "ANSI936" | "WINDOWS936" | "MS936" => Some(encoding_rs::GBK),
        "GB18030" | "54936" => Some(encoding_rs::GB18030),
        "BIG5" | "CP950" | "950" => Some(encoding_rs::BIG5),
        "88591" | "ISO88591" | "LATIN1" | "1252" | "CP1252" | "WINDOWS1252" => Some(encoding_rs::WINDOWS_1252),
        _ => Encoding::for_label(label.trim().as_bytes()),
    }
}

impl Shapefile {
    /// Opens `path` (the `.shp`) and reads the headers of its companions.
    pub(crate) fn open(path: &Path, encoding_override: Option<&str>) -> Result<Self, ImportError> {
        let mut header = [0u8; 100];
        let mut file = File::open(path).map_err(io_error(path))?;
        let length = file.metadata().map_err(io_error(path))?.len();
        if length == 0 {
            return Err(ImportError::Empty);
        }
        file.read_exact(&mut header).map_err(|_| malformed(path, format!("only {length} bytes, shorter than the 100-byte header")))?;
        if i32_be(&header, 0) != Some(9994) {
            return Err(malformed(path, "not a shapefile (the file code is not 9994)"));
        }
        let shape_type = i32_le(&header, 32).unwrap_or(-1);
        if shape_type_name(shape_type) == "Unknown" {
            return Err(malformed(path, format!("unknown shape type {shape_type}")));
        }
        let prj = sibling(path, "prj").map(|prj| std::fs::read(&prj).map_err(io_error(&prj))).transpose()?;
        let prj = prj.map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned());
        let shx_count = sibling(path, "shx").and_then(|shx| std::fs::metadata(shx).ok()).map(|meta| meta.len().saturating_sub(100) / 8);
        let dbf_path = sibling(path, "dbf");
        let mut shapefile = Self {
            shp_path: path.to_owned(),
            dbf_path: dbf_path.clone(),
            prj,
            encoding: EncodingChoice { name: "UTF-8".into(), evidence: "no .dbf: no attributes".into() },
            encoding_impl: encoding_rs::UTF_8,
            fields: Vec::new(),
            dbf_header_len: 0,
            dbf_record_len: 0,
            dbf_records: 0,
            shape_type,
            feature_count: shx_count,
        };
        if let Some(dbf_path) = dbf_path {
            shapefile.read_dbf_header(&dbf_path, encoding_override)?;
            shapefile.feature_count = shapefile.feature_count.or(Some(shapefile.dbf_records));
        }
        Ok(shapefile)
    }

    fn read_dbf_header(&mut self, dbf: &Path, encoding_override: Option<&str>) -> Result<(), ImportError> {
        let mut file = File::open(dbf).map_err(io_error(dbf))?;
        let file_len = file.metadata().map_err(io_error(dbf))?.len();
        let mut fixed = [0u8; 32];
        file.read_exact(&mut fixed).map_err(|_| malformed(dbf, "shorter than the 32-byte DBF header"))?;
        let records = u32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let header_len = usize::from(u16::from_le_bytes([fixed[8], fixed[9]]));
        let record_len = usize::from(u16::from_le_bytes([fixed[10], fixed[11]]));
        let language_driver = fixed[29];
        if header_len < 33 || header_len as u64 > file_len {
            return Err(malformed(dbf, format!("the header says it is {header_len} bytes long but the file has {file_len}")));
        }
        let mut descriptors = vec![0u8; header_len - 32];
        file.read_exact(&mut descriptors).map_err(|_| malformed(dbf, "the field descriptors are cut off"))?;
        let mut fields = Vec::new();
        let mut width = 1; // the deletion flag
        for chunk in descriptors.chunks(32) {
            if chunk.first() == Some(&0x0D) || chunk.len() < 32 {
                break;
            }
            let name_bytes = chunk[..11].split(|&b| b == 0).next().unwrap_or_default();
            let field = DbfField {
                name: String::from_utf8_lossy(name_bytes).trim().to_owned(),
                kind: chunk[11],
                length: usize::from(chunk[16]),
                decimals: chunk[17],
            };
            width += field.length;
            fields.push(field);
        }
        if width != record_len {
            return Err(malformed(
                dbf,
                format!("the header says records are {record_len} bytes but its {} fields add up to {width}", fields.len()),
            ));
        }
        let available = (file_len - header_len as u64) / record_len.max(1) as u64;
        if u64::from(records) > available {
            return Err(malformed(
                dbf,
                format!("the header says {records} records but the file holds only {available} (truncated, or the header lies)"),
            ));
        }
        self.fields = fields;
        self.dbf_header_len = header_len;
        self.dbf_record_len = record_len;
        self.dbf_records = u64::from(records);
        // Field names: Chinese names are common; decode them with the same encoding below.
        let (encoding, evidence) = self.choose_encoding(dbf, language_driver, encoding_override)?;
        self.encoding_impl = encoding;
        self.encoding = EncodingChoice { name: encoding.name().to_owned(), evidence };
        let raw_names: Vec<Vec<u8>> = descriptors
            .chunks(32)
            .take(self.fields.len())
            .map(|chunk| chunk[..11].split(|&b| b == 0).next().unwrap_or_default().to_vec())
            .collect();
        for (field, raw) in self.fields.iter_mut().zip(raw_names) {
            field.name = encoding.decode_without_bom_handling(&raw).0.trim().to_owned();
        }
        Ok(())
    }

    fn choose_encoding(
        &self,
        dbf: &Path,
        language_driver: u8,
        encoding_override: Option<&str>,
    ) -> Result<(&'static Encoding, String), ImportError> {
        if let Some(label) = encoding_override {
            let encoding = encoding_from_label(label).ok_or_else(|| ImportError::Profile(format!("unknown encoding {label:?}")))?;
            return Ok((encoding, format!("chosen by the profile: {label}")));
        }
        if let Some(cpg) = sibling(dbf, "cpg") {
            let label = std::fs::read_to_string(&cpg).unwrap_or_default();
            return match encoding_from_label(&label) {
                Some(encoding) => Ok((encoding, format!(".cpg says {:?}", label.trim()))),
                None => Err(malformed(&cpg, format!("unknown encoding {:?}", label.trim()))),
            };
        }
        match language_driver {
            0x4D => return Ok((encoding_rs::GBK, "no .cpg; DBF language driver 0x4D (CP936)".into())),
            0x7A => return Ok((encoding_rs::GBK, "no .cpg; DBF language driver 0x7A (GBK)".into())),
            0x57 | 0x03 => {
                return Ok((encoding_rs::WINDOWS_1252, format!("no .cpg; DBF language driver 0x{language_driver:02X} (Windows ANSI)")));
            }
            _ => {}
        }
        // Sample up to 2,000 records: text that is valid UTF-8 with non-ASCII in it is UTF-8.
        let mut file = BufReader::new(File::open(dbf).map_err(io_error(dbf))?);
        let mut skip = vec![0u8; self.dbf_header_len];
        file.read_exact(&mut skip).map_err(io_error(dbf))?;
        let sample = (self.dbf_records.min(2_000) as usize) * self.dbf_record_len;
        let mut bytes = vec![0u8; sample];
        file.read_exact(&mut bytes).map_err(io_error(dbf))?;
        Ok(if std::str::from_utf8(&bytes).is_ok() {
            (encoding_rs::UTF_8, "no .cpg and no language driver; the text is valid UTF-8".into())
        } else {
            (encoding_rs::GBK, "no .cpg and no language driver; the text is not UTF-8, read as GBK".into())
        })
    }

    /// The fields with their declared types.
    pub(crate) fn fields(&self) -> Vec<FieldInfo> {
        self.fields
            .iter()
            .map(|field| FieldInfo {
                name: field.name.clone(),
                kind: match field.kind {
                    b'N' | b'F' if field.decimals == 0 => FieldKind::Integer,
                    b'N' | b'F' | b'O' => FieldKind::Real,
                    b'L' => FieldKind::Boolean,
                    b'D' => FieldKind::Date,
                    _ => FieldKind::Text,
                },
            })
            .collect()
    }

    fn attributes_of(&self, record: &[u8]) -> Vec<(String, Value)> {
        let mut at = 1;
        let mut attributes = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let raw = record.get(at..at + field.length).unwrap_or_default();
            at += field.length;
            let value = match field.kind {
                b'N' | b'F' | b'O' => {
                    let text = String::from_utf8_lossy(raw);
                    let text = text.trim();
                    if text.is_empty() || text.starts_with('*') {
                        Value::Null
                    } else if let (0, Ok(integer)) = (field.decimals, text.parse::<i64>()) {
                        Value::Integer(integer)
                    } else {
                        text.parse::<f64>().map_or_else(|_| Value::Text(text.to_owned()), Value::Real)
                    }
                }
                b'L' => match raw.first() {
                    Some(b'T' | b't' | b'Y' | b'y') => Value::Boolean(true),
                    Some(b'F' | b'f' | b'N' | b'n') => Value::Boolean(false),
                    _ => Value::Null,
                },
                b'D' => {
                    let text = String::from_utf8_lossy(raw);
                    let text = text.trim();
                    // GDAL and ArcGIS write an unset date as zeros or blanks.
                    if text.is_empty() || text.bytes().all(|b| b == b'0') {
                        Value::Null
                    } else if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
                        Value::Text(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]))
                    } else {
                        Value::Text(text.to_owned())
                    }
                }
                _ => {
                    let text = self.encoding_impl.decode_without_bom_handling(raw).0;
                    let text = text.trim_end_matches(['\0', ' ']).trim_start();
                    if text.is_empty() { Value::Null } else { Value::Text(text.to_owned()) }
                }
            };
            attributes.push((field.name.clone(), value));
        }
        attributes
    }

    /// Streams the features in file order.
    pub(crate) fn read(&self, visit: &mut dyn FnMut(SourceFeature) -> Result<ControlFlow<()>, ImportError>) -> Result<(), ImportError> {
        let shp_path = &self.shp_path;
        let shp_file = File::open(shp_path).map_err(io_error(shp_path))?;
        let shp_len = shp_file.metadata().map_err(io_error(shp_path))?.len();
        let mut shp = BufReader::with_capacity(1 << 16, shp_file);
        let mut header = [0u8; 100];
        shp.read_exact(&mut header).map_err(io_error(shp_path))?;
        let mut dbf = match &self.dbf_path {
            Some(path) => {
                let mut reader = BufReader::with_capacity(1 << 16, File::open(path).map_err(io_error(path))?);
                let mut skip = vec![0u8; self.dbf_header_len];
                reader.read_exact(&mut skip).map_err(io_error(path))?;
                Some(reader)
            }
            None => None,
        };
        let mut record = vec![0u8; self.dbf_record_len];
        let mut offset: u64 = 100;
        let mut index: u64 = 0;
        let mut content = Vec::new();
        while offset < shp_len {
            let mut record_header = [0u8; 8];
            if shp.read_exact(&mut record_header).is_err() {
                return Err(malformed(shp_path, format!("record {} is cut off at byte {offset} (truncated file)", index + 1)));
            }
            let words = i32_be(&record_header, 4).unwrap_or(-1);
            let content_len = u64::try_from(words).ok().map(|w| w * 2).filter(|len| *len >= 4 && offset + 8 + len <= shp_len);
            let Some(content_len) = content_len else {
                return Err(malformed(
                    shp_path,
                    format!(
                        "record {} at byte {offset} claims {} bytes but the file has {} left (truncated file)",
                        index + 1,
                        i64::from(words) * 2,
                        shp_len.saturating_sub(offset + 8)
                    ),
                ));
            };
            // Bounded by the file length checked above.
            content.resize(usize::try_from(content_len).unwrap_or(0), 0);
            shp.read_exact(&mut content).map_err(io_error(shp_path))?;
            let (geometry, unclosed_rings) = geometry_from_record(&content)
                .map_err(|problem| malformed(shp_path, format!("record {} at byte {offset}: {problem}", index + 1)))?;
            offset += 8 + content_len;
            let attributes = match (&mut dbf, &self.dbf_path) {
                (Some(reader), Some(path)) if index < self.dbf_records => {
                    reader.read_exact(&mut record).map_err(|_| malformed(path, format!("record {} is cut off", index + 1)))?;
                    self.attributes_of(&record)
                }
                (Some(_), Some(path)) => {
                    return Err(malformed(path, format!("has {} records but the .shp has more (record {})", self.dbf_records, index + 1)));
                }
                _ => Vec::new(),
            };
            let deleted = record.first() == Some(&b'*');
            if !deleted && visit(SourceFeature { index, geometry, attributes, unclosed_rings })?.is_break() {
                return Ok(());
            }
            index += 1;
        }
        Ok(())
    }
}

fn points_of(content: &[u8], at: usize, count: usize) -> Result<Vec<Coord<f64>>, String> {
    (0..count)
        .map(|i| match (f64_le(content, at + i * 16), f64_le(content, at + i * 16 + 8)) {
            (Some(x), Some(y)) => Ok(Coord { x, y }),
            _ => Err(format!("point {} lies past the end of the record", i + 1)),
        })
        .collect()
}

/// Decodes one record's content (shape type + data). Z and M are dropped.
fn geometry_from_record(content: &[u8]) -> Result<(Option<Geometry<f64>>, u32), String> {
    let shape_type = i32_le(content, 0).ok_or("no shape type")?;
    match shape_type {
        0 => Ok((None, 0)),
        1 | 11 | 21 => {
            let points = points_of(content, 4, 1)?;
            Ok((points.first().map(|coord| Geometry::Point(Point(*coord))), 0))
        }
        8 | 18 | 28 => {
            let count = usize::try_from(i32_le(content, 36).ok_or("no point count")?).map_err(|_| "negative point count")?;
            if count > content.len() / 16 {
                return Err(format!("claims {count} points, more than the record holds"));
            }
            Ok((Some(Geometry::MultiPoint(MultiPoint(points_of(content, 40, count)?.into_iter().map(Point).collect()))), 0))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            let parts = usize::try_from(i32_le(content, 36).ok_or("no part count")?).map_err(|_| "negative part count")?;
            let count = usize::try_from(i32_le(content, 40).ok_or("no point count")?).map_err(|_| "negative point count")?;
            if parts > content.len() / 4 || count > content.len() / 16 {
                return Err(format!("claims {parts} parts and {count} points, more than the record holds"));
            }
            let starts = (0..parts)
                .map(|i| i32_le(content, 44 + i * 4).and_then(|s| usize::try_from(s).ok()).ok_or("bad part index"))
                .collect::<Result<Vec<_>, _>>()?;
            let points = points_of(content, 44 + parts * 4, count)?;
            let mut lines = Vec::with_capacity(parts);
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(count);
                let slice = points.get(start..end).ok_or_else(|| format!("part {} has indexes {start}..{end} out of order", i + 1))?;
                lines.push(LineString(slice.to_vec()));
            }
            if matches!(shape_type, 3 | 13 | 23) {
                let line = if lines.len() == 1 {
                    Geometry::LineString(lines.remove(0))
                } else {
                    Geometry::MultiLineString(MultiLineString(lines))
                };
                return Ok((Some(line), 0));
            }
            let unclosed = lines.iter().filter(|ring| ring.0.len() > 1 && ring.0.first() != ring.0.last()).count();
            Ok((Some(polygons_from_rings(lines)), u32::try_from(unclosed).unwrap_or(u32::MAX)))
        }
        other => Err(format!("unsupported shape type {other}")),
    }
}

/// Shapefile rings: clockwise outer rings, each followed by its counter-clockwise holes.
fn polygons_from_rings(rings: Vec<LineString<f64>>) -> Geometry<f64> {
    let mut polygons: Vec<(LineString<f64>, Vec<LineString<f64>>)> = Vec::new();
    for ring in rings {
        match polygons.last_mut() {
            Some((_, holes)) if ring.is_ccw() => holes.push(ring),
            _ => polygons.push((ring, Vec::new())),
        }
    }
    let mut polygons: Vec<Polygon<f64>> = polygons.into_iter().map(|(outer, holes)| Polygon::new(outer, holes)).collect();
    if polygons.len() == 1 { Geometry::Polygon(polygons.remove(0)) } else { Geometry::MultiPolygon(MultiPolygon(polygons)) }
}

/// Writes a point shapefile with text and integer fields (tests and the import benchmark).
///
/// # Errors
/// I/O errors.
pub fn write_point_shapefile(
    path: &Path,
    fields: &[(&str, usize)],
    features: &mut dyn Iterator<Item = (Coord<f64>, Vec<String>)>,
    encoding_label: &str,
) -> std::io::Result<u64> {
    use std::io::Write;
    let encoding = encoding_from_label(encoding_label).unwrap_or(encoding_rs::UTF_8);
    let shp_path = path.with_extension("shp");
    let mut shp = std::io::BufWriter::new(File::create(&shp_path)?);
    let mut shx = std::io::BufWriter::new(File::create(path.with_extension("shx"))?);
    let mut dbf = std::io::BufWriter::new(File::create(path.with_extension("dbf"))?);
    std::fs::write(path.with_extension("cpg"), encoding_label)?;
    // Headers are rewritten at the end, when the count and the extent are known.
    shp.write_all(&[0u8; 100])?;
    shx.write_all(&[0u8; 100])?;
    let record_len: usize = 1 + fields.iter().map(|(_, width)| width).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    dbf.write_all(&vec![0u8; header_len])?;
    let (mut min, mut max) = (Coord { x: f64::MAX, y: f64::MAX }, Coord { x: f64::MIN, y: f64::MIN });
    let mut count: u64 = 0;
    for (coord, values) in features {
        let offset_words = (100 + count * 28) / 2;
        shp.write_all(&i32::try_from(count + 1).unwrap_or(i32::MAX).to_be_bytes())?;
        shp.write_all(&10i32.to_be_bytes())?;
        shp.write_all(&1i32.to_le_bytes())?;
        shp.write_all(&coord.x.to_le_bytes())?;
        shp.write_all(&coord.y.to_le_bytes())?;
        shx.write_all(&i32::try_from(offset_words).unwrap_or(i32::MAX).to_be_bytes())?;
        shx.write_all(&10i32.to_be_bytes())?;
        (min.x, min.y, max.x, max.y) = (min.x.min(coord.x), min.y.min(coord.y), max.x.max(coord.x), max.y.max(coord.y));
        dbf.write_all(b" ")?;
        for ((_, width), value) in fields.iter().zip(values.iter().map(String::as_str).chain(std::iter::repeat(""))) {
            let mut bytes = encoding.encode(value).0.into_owned();
            bytes.truncate(*width);
            bytes.resize(*width, b' ');
            dbf.write_all(&bytes)?;
        }
        count += 1;
    }
    dbf.write_all(&[0x1A])?;
    let header = |file_len_bytes: u64| {
        let mut header = [0u8; 100];
        header[..4].copy_from_slice(&9994i32.to_be_bytes());
        header[24..28].copy_from_slice(&i32::try_from(file_len_bytes / 2).unwrap_or(i32::MAX).to_be_bytes());
        header[28..32].copy_from_slice(&1000i32.to_le_bytes());
        header[32..36].copy_from_slice(&1i32.to_le_bytes());
        for (i, value) in [min.x, min.y, max.x, max.y].into_iter().enumerate() {
            header[36 + i * 8..44 + i * 8].copy_from_slice(&value.to_le_bytes());
        }
        header
    };
    let mut shp = shp.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    let mut shx = shx.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    let mut dbf = dbf.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    use std::io::{Seek, SeekFrom};
    shp.seek(SeekFrom::Start(0))?;
    shp.write_all(&header(100 + count * 28))?;
    shx.seek(SeekFrom::Start(0))?;
    shx.write_all(&header(100 + count * 8))?;
    let mut dbf_header = vec![0u8; header_len];
    dbf_header[0] = 0x03;
    dbf_header[1..4].copy_from_slice(&[126, 1, 1]);
    dbf_header[4..8].copy_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
    dbf_header[8..10].copy_from_slice(&u16::try_from(header_len).unwrap_or(u16::MAX).to_le_bytes());
    dbf_header[10..12].copy_from_slice(&u16::try_from(record_len).unwrap_or(u16::MAX).to_le_bytes());
    for (i, (name, width)) in fields.iter().enumerate() {
        let at = 32 + i * 32;
        let bytes = encoding.encode(name).0;
        let len = bytes.len().min(10);
        dbf_header[at..at + len].copy_from_slice(&bytes[..len]);
        dbf_header[at + 11] = b'C';
        dbf_header[at + 16] = u8::try_from(*width).unwrap_or(254);
    }
    dbf_header[header_len - 1] = 0x0D;
    dbf.seek(SeekFrom::Start(0))?;
    dbf.write_all(&dbf_header)?;
    Ok(count)
}
