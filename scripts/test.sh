#!/usr/bin/env bash
# The one command that passes every test on a fresh machine: installs what the tests need
# (GDAL, a software Vulkan driver, Xvfb, PostgreSQL with PostGIS), starts a private PostgreSQL
# cluster for the server-store tests (stopped and removed at the end), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# wgpu probes Wayland through XDG_RUNTIME_DIR; give it a private one when the session has none.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
eval "$(scripts/pg-cluster.sh start --watch $$)"
trap 'scripts/pg-cluster.sh stop "$CITYGRID_TEST_PG_DIR"' EXIT
cargo test --locked "$@"
# The suites written for both stores run again on the server: each test's district is moved onto
# a fresh database of the cluster (`citygrid migrate`'s code) and every step's SQL runs there.
if [ $# -eq 0 ]; then
  CITYGRID_TEST_STORE=server cargo test --locked --test store --test workflow --test disputes --test assess \
    --test desk --test multiseat --test import --test export --test serve_api --test open311 --test city_exchange --test dispatcher_day
fi
