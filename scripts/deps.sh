#!/bin/sh
# deps.sh: install what building and testing Portcullis needs, from Debian's
# packages. Does nothing when everything is already installed. Uses sudo when
# not run as root.
set -eu

PKGS="build-essential cmake pkg-config libuv1-dev libidn2-dev libcmocka-dev curl python3 valgrind \
clang libclang-rt-14-dev clang-format git util-linux iproute2 procps chromium fonts-dejavu-core"
if [ "${1:-}" = "--build-only" ]; then
    PKGS="build-essential cmake pkg-config libuv1-dev libidn2-dev"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
