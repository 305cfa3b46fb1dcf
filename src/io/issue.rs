//! Problems found in single features, and the automatic fixes made, in words a district's GIS
//! operator can act on — in Chinese and English, like every label in the app
//! (`message(chinese)`, the way `model` labels are picked).

/// Families of issues; the user chooses stop / skip / fix per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueClass {
    /// Missing, empty or invalid geometry, or the wrong type for the target.
    Geometry,
    /// Coordinates that are not what the file claims, or far from the district.
    Coordinates,
    /// Malformed or duplicate codes.
    Code,
    /// Values that name nothing we know: classes, units, parent codes.
    Reference,
    /// Missing required fields, bad dates, values outside their list.
    Value,
}

impl IssueClass {
    /// Every class, in display order.
    pub const ALL: [Self; 5] = [Self::Geometry, Self::Coordinates, Self::Code, Self::Reference, Self::Value];

    /// Parses `geometry` / `coordinates` / `code` / `reference` / `value`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "geometry" => Some(Self::Geometry),
            "coordinates" => Some(Self::Coordinates),
            "code" | "codes" => Some(Self::Code),
            "reference" | "references" => Some(Self::Reference),
            "value" | "values" => Some(Self::Value),
            _ => None,
        }
    }

    /// Label in the chosen language.
    #[must_use]
    pub fn label(self, chinese: bool) -> &'static str {
        match (self, chinese) {
            (Self::Geometry, true) => "几何",
            (Self::Geometry, false) => "Geometry",
            (Self::Coordinates, true) => "坐标",
            (Self::Coordinates, false) => "Coordinates",
            (Self::Code, true) => "编码",
            (Self::Code, false) => "Codes",
            (Self::Reference, true) => "引用",
            (Self::Reference, false) => "References",
            (Self::Value, true) => "属性值",
            (Self::Value, false) => "Values",
        }
    }
}

/// What is wrong with a feature.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IssueKind {
    MissingGeometry,
    EmptyGeometry,
    /// NaN or infinite coordinates.
    NonFinite,
    TooFewPoints {
        found: usize,
        needed: usize,
    },
    /// A polygon ring whose last point is not its first.
    UnclosedRing,
    /// The same point twice in a row.
    RepeatedPoints {
        count: usize,
    },
    /// Self-intersection or another invalidity geo reports.
    InvalidGeometry {
        problem: String,
    },
    WrongGeometry {
        expected: String,
        found: String,
    },
    /// Projected metres in a file that says degrees.
    MetresAsDegrees {
        x: f64,
        y: f64,
        suggestion: String,
    },
    /// Latitude where longitude belongs.
    SwappedLonLat {
        x: f64,
        y: f64,
    },
    OutsideDistrict {
        distance_km: f64,
        lon: f64,
        lat: f64,
    },
    /// A Gauss-Krüger easting without the zone number the system expects.
    ZonePrefixMissing {
        x: f64,
        zone: u32,
    },
    /// A Gauss-Krüger easting with another zone's number, or a prefix the system does not expect.
    ZonePrefixWrong {
        x: f64,
        found: u32,
        expected: Option<u32>,
    },
    MissingField {
        target: String,
    },
    MalformedCode {
        value: String,
    },
    DuplicateInFile {
        value: String,
        first_feature: u64,
    },
    DuplicateInDatabase {
        value: String,
    },
    UnknownClass {
        value: String,
    },
    UnknownUnit {
        value: String,
    },
    /// A jurisdiction's parent code that is neither in the database nor in the file.
    UnknownParent {
        value: String,
    },
    BadDate {
        value: String,
        formats: String,
    },
    BadValue {
        value: String,
        allowed: String,
    },
}

impl IssueKind {
    /// The family the user sets a policy for.
    #[must_use]
    pub fn class(&self) -> IssueClass {
        match self {
            Self::MissingGeometry
            | Self::EmptyGeometry
            | Self::NonFinite
            | Self::TooFewPoints { .. }
            | Self::UnclosedRing
            | Self::RepeatedPoints { .. }
            | Self::InvalidGeometry { .. }
            | Self::WrongGeometry { .. } => IssueClass::Geometry,
            Self::MetresAsDegrees { .. }
            | Self::SwappedLonLat { .. }
            | Self::OutsideDistrict { .. }
            | Self::ZonePrefixMissing { .. }
            | Self::ZonePrefixWrong { .. } => IssueClass::Coordinates,
            Self::MalformedCode { .. } | Self::DuplicateInFile { .. } | Self::DuplicateInDatabase { .. } => IssueClass::Code,
            Self::UnknownClass { .. } | Self::UnknownUnit { .. } | Self::UnknownParent { .. } => IssueClass::Reference,
            Self::MissingField { .. } | Self::BadDate { .. } | Self::BadValue { .. } => IssueClass::Value,
        }
    }

    /// Whether a safe automatic fix exists (a swap only when the whole file is swapped).
    #[must_use]
    pub fn fixable(&self) -> bool {
        matches!(self, Self::UnclosedRing | Self::RepeatedPoints { .. } | Self::SwappedLonLat { .. })
    }

    /// The problem in plain words.
    #[must_use]
    pub fn message(&self, chinese: bool) -> String {
        match (self, chinese) {
            (Self::MissingGeometry, true) => "没有几何图形".into(),
            (Self::MissingGeometry, false) => "has no geometry".into(),
            (Self::EmptyGeometry, true) => "几何图形为空".into(),
            (Self::EmptyGeometry, false) => "the geometry is empty".into(),
            (Self::NonFinite, true) => "坐标不是有效数字（NaN 或无穷大）".into(),
            (Self::NonFinite, false) => "coordinates are not numbers (NaN or infinite)".into(),
            (Self::TooFewPoints { found, needed }, true) => format!("只有 {found} 个点，至少需要 {needed} 个"),
            (Self::TooFewPoints { found, needed }, false) => format!("has {found} points, needs at least {needed}"),
            (Self::UnclosedRing, true) => "面的边界环未闭合（终点不等于起点）".into(),
            (Self::UnclosedRing, false) => "a polygon ring is not closed (its last point is not its first)".into(),
            (Self::RepeatedPoints { count }, true) => format!("有 {count} 个连续重复点"),
            (Self::RepeatedPoints { count }, false) => format!("has {count} repeated consecutive points"),
            (Self::InvalidGeometry { problem }, true) => format!("几何图形无效：{problem}"),
            (Self::InvalidGeometry { problem }, false) => format!("invalid geometry: {problem}"),
            (Self::WrongGeometry { expected, found }, true) => format!("几何类型应为{expected}，实际为{found}"),
            (Self::WrongGeometry { expected, found }, false) => format!("geometry should be {expected}, is {found}"),
            (Self::MetresAsDegrees { x, y, suggestion }, true) => {
                format!("坐标 ({x}, {y}) 像是投影坐标（米），但文件声明为经纬度（度）{suggestion}")
            }
            (Self::MetresAsDegrees { x, y, suggestion }, false) => {
                format!("coordinates ({x}, {y}) look like projected metres but the file says degrees{suggestion}")
            }
            (Self::SwappedLonLat { x, y }, true) => format!("经纬度颠倒：({x}, {y}) 应为 ({y}, {x})"),
            (Self::SwappedLonLat { x, y }, false) => format!("latitude and longitude are swapped: ({x}, {y}) should be ({y}, {x})"),
            (Self::OutsideDistrict { distance_km, lon, lat }, true) => {
                format!("位置 ({lon:.5}, {lat:.5}) 在本区范围外 {distance_km:.1} 公里")
            }
            (Self::OutsideDistrict { distance_km, lon, lat }, false) => {
                format!("lies {distance_km:.1} km outside the district at ({lon:.5}, {lat:.5})")
            }
            (Self::ZonePrefixMissing { x, zone }, true) => format!("横坐标 {x} 缺少带号前缀 {zone}"),
            (Self::ZonePrefixMissing { x, zone }, false) => {
                format!("easting {x} lacks the zone prefix {zone} the coordinate system expects")
            }
            (Self::ZonePrefixWrong { x, found, expected: Some(expected) }, true) => {
                format!("横坐标 {x} 的带号为 {found}，坐标系应为 {expected} 带")
            }
            (Self::ZonePrefixWrong { x, found, expected: Some(expected) }, false) => {
                format!("easting {x} carries zone {found} but the coordinate system is zone {expected}")
            }
            (Self::ZonePrefixWrong { x, found, expected: None }, true) => {
                format!("横坐标 {x} 带有带号 {found}，但坐标系不带带号（请选用带号坐标系）")
            }
            (Self::ZonePrefixWrong { x, found, expected: None }, false) => {
                format!("easting {x} carries zone prefix {found} but the coordinate system has none (choose the zone-prefixed one)")
            }
            (Self::MissingField { target }, true) => format!("缺少必填项 {target}"),
            (Self::MissingField { target }, false) => format!("the required {target} is missing"),
            (Self::MalformedCode { value }, true) => format!("编码 {value:?} 格式不对（应为 16 位数字）"),
            (Self::MalformedCode { value }, false) => format!("code {value:?} is malformed (16 digits expected)"),
            (Self::DuplicateInFile { value, first_feature }, true) => format!("编码 {value} 与第 {} 个要素重复", first_feature + 1),
            (Self::DuplicateInFile { value, first_feature }, false) => {
                format!("code {value} duplicates feature {}", first_feature + 1)
            }
            (Self::DuplicateInDatabase { value }, true) => format!("编码 {value} 在数据库中已存在"),
            (Self::DuplicateInDatabase { value }, false) => format!("code {value} is already in the database"),
            (Self::UnknownClass { value }, true) => format!("类别 {value} 不在指挥手册中"),
            (Self::UnknownClass { value }, false) => format!("class {value} is not in the command manual"),
            (Self::UnknownUnit { value }, true) => format!("未知单位 {value:?}"),
            (Self::UnknownUnit { value }, false) => format!("unknown unit {value:?}"),
            (Self::UnknownParent { value }, true) => format!("上级编码 {value:?} 在数据库和文件中都不存在"),
            (Self::UnknownParent { value }, false) => format!("parent code {value:?} is neither in the database nor in the file"),
            (Self::BadDate { value, formats }, true) => format!("日期 {value:?} 无法识别（格式：{formats}）"),
            (Self::BadDate { value, formats }, false) => format!("date {value:?} not understood (formats: {formats})"),
            (Self::BadValue { value, allowed }, true) => format!("值 {value:?} 无效（可选：{allowed}）"),
            (Self::BadValue { value, allowed }, false) => format!("value {value:?} is not allowed (one of: {allowed})"),
        }
    }
}

/// One problem: which feature, which field, what.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Issue {
    /// 0-based feature position in the layer.
    pub feature: u64,
    /// The feature's code or number where it has one.
    pub feature_id: Option<String>,
    /// The source field involved, if one is.
    pub field: Option<String>,
    pub kind: IssueKind,
}

impl Issue {
    /// `feature 12 (3410040118000042), field BM: code … is malformed` in the chosen language.
    #[must_use]
    pub fn describe(&self, chinese: bool) -> String {
        let id = self.feature_id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default();
        let field = match (&self.field, chinese) {
            (Some(field), true) => format!("，字段 {field}"),
            (Some(field), false) => format!(", field {field}"),
            (None, _) => String::new(),
        };
        if chinese {
            format!("第 {} 个要素{id}{field}：{}", self.feature + 1, self.kind.message(true))
        } else {
            format!("feature {}{id}{field}: {}", self.feature + 1, self.kind.message(false))
        }
    }
}

/// An automatic fix that was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    ClosedRing,
    DroppedRepeatedPoints,
    SwappedLonLat,
}

/// A fix made to one feature.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fix {
    pub feature: u64,
    pub feature_id: Option<String>,
    pub kind: FixKind,
}

impl Fix {
    /// In plain words.
    #[must_use]
    pub fn describe(&self, chinese: bool) -> String {
        let id = self.feature_id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default();
        let what = match (self.kind, chinese) {
            (FixKind::ClosedRing, true) => "已闭合面的边界环",
            (FixKind::ClosedRing, false) => "closed a polygon ring",
            (FixKind::DroppedRepeatedPoints, true) => "已删除连续重复点",
            (FixKind::DroppedRepeatedPoints, false) => "dropped repeated points",
            (FixKind::SwappedLonLat, true) => "已交换经纬度",
            (FixKind::SwappedLonLat, false) => "swapped latitude and longitude",
        };
        if chinese {
            format!("第 {} 个要素{id}：{what}", self.feature + 1)
        } else {
            format!("feature {}{id}: {what}", self.feature + 1)
        }
    }
}
