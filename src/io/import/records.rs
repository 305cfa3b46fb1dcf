//! An imported feature made into the record it becomes: a part, a jurisdiction or a case,
//! with every field checked and each issue noted against the feature and the field.

#[allow(clippy::wildcard_imports)]
use super::*;

/// One feature being made into a record: the feature, what the import knows, the mapping, the
/// keys seen so far in the file (duplicates), and where its issues go.
pub(super) struct Checking<'a, 'm> {
    pub feature: &'a SourceFeature,
    pub context: &'a Context,
    pub mapper: &'a Mapper<'m>,
    pub seen: &'a mut HashMap<String, u64>,
    pub findings: &'a mut Findings,
}

pub(super) fn part_from(checking: Checking<'_, '_>, geometry: Option<Geometry<f64>>) -> Option<Part> {
    let Checking { feature, context, mapper, seen, findings } = checking;
    note_missing_geometry(feature, geometry.as_ref(), findings);
    let code_field = mapper.source_field("code").to_owned();
    let code = required(mapper, feature, "code", findings).and_then(|text| match PartCode::parse(&text) {
        Ok(code) => Some(code),
        Err(_) => {
            findings.issue(Some(&code_field), IssueKind::MalformedCode { value: text });
            None
        }
    });
    let mut class_geometry = None;
    if let Some(code) = code {
        check_duplicate(seen, code.to_string(), context.existing_part_codes.contains(&code.value()), &code_field, findings);
        match context.part_classes.get(&code.class_code()) {
            Some(geometry) => class_geometry = *geometry,
            None => findings.issue(Some(&code_field), IssueKind::UnknownClass { value: code.class_code() }),
        }
    }
    let part_geometry = match geometry.map(part_geometry_from) {
        Some(Ok(part_geometry)) => {
            if let Some(expected) = class_geometry
                && expected != part_geometry.kind()
            {
                findings.issue(
                    None,
                    IssueKind::WrongGeometry {
                        expected: expected.label_en().to_owned(),
                        found: part_geometry.kind().label_en().to_owned(),
                    },
                );
            }
            Some(part_geometry)
        }
        Some(Err(other)) => {
            findings
                .issue(None, IssueKind::WrongGeometry { expected: "Point, LineString or Polygon".into(), found: geometry_name(&other) });
            None
        }
        None => None,
    };
    let name = mapper.value(feature, "name").unwrap_or_default();
    let supervising_unit = unit_of(context, mapper, feature, "supervising_unit", findings);
    let owner_unit = unit_of(context, mapper, feature, "owner_unit", findings);
    let maintainer_unit = unit_of(context, mapper, feature, "maintainer_unit", findings);
    let state = match mapper.value(feature, "state") {
        None => PartState::Normal,
        Some(text) => keyword_from(&text, PartState::label_zh, PartState::label_en).unwrap_or_else(|| {
            findings.issue(
                Some(mapper.source_field("state")),
                IssueKind::BadValue { value: text, allowed: allowed::<PartState>(PartState::label_zh) },
            );
            PartState::Normal
        }),
    };
    let grid_code = mapper.value(feature, "grid_code").and_then(|text| {
        let parsed = text.parse::<u64>().ok().filter(|_| (14..=15).contains(&text.len()));
        if parsed.is_none() {
            findings.issue(Some(mapper.source_field("grid_code")), IssueKind::BadValue { value: text, allowed: "14–15 digits".into() });
        }
        parsed
    });
    let installed_on = date_of(mapper, feature, "installed_on", findings);
    let changed_on = date_of(mapper, feature, "changed_on", findings);
    Some(Part {
        code: code?,
        name,
        supervising_unit,
        owner_unit,
        maintainer_unit,
        state,
        grid_code,
        installed_on,
        changed_on,
        source: crate::model::part::PartSource::Import,
        geometry: part_geometry?,
    })
}

pub(super) fn jurisdiction_from(checking: Checking<'_, '_>, geometry: Option<Geometry<f64>>) -> Option<Jurisdiction> {
    let Checking { feature, context, mapper, seen, findings } = checking;
    note_missing_geometry(feature, geometry.as_ref(), findings);
    let multi = match geometry {
        Some(Geometry::Polygon(polygon)) => Some(MultiPolygon(vec![polygon])),
        Some(Geometry::MultiPolygon(multi)) => Some(multi),
        Some(other) => {
            findings.issue(None, IssueKind::WrongGeometry { expected: "Polygon or MultiPolygon".into(), found: geometry_name(&other) });
            None
        }
        None => None,
    };
    let kind = required(mapper, feature, "kind", findings).and_then(|text| {
        let kind = keyword_from(&text, JurisdictionKind::label_zh, JurisdictionKind::label_en);
        if kind.is_none() {
            findings.issue(
                Some(mapper.source_field("kind")),
                IssueKind::BadValue { value: text, allowed: allowed::<JurisdictionKind>(JurisdictionKind::label_zh) },
            );
        }
        kind
    });
    let code = required(mapper, feature, "code", findings);
    let name = required(mapper, feature, "name", findings);
    if let (Some(kind), Some(code)) = (kind, &code) {
        let key = (kind.keyword().to_owned(), code.clone());
        let in_database = context.existing_jurisdictions.contains(&key);
        check_duplicate(seen, format!("{}:{code}", kind.keyword()), in_database, mapper.source_field("code"), findings);
    }
    let owner_unit = unit_of(context, mapper, feature, "owner_unit", findings);
    let valid_from = if mapper.value(feature, "valid_from").is_some() {
        date_of(mapper, feature, "valid_from", findings)
    } else {
        required(mapper, feature, "valid_from", findings);
        None
    };
    let valid_to = date_of(mapper, feature, "valid_to", findings);
    let parent_code = mapper.value(feature, "parent_code");
    // A district's parent is the city above it, which no district file holds.
    if let Some(parent) = &parent_code
        && kind != Some(JurisdictionKind::District)
        && !context.parent_codes.contains(parent)
    {
        findings.issue(Some(mapper.source_field("parent_code")), IssueKind::UnknownParent { value: parent.clone() });
    }
    Some(Jurisdiction {
        id: 0,
        kind: kind?,
        code: code?,
        name: name?,
        owner_unit,
        parent_code,
        valid_from: valid_from?,
        valid_to,
        source: "import".into(),
        geometry: multi?,
    })
}

pub(super) fn case_from(checking: Checking<'_, '_>, geometry: Option<Geometry<f64>>) -> Option<Case> {
    let Checking { feature, context, mapper, seen, findings } = checking;
    note_missing_geometry(feature, geometry.as_ref(), findings);
    let location = match geometry {
        Some(Geometry::Point(point)) => Some(point),
        Some(Geometry::MultiPoint(mut points)) if points.0.len() == 1 => Some(points.0.remove(0)),
        Some(other) => {
            findings.issue(None, IssueKind::WrongGeometry { expected: "Point".into(), found: geometry_name(&other) });
            None
        }
        None => None,
    };
    let case_no = required(mapper, feature, "case_no", findings);
    if let Some(case_no) = &case_no {
        let in_database = context.existing_case_numbers.contains(case_no);
        check_duplicate(seen, case_no.clone(), in_database, mapper.source_field("case_no"), findings);
    }
    let source = match mapper.value(feature, "source") {
        None => SourceChannel::CityPlatform,
        Some(text) => keyword_from(&text, SourceChannel::label_zh, SourceChannel::label_en).unwrap_or_else(|| {
            findings.issue(
                Some(mapper.source_field("source")),
                IssueKind::BadValue { value: text, allowed: allowed::<SourceChannel>(SourceChannel::label_zh) },
            );
            SourceChannel::CityPlatform
        }),
    };
    let part_code = mapper.value(feature, "part_code").and_then(|text| match PartCode::parse(&text) {
        Ok(code) => Some(code),
        Err(_) => {
            findings.issue(Some(mapper.source_field("part_code")), IssueKind::MalformedCode { value: text });
            None
        }
    });
    let subject = match mapper.value(feature, "subject") {
        None if part_code.is_some() => CaseSubject::Part,
        None => CaseSubject::Event,
        Some(text) => keyword_from(&text, CaseSubject::label_zh, CaseSubject::label_en).unwrap_or_else(|| {
            findings.issue(
                Some(mapper.source_field("subject")),
                IssueKind::BadValue { value: text, allowed: allowed::<CaseSubject>(CaseSubject::label_zh) },
            );
            CaseSubject::Event
        }),
    };
    let class_code = required(mapper, feature, "class_code", findings).and_then(|code| {
        let known = match subject {
            CaseSubject::Part => context.part_classes.contains_key(&code),
            CaseSubject::Event => context.event_classes.contains(&code),
        };
        if known {
            Some(code)
        } else {
            findings.issue(Some(mapper.source_field("class_code")), IssueKind::UnknownClass { value: code });
            None
        }
    });
    let urgency = match mapper.value(feature, "urgency") {
        None => Urgency::Normal,
        Some(text) => keyword_from(&text, Urgency::label_zh, Urgency::label_en).unwrap_or_else(|| {
            findings.issue(
                Some(mapper.source_field("urgency")),
                IssueKind::BadValue { value: text, allowed: allowed::<Urgency>(Urgency::label_zh) },
            );
            Urgency::Normal
        }),
    };
    let reported_at = if mapper.value(feature, "reported_at").is_some() {
        time_of(mapper, feature, "reported_at", findings)
    } else {
        required(mapper, feature, "reported_at", findings);
        None
    };
    // History records only: a case still open belongs to the live workflow, not to an import.
    let state = match mapper.value(feature, "state") {
        None => CaseState::Reported,
        Some(text) => match keyword_from(&text, CaseState::label_zh, CaseState::label_en) {
            Some(state @ (CaseState::Reported | CaseState::Closed)) => state,
            _ if text == "结案" => CaseState::Closed,
            _ => {
                findings.issue(
                    Some(mapper.source_field("state")),
                    IssueKind::BadValue { value: text, allowed: "reported/待受理, closed/已结案".into() },
                );
                CaseState::Reported
            }
        },
    };
    let closed_at = match state {
        CaseState::Closed if mapper.value(feature, "closed_at").is_none() => {
            required(mapper, feature, "closed_at", findings);
            None
        }
        _ => time_of(mapper, feature, "closed_at", findings),
    };
    let close_type = match (state, mapper.value(feature, "close_type")) {
        // Whether it was closed on time is not known: a special close, which the assessment
        // leaves out of both rates when the case has no deadline.
        (CaseState::Closed, None) => Some(CloseType::Special),
        (CaseState::Closed, Some(text)) => Some(keyword_from(&text, CloseType::label_zh, CloseType::label_en).unwrap_or_else(|| {
            findings.issue(
                Some(mapper.source_field("close_type")),
                IssueKind::BadValue { value: text, allowed: allowed::<CloseType>(CloseType::label_zh) },
            );
            CloseType::Normal
        })),
        _ => None,
    };
    let mut case = Case::reported(case_no?, source, subject, class_code?, urgency, location?, reported_at?);
    case.description = mapper.value(feature, "description").unwrap_or_default();
    case.part_code = part_code;
    case.state = state;
    case.closed_at = if state == CaseState::Closed { closed_at } else { None };
    case.close_type = close_type;
    Some(case)
}
