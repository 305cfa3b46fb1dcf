#!/usr/bin/env bash
# Installs the system packages citygrid needs on Debian/Ubuntu: X11/Wayland client libraries to
# open a window, a software Vulkan driver (llvmpipe) so tests render without a GPU, Xvfb for
# screenshots of a real window, and GDAL to check that GIS tools read our GeoPackage.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(
  mesa-vulkan-drivers libvulkan1
  xvfb xauth libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libgl1
  gdal-bin python3-gdal
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
