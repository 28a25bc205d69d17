#!/bin/sh
# Exit 0 when chromium and chromedriver are on PATH, first installing Debian's packages (chromium,
# chromium-driver) if they are missing and apt-get can run: as root, or through sudo without a
# password. Exit 1, saying why, when they cannot be had. Used by `make browsercheck`.
have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
have && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: chromium or chromedriver is missing and there is no apt-get to install them" >&2; exit 1
fi
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
else echo "chromium.sh: chromium or chromedriver is missing, and installing them needs root or sudo" >&2; exit 1
fi
echo "chromium.sh: installing the Debian packages chromium and chromium-driver"
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
  || { echo "chromium.sh: apt-get could not install chromium and chromium-driver" >&2; exit 1; }
have || { echo "chromium.sh: installed, but chromium or chromedriver is still not on PATH" >&2; exit 1; }
