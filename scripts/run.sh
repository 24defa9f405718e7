#!/bin/sh
# run.sh: install the build dependencies, build Portcullis and run it in the
# foreground. With no arguments it uses the built-in defaults (listen on
# 127.0.0.1:3128, loopback clients only, CONNECT to port 443 only); any
# arguments are passed to portcullis (for example: -c my.conf).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh --build-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "portcullis: built build/portcullis; press Ctrl-C to stop" >&2
exec build/portcullis "$@"
