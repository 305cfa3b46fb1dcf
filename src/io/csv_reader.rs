//! CSV with coordinate columns: UTF-8 (with or without BOM) or GBK, comma, semicolon or tab.
//!
//! Fields are decoded one by one from bytes, so GBK files stream like UTF-8 ones (GBK never
//! uses the bytes of `,`, `"` or a line end inside a character).

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use encoding_rs::Encoding;
use geo::{Geometry, Point};

use super::ImportError;
use super::feature::{FieldInfo, FieldKind, SourceFeature, Value};
use super::shapefile::EncodingChoice;

/// Header names people give longitude / x and latitude / y columns, lower case.
const X_NAMES: [&str; 8] = ["lon", "lng", "longitude", "x", "经度", "坐标x", "x坐标", "jd"];
const Y_NAMES: [&str; 7] = ["lat", "latitude", "y", "纬度", "坐标y", "y坐标", "wd"];

/// An open CSV file.
pub(crate) struct CsvSource {
    pub(crate) path: std::path::PathBuf,
    pub headers: Vec<String>,
    pub delimiter: u8,
    encoding_impl: &'static Encoding,
    pub encoding: EncodingChoice,
    pub x_column: Option<usize>,
    pub y_column: Option<usize>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { path: path.to_owned(), source }
}

impl CsvSource {
    /// Opens a CSV file; `x_field`/`y_field` name the coordinate columns, else they are guessed.
    pub(crate) fn open(path: &Path, x_field: Option<&str>, y_field: Option<&str>) -> Result<Self, ImportError> {
        let mut head = Vec::new();
        File::open(path).map_err(io_error(path))?.take(64 * 1024).read_to_end(&mut head).map_err(io_error(path))?;
        if head.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty);
        }
        let (encoding_impl, evidence) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            (encoding_rs::UTF_8, "starts with a UTF-8 byte-order mark".to_owned())
        } else {
            // The sample may end inside a character: only a real error counts.
            match std::str::from_utf8(&head) {
                Ok(_) => (encoding_rs::UTF_8, "the text is valid UTF-8".to_owned()),
                Err(error) if error.error_len().is_none() => (encoding_rs::UTF_8, "the text is valid UTF-8".to_owned()),
                Err(_) => (encoding_rs::GBK, "the text is not UTF-8, read as GBK".to_owned()),
            }
        };
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let delimiter = [b',', b';', b'\t'].into_iter().max_by_key(|d| first_line.iter().filter(|b| *b == d).count()).unwrap_or(b',');
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(&head[..]);
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|error| ImportError::Malformed { what: format!("{}: {error}", path.display()) })?
            .iter()
            .map(|field| encoding_impl.decode_with_bom_removal(field).0.trim().to_owned())
            .collect();
        let find = |wanted: Option<&str>, guesses: &[&str]| match wanted {
            Some(name) => headers.iter().position(|header| header == name || header.eq_ignore_ascii_case(name)),
            None => headers.iter().position(|header| guesses.contains(&header.to_lowercase().as_str())),
        };
        let x_column = find(x_field, &X_NAMES);
        let y_column = find(y_field, &Y_NAMES);
        for (wanted, found) in [(x_field, x_column), (y_field, y_column)] {
            if let (Some(name), None) = (wanted, found) {
                return Err(ImportError::Profile(format!("the CSV has no column {name:?} (columns: {})", headers.join(", "))));
            }
        }
        Ok(Self {
            path: path.to_owned(),
            headers,
            delimiter,
            encoding_impl,
            encoding: EncodingChoice { name: encoding_impl.name().to_owned(), evidence },
            x_column,
            y_column,
        })
    }

    /// Every column as text, except the coordinate columns (real).
    pub(crate) fn fields(&self) -> Vec<FieldInfo> {
        self.headers
            .iter()
            .enumerate()
            .map(|(index, name)| FieldInfo {
                name: name.clone(),
                kind: if Some(index) == self.x_column || Some(index) == self.y_column { FieldKind::Real } else { FieldKind::Text },
            })
            .collect()
    }

    /// How many of the first `probe` rows there are and the bytes they took.
    pub(crate) fn bytes_of_first(&self, probe: u64) -> Result<(u64, u64), ImportError> {
        let file = BufReader::with_capacity(1 << 16, File::open(&self.path).map_err(io_error(&self.path))?);
        let mut reader = csv::ReaderBuilder::new().delimiter(self.delimiter).flexible(true).from_reader(file);
        let mut record = csv::ByteRecord::new();
        let mut seen = 0;
        let start = reader.position().byte();
        while seen < probe && reader.read_byte_record(&mut record).unwrap_or(false) {
            seen += 1;
        }
        Ok((seen, reader.position().byte().saturating_sub(start)))
    }

    /// Streams the rows as point features (no geometry when a coordinate cell is empty).
    pub(crate) fn read(&self, visit: &mut dyn FnMut(SourceFeature) -> Result<ControlFlow<()>, ImportError>) -> Result<(), ImportError> {
        let file = BufReader::with_capacity(1 << 16, File::open(&self.path).map_err(io_error(&self.path))?);
        let mut reader = csv::ReaderBuilder::new().delimiter(self.delimiter).flexible(true).from_reader(file);
        let mut record = csv::ByteRecord::new();
        let mut index = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(error) => {
                    let line = error.position().map_or(0, csv::Position::line);
                    return Err(ImportError::Malformed { what: format!("{}: line {line}: {error}", self.path.display()) });
                }
            }
            let text =
                |column: usize| record.get(column).map(|bytes| self.encoding_impl.decode_without_bom_handling(bytes).0.trim().to_owned());
            let coordinate = |column: Option<usize>| {
                column.and_then(text).filter(|cell| !cell.is_empty()).map(|cell| cell.parse::<f64>().unwrap_or(f64::NAN))
            };
            let geometry = match (coordinate(self.x_column), coordinate(self.y_column)) {
                (Some(x), Some(y)) => Some(Geometry::Point(Point::new(x, y))),
                _ => None,
            };
            let attributes = self
                .headers
                .iter()
                .enumerate()
                .map(|(column, name)| {
                    let value = text(column)
                        .filter(|cell| !cell.is_empty())
                        .map_or(Value::Null, |cell| Value::Text(crate::text::from_spreadsheet_safe(&cell).to_owned()));
                    (name.clone(), value)
                })
                .collect();
            if visit(SourceFeature { index, geometry, attributes, unclosed_rings: 0 })?.is_break() {
                return Ok(());
            }
            index += 1;
        }
    }
}
