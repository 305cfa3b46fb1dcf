//! `citygrid init`: a real district, empty. The schema, the reference data citygrid carries
//! (units, the command manual, the holiday calendars), the district's real boundary as its
//! jurisdiction, and one administrator whose password is set on creation. Townships, grid
//! cells, parts and cases come from the district's own data through `citygrid import`.
//!
//! It lives beside the demo because both build a new file from the same embedded assets, under
//! a temporary name renamed once complete.

use std::path::Path;

use chrono::NaiveDate;

use crate::model::{Jurisdiction, JurisdictionKind, Role};
use crate::store::{MIN_PASSWORD_CHARS, ReferenceData, Store};

use super::{BOUNDARY_SOURCE, DemoError, regions, write_new};

/// What `init` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOptions {
    /// The district's administrative code (`341004`).
    pub district_code: String,
    pub admin_login: String,
    pub admin_name: String,
    pub admin_password: String,
}

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSummary {
    pub district_code: String,
    pub district_name: String,
    pub units: usize,
    pub admin_login: String,
}

/// The districts whose boundaries citygrid carries: (code, name).
///
/// # Errors
/// A broken asset.
pub fn known_districts() -> Result<Vec<(String, String)>, DemoError> {
    Ok(regions::district_shapes()?.into_iter().map(|district| (district.code, district.name)).collect())
}

/// Writes a new, empty district database at `path` (which must not exist).
///
/// # Errors
/// The path exists, the district is unknown, the password is too short, or a store error; no
/// file is left behind then.
pub fn init_district(path: &Path, options: &InitOptions) -> Result<InitSummary, DemoError> {
    if path.exists() {
        return Err(DemoError::Exists(path.to_owned()));
    }
    if options.admin_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DemoError::PasswordTooShort { min: MIN_PASSWORD_CHARS });
    }
    let districts = regions::district_shapes()?;
    let district = districts.iter().find(|district| district.code == options.district_code.trim()).ok_or_else(|| {
        let known: Vec<String> = districts.iter().map(|district| format!("{} {}", district.code, district.name)).collect();
        DemoError::UnknownDistrict { code: options.district_code.clone(), known: known.join(", ") }
    })?;
    let login = options.admin_login.trim();
    let name = if options.admin_name.trim().is_empty() { "系统管理员" } else { options.admin_name.trim() };
    let password_hash = crate::store::hash_password(&options.admin_password)?;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DemoError::Io { path: parent.to_owned(), source })?;
    }
    write_new(path, |store: &mut Store| {
        store.seed_reference_data(&ReferenceData::embedded()?, &district.code, &district.name)?;
        let units = store.load_units()?;
        // The command centre (ZX) answers for the district as a whole.
        let centre = units.iter().find(|unit| unit.code == "ZX").map(|unit| unit.id);
        let jurisdiction = Jurisdiction {
            id: 0,
            kind: JurisdictionKind::District,
            code: district.code.clone(),
            name: district.name.clone(),
            owner_unit: centre,
            parent_code: Some(format!("{}00", &district.code[..4.min(district.code.len())])),
            valid_from: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default(),
            valid_to: None,
            source: BOUNDARY_SOURCE.to_owned(),
            geometry: district.shape.clone(),
        };
        store.write(|tx| {
            Store::insert_jurisdiction(tx, &jurisdiction)?;
            let id = Store::insert_user(tx, login, name, Role::Administrator, None)?;
            Store::set_password_hash(tx, id, &password_hash)?;
            Store::seal_new_accounts(tx, "citygrid init", Some(id))?;
            Ok(())
        })?;
        store.refresh_extents()?;
        Ok(InitSummary {
            district_code: district.code.clone(),
            district_name: district.name.clone(),
            units: units.len(),
            admin_login: login.to_owned(),
        })
    })
}
