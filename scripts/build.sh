#!/bin/bash
# Configure (once) and build the developer build in build/: -Wall -Wextra
# -Werror come from meson.build's defaults (warning_level=2, werror=true).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
meson compile -C build >/dev/null
