#!/bin/sh
# windows-cross.sh: the Windows build, checked from Debian: installs mingw-w64
# and wine, builds libuv and cmocka for Windows (scripts/windows/mingw-deps.sh),
# cross-builds the whole project with -Werror into build-win/, checks that the
# executables import system DLLs only, and runs the whole ctest suite under
# wine: unit tests, fuzz corpus replays, the config check, and the
# integration tests (the proxy on loopback, Ctrl-C in the console, the
# Windows service installed, started, reloaded, stopped and removed, and the
# MSI built with wixl installed, used and removed).
# Like the Linux suite, it runs in the network sandbox (sandbox.sh), with
# its own wineserver inside.
set -eu
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PREFIX=${PREFIX:-$(pwd)/build-mingw-deps}
WINEPREFIX=${WINEPREFIX:-$(pwd)/build-wine} # as scripts/windows/wine-run.sh
export PREFIX WINEPREFIX

missing=""
for p in gcc-mingw-w64-x86-64-win32 wine wine64 dpkg-dev cmake wixl msitools curl python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
fi
scripts/windows/mingw-deps.sh

cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTCULLIS_WERROR=ON >/dev/null
cmake --build build-win -j"$(nproc)"

status=0
for exe in build-win/portcullis.exe build-win/tests/*.exe; do
    bad=$(x86_64-w64-mingw32-objdump -p "$exe" | awk '/DLL Name/ {print tolower($3)}' \
        | grep -vE '^(kernel32|msvcrt|ws2_32|advapi32|iphlpapi|userenv|user32|psapi|shell32|ole32|dbghelp|bcrypt)\.dll$' || true)
    if [ -n "$bad" ]; then
        echo "$exe imports non-system DLLs: $bad"
        status=1
    fi
done

scripts/windows/wine-run.sh cmd /c ver >/dev/null 2>&1 || true # create the prefix once
wineserver -k 2>/dev/null || true # the sandbox starts its own
sh tests/integration/sandbox.sh "$(pwd)/build-win/tests/integration/sandbox" \
    sh -c 'cd build-win && ctest --output-on-failure -j2 --timeout 180' || status=1
wineserver -k 2>/dev/null || true
exit "$status"
