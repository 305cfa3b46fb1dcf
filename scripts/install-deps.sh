#!/usr/bin/env bash
# Installs the system packages citygrid needs on Debian/Ubuntu: X11/Wayland client libraries to
# open a window, a software Vulkan driver (llvmpipe) so tests render without a GPU, Xvfb for
# screenshots of a real window, GDAL to check that GIS tools read our GeoPackage and PostGIS
# layers, and PostgreSQL with PostGIS for the server store's tests (a private cluster each run,
# scripts/pg-cluster.sh; the distribution's own cluster is not used), and Chromium with its
# WebDriver for the mobile terminal's tests in a real headless browser.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(
  mesa-vulkan-drivers libvulkan1
  xvfb xauth libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libgl1
  gdal-bin python3-gdal
  postgresql
  chromium chromium-driver openssl
)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
updated=""
install() {
  echo "installing: $*" >&2
  if [ -z "$updated" ]; then $sudo apt-get update -qq; updated=1; fi
  # The distribution's own cluster is not needed; the tests start their own.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then install "${missing[@]}"; fi
# PostGIS for the server version the distribution installed (15 on Debian 12).
major="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -1)"
if [ -n "$major" ] && ! installed "postgresql-$major-postgis-3"; then
  install "postgresql-$major-postgis-3"
fi
