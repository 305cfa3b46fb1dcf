#!/usr/bin/env bash
# The one command that passes every test on a fresh machine: installs what the tests need
# (GDAL, a software Vulkan driver, Xvfb), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# wgpu probes Wayland through XDG_RUNTIME_DIR; give it a private one when the session has none.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
cargo test --locked "$@"
