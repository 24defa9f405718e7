#!/bin/sh
# mingw-deps.sh: libuv and cmocka for x86_64-w64-mingw32, built from Debian's
# own source packages (so the versions and patches are Debian's) and
# installed into PREFIX (default build-mingw-deps/ in the repository). Run as root: it
# enables deb-src for the configured mirror when needed. A second run finds
# the stamp files and does nothing.
set -eu
cd "$(dirname "$0")/../.."
PREFIX=${PREFIX:-$(pwd)/build-mingw-deps}
WORK=${WORK:-$(pwd)/build-mingw-src}
TOOLCHAIN=$(pwd)/cmake/mingw-w64-x86_64.cmake

have_source() {
    apt-cache showsrc libuv1 2>/dev/null | grep -q '^Package: libuv1'
}
if ! have_source; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            >/etc/apt/sources.list.d/portcullis-src.sources
    else
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
            >/etc/apt/sources.list.d/portcullis-src.list
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq
fi

mkdir -p "$WORK" "$PREFIX/.stamps"

# build NAME SOURCE-PACKAGE [cmake options...]
build() {
    name=$1
    pkg=$2
    shift 2
    if [ -f "$PREFIX/.stamps/$name" ]; then
        return
    fi
    (cd "$WORK" && rm -rf "$pkg"-[0-9]* && apt-get source -qq "$pkg" >/dev/null 2>&1)
    src=$(find "$WORK" -maxdepth 1 -type d -name "$pkg-[0-9]*" | head -n 1)
    cmake -S "$src" -B "$WORK/build-$name" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" "$@" >"$WORK/$name.log" 2>&1
    cmake --build "$WORK/build-$name" -j"$(nproc)" >>"$WORK/$name.log" 2>&1
    cmake --install "$WORK/build-$name" >>"$WORK/$name.log" 2>&1
    touch "$PREFIX/.stamps/$name"
    echo "mingw-deps: $(basename "$src") installed in $PREFIX"
}

build libuv libuv1 -DBUILD_TESTING=OFF -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
build cmocka cmocka -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
