//! Files in and out: export of parts, jurisdictions and cases to GeoJSON, GeoPackage and CSV.

pub mod export;
