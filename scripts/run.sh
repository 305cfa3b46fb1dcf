#!/usr/bin/env bash
# The one command that runs the app on a fresh machine. With no database yet, citygrid creates
# the embedded demo district in the platform data directory on first start.
# Extra arguments go to citygrid, e.g. `scripts/run.sh --db my-district.gpkg`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo run --locked --release -- "$@"
