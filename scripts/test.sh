#!/bin/sh
# test.sh: install the dependencies, then build and run every test:
#   0. lint: clang-format 14, the src/ platform-isolation check, and the
#      GitHub Actions workflows (scripts/lint-workflows.sh);
#   1. gcc, -Werror, the whole ctest suite (unit + integration + curl);
#   2. clang with ASan+UBSan, the whole suite again;
#   2b. libFuzzer: every fuzz target for a short time (scripts/fuzz.sh);
#   3. valgrind (memcheck) over every unit test and under the proxy in every
#      integration test;
#   4. packages: .deb and .rpm built, inspected, linted, and the .deb
#      installed, run, upgraded and purged (scripts/linux-packages.sh);
#   5. Windows: the mingw-w64 cross build with -Werror, and every test under
#      wine, the Windows service included (scripts/windows-cross.sh).
# Exits non-zero if any step fails. Used by .ci/run and the GitHub Linux job.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh

JOBS=$(nproc)
status=0

step() {
    echo
    echo "==== $*"
}

step "lint (clang-format 14, no OS code in src/)"
# shellcheck disable=SC2046
clang-format --dry-run --Werror $(git ls-files '*.c' '*.h' 2>/dev/null \
    || find src include platform tests -name '*.[ch]') || status=1
if grep -rnE '_WIN32|<windows\.h>|<unistd\.h>|<signal\.h>|<pwd\.h>|<sys/' src/; then
    echo "src/ must not contain OS conditionals or OS headers (use platform/)"
    status=1
fi

step "lint (GitHub Actions workflows: actionlint, shellcheck; scripts/lint-workflows.sh)"
scripts/lint-workflows.sh || status=1

step "build (gcc, -Werror)"
cmake -S . -B build-ci -DPORTCULLIS_WERROR=ON -DPORTCULLIS_VALGRIND_TESTS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-ci -j"$JOBS"
step "tests (gcc)"
(cd build-ci && ctest --output-on-failure -j"$JOBS" -LE valgrind) || status=1

step "build (clang, ASan+UBSan, -Werror)"
CC=clang cmake -S . -B build-san -DPORTCULLIS_WERROR=ON -DPORTCULLIS_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-san -j"$JOBS"
step "tests (ASan+UBSan)"
(cd build-san && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$JOBS") || status=1

step "fuzz (libFuzzer, ASan+UBSan, ${PC_FUZZ_SECONDS:-20}s per target, on a copy of the corpus)"
PC_FUZZ_SECONDS=${PC_FUZZ_SECONDS:-20} scripts/fuzz.sh || status=1

step "tests (valgrind: every unit test, and the proxy in every integration test)"
(cd build-ci && ctest --output-on-failure -j"$JOBS" -L valgrind) || status=1

step "packages (.deb and .rpm: build, lint, install, upgrade, purge)"
scripts/linux-packages.sh || status=1

step "windows (mingw-w64 cross build, -Werror; every test under wine)"
scripts/windows-cross.sh || status=1

step "summary"
if [ "$status" -ne 0 ]; then
    echo "FAILED: see the output above"
else
    echo "all test steps passed"
fi
exit "$status"
