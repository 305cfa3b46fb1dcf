#!/usr/bin/env bash
# Rebuilds basemaps/huizhou-demo.pmtiles from the default demo district (reproducible: the same
# build gives the same bytes). Streets and green spaces come from the 100,000-part demo, the
# district outlines and rivers from assets/boundaries.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo run --locked --release -- demo --out "$work/demo.gpkg" --as-of "2026-11-25 09:30"
cargo run --locked --release -- --db "$work/demo.gpkg" basemap build --out basemaps/huizhou-demo.pmtiles
