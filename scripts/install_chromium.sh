#!/usr/bin/env bash
# Headless Chromium for the console's browser tests, from Debian's `chromium` package (Playwright
# drives it by path; its own browser download needs internet beyond the package registries).
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing Debian's chromium (console browser tests)..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
