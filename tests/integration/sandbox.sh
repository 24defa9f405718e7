#!/bin/sh
# sandbox.sh: run one integration test in a private network + mount namespace.
#
# Usage: sandbox.sh <dir with hosts and resolv.conf> <command> [args...]
#
# As root with a working `unshare`, the command runs in a fresh network
# namespace (only `lo`, brought up here, so no traffic can leave the machine),
# a private mount namespace in which <dir>/hosts and <dir>/resolv.conf are
# bind-mounted over /etc/hosts and /etc/resolv.conf, and a PID namespace with
# its own /proc: when the test exits (or ctest kills it on timeout) every
# proxy it started dies with it. PC_TEST_SANDBOX=1 tells
# the tests that names such as dual.test and blocked.test resolve and that
# unknown names fail locally. Otherwise the command runs as it is, without
# PC_TEST_SANDBOX, and the tests that need the sandbox skip.
# PC_TEST_NO_SANDBOX=1 forces the second mode.
set -eu

dir=$1
shift

if [ "${PC_TEST_NO_SANDBOX:-0}" != 1 ] && [ "$(id -u)" = 0 ] \
    && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
    && unshare -n -m -p -f --kill-child --mount-proc true 2>/dev/null; then
    exec unshare -n -m -p -f --kill-child --mount-proc sh -c '
        set -e
        dir=$1
        shift
        ip link set dev lo up
        mount --bind "$dir/hosts" /etc/hosts
        mount --bind "$dir/resolv.conf" /etc/resolv.conf
        PC_TEST_SANDBOX=1
        export PC_TEST_SANDBOX
        exec "$@"
    ' sandbox "$dir" "$@"
fi

unset PC_TEST_SANDBOX
exec "$@"
