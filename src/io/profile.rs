//! Mapping profiles: which source field fills which target field, constants for the rest,
//! value maps (`完好` → `normal`) and date formats. Saved as JSON so a district maps its
//! census layer once and re-imports the next delivery with the same file.

use std::collections::BTreeMap;

use super::ImportError;
use super::feature::FieldInfo;

/// What the features become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// City parts (部件).
    #[default]
    Parts,
    /// Jurisdiction polygons (districts, townships, communities, grid cells, unit zones).
    Jurisdictions,
    /// Reported or closed cases from the city platform, as history.
    Cases,
}

impl Target {
    /// Parses `parts` / `jurisdictions` / `cases`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "parts" => Some(Self::Parts),
            "jurisdictions" => Some(Self::Jurisdictions),
            "cases" => Some(Self::Cases),
            _ => None,
        }
    }
}

/// A field of the target that can be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetField {
    pub name: &'static str,
    pub label_zh: &'static str,
    pub required: bool,
    /// Source field names that are guessed for it (compared ignoring case).
    pub guesses: &'static [&'static str],
}

const fn field(name: &'static str, label_zh: &'static str, required: bool, guesses: &'static [&'static str]) -> TargetField {
    TargetField { name, label_zh, required, guesses }
}

const PART_FIELDS: [TargetField; 9] = [
    field(
        "code",
        "部件编码",
        true,
        &["BM", "BJBM", "CODE", "PART_CODE", "OBJ_CODE", "OBJCODE", "部件编码", "编码", "部件标识码", "标识码"],
    ),
    field("name", "名称", false, &["MC", "NAME", "BJMC", "OBJ_NAME", "名称", "部件名称"]),
    field("supervising_unit", "主管部门", false, &["ZGBM", "ZGDW", "SUPERVISOR", "SUPERVISING_UNIT", "主管部门", "主管单位"]),
    field("owner_unit", "权属单位", false, &["QSDW", "OWNER", "OWNER_UNIT", "权属单位"]),
    field("maintainer_unit", "养护单位", false, &["YHDW", "MAINTAINER", "MAINTAINER_UNIT", "养护单位"]),
    field("state", "状态", false, &["ZT", "BJZT", "STATE", "STATUS", "状态", "部件状态"]),
    field("grid_code", "单元网格", false, &["WGBM", "DYWG", "GRID", "GRID_CODE", "网格编码", "单元网格", "所在网格"]),
    field("installed_on", "初始日期", false, &["CSRQ", "AZRQ", "INSTALLED", "INSTALLED_ON", "INSTALL_DATE", "初始日期", "安装日期"]),
    field("changed_on", "变更日期", false, &["BGRQ", "CHANGED", "CHANGED_ON", "CHANGE_DATE", "变更日期"]),
];

const JURISDICTION_FIELDS: [TargetField; 7] = [
    field("kind", "类型", true, &["KIND", "TYPE", "LX", "类型", "层级"]),
    field("code", "编码", true, &["CODE", "BM", "DM", "XZQDM", "WGBM", "编码", "代码", "区划代码", "网格编码"]),
    field("name", "名称", true, &["NAME", "MC", "XZQMC", "名称", "网格名称"]),
    field("owner_unit", "责任单位", false, &["OWNER", "OWNER_UNIT", "ZRDW", "责任单位", "权属单位"]),
    field("parent_code", "上级编码", false, &["PARENT", "PARENT_CODE", "SJBM", "SJDM", "上级编码", "上级代码"]),
    field("valid_from", "生效日期", true, &["VALID_FROM", "SXRQ", "QSRQ", "生效日期"]),
    field("valid_to", "失效日期", false, &["VALID_TO", "SXRQ2", "ZZRQ", "失效日期"]),
];

const CASE_FIELDS: [TargetField; 11] = [
    field("case_no", "案卷编号", true, &["AJBH", "CASE_NO", "CASENO", "案卷编号", "案件编号", "任务号"]),
    field("source", "来源", false, &["AJLY", "SOURCE", "来源", "案件来源"]),
    field("subject", "类型", false, &["AJLX", "SUBJECT", "案件类型", "类型"]),
    field("class_code", "类别编码", true, &["LBDM", "XLDM", "CLASS", "CLASS_CODE", "小类编码", "类别编码", "小类代码"]),
    field("urgency", "紧急程度", false, &["JJCD", "URGENCY", "紧急程度"]),
    field("description", "问题描述", false, &["WTMS", "DESCRIPTION", "DESC", "问题描述", "描述"]),
    field("reported_at", "上报时间", true, &["SBSJ", "REPORTED_AT", "REPORT_TIME", "上报时间"]),
    field("state", "状态", false, &["AJZT", "STATE", "STATUS", "状态", "案件状态"]),
    field("part_code", "部件编码", false, &["BJBM", "PART_CODE", "部件编码"]),
    field("closed_at", "结案时间", false, &["JASJ", "CLOSED_AT", "CLOSE_TIME", "结案时间"]),
    field("close_type", "结案类型", false, &["JALX", "CLOSE_TYPE", "结案类型"]),
];

/// The mappable fields of a target.
#[must_use]
pub fn target_fields(target: Target) -> &'static [TargetField] {
    match target {
        Target::Parts => &PART_FIELDS,
        Target::Jurisdictions => &JURISDICTION_FIELDS,
        Target::Cases => &CASE_FIELDS,
    }
}

/// How to read the source: layer, coordinate columns, encoding, coordinate system.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SourceOptions {
    /// GeoPackage layer (table) name.
    pub layer: Option<String>,
    /// CSV column holding longitude / x.
    pub x_field: Option<String>,
    /// CSV column holding latitude / y.
    pub y_field: Option<String>,
    /// Attribute encoding overriding `.cpg` and guessing (`GBK`, `UTF-8`).
    pub encoding: Option<String>,
    /// Coordinate system overriding what the file declares (`EPSG:4527`).
    pub crs: Option<String>,
}

/// A reusable mapping from a source layer to a target.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MappingProfile {
    pub target: Target,
    pub source: SourceOptions,
    /// Target field → source field.
    pub fields: BTreeMap<String, String>,
    /// Target field → value, for targets no source field fills.
    pub constants: BTreeMap<String, String>,
    /// Target field → (source value → target value), applied before parsing.
    pub value_maps: BTreeMap<String, BTreeMap<String, String>>,
    /// chrono formats tried for dates and times, before the built-in ones.
    pub date_formats: Vec<String>,
}

impl MappingProfile {
    /// Reads a profile saved with [`MappingProfile::to_json`].
    ///
    /// # Errors
    /// Not JSON of this shape, or a target field that does not exist.
    pub fn from_json(text: &str) -> Result<Self, ImportError> {
        let profile: Self = serde_json::from_str(text).map_err(|error| ImportError::Profile(error.to_string()))?;
        profile.check()?;
        Ok(profile)
    }

    /// The profile as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Refuses target fields the target does not have.
    ///
    /// # Errors
    /// The first unknown target field, with the known ones.
    pub fn check(&self) -> Result<(), ImportError> {
        let known = target_fields(self.target);
        for name in self.fields.keys().chain(self.constants.keys()).chain(self.value_maps.keys()) {
            if !known.iter().any(|field| field.name == name) {
                let names: Vec<&str> = known.iter().map(|field| field.name).collect();
                return Err(ImportError::Profile(format!("{name:?} is not a field of {:?} (fields: {})", self.target, names.join(", "))));
            }
        }
        Ok(())
    }
}

/// A profile with every target field whose name a source field matches, by the names Chinese
/// census data commonly uses (`BM`/`BJBM`/`部件编码` → code, `MC`/`名称` → name…).
#[must_use]
pub fn auto_profile(target: Target, fields: &[FieldInfo]) -> MappingProfile {
    let mut profile = MappingProfile { target, ..MappingProfile::default() };
    for target_field in target_fields(target) {
        let found = target_field.guesses.iter().find_map(|guess| {
            fields.iter().find(|field| field.name == *guess || field.name.eq_ignore_ascii_case(guess) || field.name == target_field.name)
        });
        if let Some(field) = found
            && !profile.fields.values().any(|used| used == &field.name)
        {
            profile.fields.insert(target_field.name.to_owned(), field.name.clone());
        }
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::feature::FieldKind;

    fn fields(names: &[&str]) -> Vec<FieldInfo> {
        names.iter().map(|name| FieldInfo { name: (*name).to_owned(), kind: FieldKind::Text }).collect()
    }

    #[test]
    fn census_field_names_are_mapped_automatically() {
        let profile = auto_profile(Target::Parts, &fields(&["OBJECTID", "BJBM", "MC", "ZT", "QSDW", "csrq"]));
        assert_eq!(profile.fields.get("code").map(String::as_str), Some("BJBM"));
        assert_eq!(profile.fields.get("name").map(String::as_str), Some("MC"));
        assert_eq!(profile.fields.get("state").map(String::as_str), Some("ZT"));
        assert_eq!(profile.fields.get("owner_unit").map(String::as_str), Some("QSDW"));
        assert_eq!(profile.fields.get("installed_on").map(String::as_str), Some("csrq"));
        let chinese = auto_profile(Target::Parts, &fields(&["部件编码", "名称"]));
        assert_eq!(chinese.fields.get("code").map(String::as_str), Some("部件编码"));
    }

    #[test]
    fn a_profile_round_trips_through_json_and_refuses_unknown_targets() {
        let mut profile = auto_profile(Target::Parts, &fields(&["BM"]));
        profile.value_maps.insert("state".into(), BTreeMap::from([("完好".to_owned(), "normal".to_owned())]));
        profile.date_formats.push("%Y/%m/%d".into());
        assert_eq!(MappingProfile::from_json(&profile.to_json()).expect("round trip"), profile);
        let error = MappingProfile::from_json(r#"{"target":"parts","fields":{"colour":"YS"}}"#).expect_err("unknown");
        assert!(error.to_string().contains("\"colour\" is not a field"), "{error}");
    }
}
