#!/bin/bash
# Configure (once) and build the developer build in build/: -Wall -Wextra
# from meson.build's warning_level=2, and -Werror from -Dwerror=true here
# (a user's plain `meson setup` does not turn warnings into errors).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
	meson setup build -Dwerror=true -Dbugtrackd=enabled >/dev/null
fi
meson compile -C build >/dev/null
