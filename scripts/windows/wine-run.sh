#!/bin/sh
# wine-run.sh: runs a Windows program under wine without a display or any
# prompt: its own prefix (created once, under a lock), no debug chatter, no
# Mono/Gecko installers. CMake uses it as the emulator of cross-built tests.
#
#   scripts/windows/wine-run.sh prog.exe [args...]
#   WINEPREFIX  default build-wine/ in the repository
set -eu
WINEPREFIX=${WINEPREFIX:-$(cd "$(dirname "$0")/../.." && pwd)/build-wine}
WINEDEBUG=${WINEDEBUG:--all}
WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
unset DISPLAY WAYLAND_DISPLAY
WINE=$(command -v wine || command -v wine64)

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$WINEPREFIX" # wine takes an empty directory as a new prefix
    (
        flock 9
        if [ ! -f "$WINEPREFIX/system.reg" ]; then
            "$WINE" wineboot --init >/dev/null 2>&1 || true
            wineserver -w || true
        fi
    ) 9>"$WINEPREFIX/.init.lock"
fi
exec "$WINE" "$@"
