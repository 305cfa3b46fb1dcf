#!/usr/bin/env bash
# The one command that passes every test on a fresh machine: installs what the tests need
# (GDAL, a software Vulkan driver, Xvfb), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo test --locked "$@"
