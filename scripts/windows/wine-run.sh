#!/bin/sh
# wine-run.sh: runs a Windows program under wine without a display or any
# prompt: its own prefix (created once, under a lock), no debug chatter, no
# Mono/Gecko installers. CMake uses it as the emulator of cross-built tests.
#
#   scripts/windows/wine-run.sh prog.exe [args...]
#   WINEPREFIX  default /var/tmp/portcullis-wine
set -eu
WINEPREFIX=${WINEPREFIX:-/var/tmp/portcullis-wine}
WINEDEBUG=${WINEDEBUG:--all}
WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
unset DISPLAY WAYLAND_DISPLAY
WINE=$(command -v wine || command -v wine64)

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    (
        flock 9
        if [ ! -f "$WINEPREFIX/system.reg" ]; then
            "$WINE" wineboot --init >/dev/null 2>&1 || true
            wineserver -w || true
        fi
    ) 9>"$WINEPREFIX.lock"
fi
exec "$WINE" "$@"
