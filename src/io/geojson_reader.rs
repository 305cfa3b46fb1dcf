//! GeoJSON (RFC 7946) read as a stream: a FeatureCollection's features are handed over one at
//! a time while the file is parsed, so a million features are never all in memory, and the
//! text is never held whole. A lone Feature is read too. The pre-RFC `crs` member is kept
//! (GDAL still writes it for projected data); it must come before `features`, as GDAL puts it.

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

use geo::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::ImportError;
use super::feature::{SourceFeature, Value as Attr};

/// What the stream has seen before its features.
#[derive(Debug, Default, Clone)]
pub(crate) struct GeoJsonHead {
    /// `crs.properties.name` when present.
    pub crs_name: Option<String>,
    /// The `name` member GDAL writes.
    pub layer_name: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawFeature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    geometry: Option<RawGeometry>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, Value>>,
}

#[derive(serde::Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: Option<Value>,
    #[serde(default)]
    geometries: Option<Vec<Option<RawGeometry>>>,
}

type Visit<'a> = dyn FnMut(SourceFeature) -> Result<ControlFlow<()>, ImportError> + 'a;

/// Shared state of the parse: the visitor, and why it stopped if it stopped on purpose.
struct Stream<'v, 'a> {
    visit: &'v mut Visit<'a>,
    head: GeoJsonHead,
    next_index: u64,
    /// Set when the visitor asked to stop or failed; the parse is then unwound with a marker.
    outcome: Option<Result<(), ImportError>>,
    /// Stop before the first feature (only the head is wanted).
    head_only: bool,
}

const STOP_MARKER: &str = "citygrid: stopped on purpose";

impl Stream<'_, '_> {
    fn deliver<E: de::Error>(&mut self, raw: RawFeature) -> Result<(), E> {
        if self.head_only {
            self.outcome = Some(Ok(()));
            return Err(E::custom(STOP_MARKER));
        }
        let index = self.next_index;
        self.next_index += 1;
        if raw.kind.as_deref().is_some_and(|kind| kind != "Feature") {
            self.outcome = Some(Err(ImportError::Malformed {
                what: format!("feature {}: \"type\" is {:?}, not \"Feature\"", index + 1, raw.kind.unwrap_or_default()),
            }));
            return Err(E::custom(STOP_MARKER));
        }
        let geometry = match raw.geometry.as_ref().map(geometry_from_raw).transpose() {
            Ok(geometry) => geometry,
            Err(problem) => {
                self.outcome = Some(Err(ImportError::Malformed { what: format!("feature {}: geometry {problem}", index + 1) }));
                return Err(E::custom(STOP_MARKER));
            }
        };
        let unclosed_rings = raw.geometry.as_ref().map_or(0, unclosed_rings_of);
        let attributes = raw.properties.unwrap_or_default().into_iter().map(|(name, value)| (name, attr_from_json(value))).collect();
        match (self.visit)(SourceFeature { index, geometry, attributes, unclosed_rings }) {
            Ok(ControlFlow::Continue(())) => Ok(()),
            Ok(ControlFlow::Break(())) => {
                self.outcome = Some(Ok(()));
                Err(E::custom(STOP_MARKER))
            }
            Err(error) => {
                self.outcome = Some(Err(error));
                Err(E::custom(STOP_MARKER))
            }
        }
    }
}

/// Rings whose last position differs from the first (before `geo` closes them).
fn unclosed_rings_of(raw: &RawGeometry) -> u32 {
    let open_rings = |polygon: &Value| match polygon {
        Value::Array(rings) => {
            rings.iter().filter(|ring| matches!(ring, Value::Array(points) if points.len() > 1 && points.first() != points.last())).count()
        }
        _ => 0,
    };
    let count = match (raw.kind.as_str(), &raw.coordinates) {
        ("Polygon", Some(polygon)) => open_rings(polygon),
        ("MultiPolygon", Some(Value::Array(polygons))) => polygons.iter().map(open_rings).sum(),
        _ => 0,
    };
    u32::try_from(count).unwrap_or(u32::MAX)
}

fn attr_from_json(value: Value) -> Attr {
    match value {
        Value::Null => Attr::Null,
        Value::Bool(value) => Attr::Boolean(value),
        Value::Number(number) => number.as_i64().map_or_else(|| Attr::Real(number.as_f64().unwrap_or(f64::NAN)), Attr::Integer),
        Value::String(text) => Attr::Text(text),
        other => Attr::Text(other.to_string()),
    }
}

fn coord_from(value: &Value) -> Result<Coord<f64>, String> {
    let Value::Array(items) = value else { return Err(format!("has a position that is not an array: {value}")) };
    match items.as_slice() {
        [x, y, ..] => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => Ok(Coord { x, y }),
            _ => Err(format!("has a position that is not numbers: {value}")),
        },
        _ => Err(format!("has a position with fewer than two numbers: {value}")),
    }
}

fn coords_from(value: &Value) -> Result<Vec<Coord<f64>>, String> {
    let Value::Array(items) = value else { return Err("has coordinates that are not an array".into()) };
    items.iter().map(coord_from).collect()
}

fn rings_from(value: &Value) -> Result<Vec<LineString<f64>>, String> {
    let Value::Array(items) = value else { return Err("has coordinates that are not an array".into()) };
    items.iter().map(|ring| coords_from(ring).map(LineString)).collect()
}

fn polygon_from(value: &Value) -> Result<Polygon<f64>, String> {
    let mut rings = rings_from(value)?.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
    Ok(Polygon::new(exterior, rings.collect()))
}

fn array_of(value: &Value) -> Result<&[Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err("has coordinates that are not an array".into()),
    }
}

fn geometry_from_raw(raw: &RawGeometry) -> Result<Geometry<f64>, String> {
    if raw.kind == "GeometryCollection" {
        let parts = raw.geometries.as_deref().unwrap_or_default();
        let geometries = parts.iter().flatten().map(geometry_from_raw).collect::<Result<Vec<_>, _>>()?;
        return Ok(Geometry::GeometryCollection(GeometryCollection(geometries)));
    }
    let coordinates = raw.coordinates.as_ref().ok_or_else(|| format!("{} has no coordinates", raw.kind))?;
    Ok(match raw.kind.as_str() {
        "Point" => Geometry::Point(Point(coord_from(coordinates)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(coords_from(coordinates)?.into_iter().map(Point).collect())),
        "LineString" => Geometry::LineString(LineString(coords_from(coordinates)?)),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(rings_from(coordinates)?)),
        "Polygon" => Geometry::Polygon(polygon_from(coordinates)?),
        "MultiPolygon" => {
            Geometry::MultiPolygon(MultiPolygon(array_of(coordinates)?.iter().map(polygon_from).collect::<Result<Vec<_>, _>>()?))
        }
        other => return Err(format!("type {other:?} is not a GeoJSON geometry type")),
    })
}

/// The root object: a FeatureCollection (features streamed) or a lone Feature.
struct Root<'s, 'v, 'a>(&'s mut Stream<'v, 'a>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection or Feature object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let stream = self.0;
        let mut kind: Option<String> = None;
        let mut geometry: Option<RawGeometry> = None;
        let mut properties: Option<serde_json::Map<String, Value>> = None;
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value()?),
                "name" => stream.head.layer_name = map.next_value::<Value>()?.as_str().map(str::to_owned),
                "crs" => {
                    let crs: Value = map.next_value()?;
                    stream.head.crs_name = crs.pointer("/properties/name").and_then(Value::as_str).map(str::to_owned);
                }
                "features" => {
                    saw_features = true;
                    map.next_value_seed(Features(stream))?;
                }
                "geometry" => geometry = map.next_value()?,
                "properties" => properties = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match kind.as_deref() {
            Some("FeatureCollection") if saw_features => Ok(()),
            Some("FeatureCollection") => Err(de::Error::custom("a FeatureCollection without \"features\"")),
            Some("Feature") => stream.deliver(RawFeature { kind, geometry, properties }),
            Some(other) => Err(de::Error::custom(format!("the root object is a {other:?}, not a FeatureCollection or Feature"))),
            None => Err(de::Error::custom("the root object has no \"type\"")),
        }
    }
}

struct Features<'s, 'v, 'a>(&'s mut Stream<'v, 'a>);

impl<'de> DeserializeSeed<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(raw) = seq.next_element::<RawFeature>()? {
            self.0.deliver(raw)?;
        }
        Ok(())
    }
}

/// Reads a GeoJSON stream, calling `visit` with each feature in order; returns what came before
/// the features. `head_only` stops at the first feature.
pub(crate) fn read_geojson_from(reader: impl Read, head_only: bool, visit: &mut Visit<'_>) -> Result<GeoJsonHead, ImportError> {
    let mut stream = Stream { visit, head: GeoJsonHead::default(), next_index: 0, outcome: None, head_only };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let parsed = Root(&mut stream).deserialize(&mut deserializer).and_then(|()| deserializer.end());
    match (parsed, stream.outcome.take()) {
        (_, Some(Ok(()))) => Ok(stream.head),
        (_, Some(Err(error))) => Err(error),
        (Ok(()), None) => Ok(stream.head),
        (Err(error), None) => Err(if error.is_eof() && error.line() <= 1 && error.column() == 0 {
            ImportError::Empty
        } else {
            ImportError::Syntax { line: error.line(), column: error.column(), message: strip_position(&error.to_string()) }
        }),
    }
}

/// serde_json appends " at line L column C"; the message carries them separately.
fn strip_position(message: &str) -> String {
    message.rfind(" at line ").map_or(message, |end| &message[..end]).to_owned()
}

/// Reads a GeoJSON file.
pub(crate) fn read_geojson(path: &Path, head_only: bool, visit: &mut Visit<'_>) -> Result<GeoJsonHead, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    read_geojson_from(std::io::BufReader::with_capacity(1 << 16, file), head_only, visit)
}

/// Counts the bytes serde_json takes from the buffered file (it reads one byte at a time).
struct Counting<R> {
    inner: R,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + read as u64);
        Ok(read)
    }
}

/// How many of the first `probe` features there are and how many bytes they took (for the
/// count estimate of [`super::inspect`]).
pub(crate) fn bytes_of_first(path: &Path, probe: u64) -> Result<(u64, u64), ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let bytes = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = Counting { inner: std::io::BufReader::with_capacity(1 << 16, file), bytes: bytes.clone() };
    let mut seen = 0;
    let mut start = None;
    read_geojson_from(reader, false, &mut |_| {
        seen += 1;
        start.get_or_insert(bytes.get());
        Ok(if seen >= probe { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
    })?;
    Ok((seen, bytes.get().saturating_sub(start.unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<(GeoJsonHead, Vec<SourceFeature>), ImportError> {
        let mut features = Vec::new();
        let head = read_geojson_from(text.as_bytes(), false, &mut |feature| {
            features.push(feature);
            Ok(ControlFlow::Continue(()))
        })?;
        Ok((head, features))
    }

    #[test]
    fn a_collection_streams_its_features_in_order_with_the_crs_member() {
        let text = r#"{"type":"FeatureCollection","name":"lamps","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4527"}},
          "features":[{"type":"Feature","properties":{"BM":"3410040118000001","H":2.5},"geometry":{"type":"Point","coordinates":[1,2]}},
                      {"type":"Feature","properties":null,"geometry":null}]}"#;
        let (head, features) = read_all(text).expect("valid");
        assert_eq!(head.crs_name.as_deref(), Some("urn:ogc:def:crs:EPSG::4527"));
        assert_eq!(head.layer_name.as_deref(), Some("lamps"));
        assert_eq!(features.len(), 2);
        assert_eq!(features[0].geometry, Some(Geometry::Point(geo::point!(x: 1.0, y: 2.0))));
        assert_eq!(features[0].attribute("bm"), Some(&Attr::Text("3410040118000001".into())));
        assert_eq!(features[1].geometry, None);
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let text = "{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,]}}]}";
        let error = read_all(text).expect_err("broken");
        assert!(matches!(error, ImportError::Syntax { line: 2, .. }), "{error}");
    }

    #[test]
    fn a_position_with_one_number_is_an_error_not_a_panic() {
        let text = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1]}}"#;
        let error = read_all(text).expect_err("short position");
        assert!(error.to_string().contains("fewer than two numbers"), "{error}");
    }
}
