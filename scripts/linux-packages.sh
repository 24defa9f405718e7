#!/bin/sh
# linux-packages.sh: build the Debian and RPM packages with CPack, check what
# is in them, lint them, and (as root) install the .deb on this machine, run
# the proxy from it, upgrade, remove and purge it.
#
#   scripts/linux-packages.sh               build, inspect, lint, smoke test
#   scripts/linux-packages.sh --no-install  build, inspect and lint only
#
# It installs its own tools with apt-get (sudo when not root), builds in
# build-pkg/ (made afresh) with Debian's hardening flags, and leaves
# portcullis_<version>_<arch>.deb and portcullis-<version>-1.<arch>.rpm there.
#
# The smoke test changes this machine for about a minute and puts it back:
# it refuses to start when a portcullis package or /etc/portcullis already
# exists, and a trap purges the package (and deletes the portcullis user if
# this run created it) however the script ends. Its network traffic stays on
# the loopback interface of a private network namespace (unshare -n): the
# proxy, a python3 origin and curl all run inside it.
#
# Every check prints "ok" or "FAIL"; the last line counts them, and the exit
# status is non-zero when any failed. See docs/packaging.md.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
B="$ROOT/build-pkg"
SELF="$ROOT/scripts/linux-packages.sh"

# Set by the caller's environment, they would send curl elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

# ---- checks -----------------------------------------------------------------
# Results go to a file, so that the part that runs in the network namespace
# (another process) counts too.
RESULTS=${PC_PKG_RESULTS:-}

ok() {
    echo "ok    $*"
    echo pass >>"$RESULTS"
}

bad() {
    echo "FAIL  $*"
    echo fail >>"$RESULTS"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    _what=$1
    shift
    if "$@"; then ok "$_what"; else bad "$_what"; fi
}

# has FILE REGEX: the file has a line matching the extended regex.
has() {
    grep -Eq -- "$2" "$1"
}

lacks() {
    ! grep -Eq -- "$2" "$1"
}

# The passwd entry that adduser --system (postinst) and sysusers.d both make.
has_user_entry() {
    getent passwd portcullis |
        grep -Eq '^portcullis:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin$'
}

# wait_for FILE REGEX: up to 10 s for a line to appear.
wait_for() {
    _n=0
    while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
        _n=$((_n + 1))
        [ "$_n" -le 100 ] || return 1
        sleep 0.1
    done
}

# exited PID: the child has exited (it may be a zombie until waited for).
exited() {
    ! kill -0 "$1" 2>/dev/null || grep -q ') Z ' "/proc/$1/stat" 2>/dev/null
}

# ---- inside the private network namespace -------------------------------------
# Run as: unshare -n linux-packages.sh --in-netns TMPDIR. Only loopback exists
# here: the origin, the proxy and curl cannot reach any other address.
in_netns() {
    T=$1
    origin=""
    proxy=""
    # However this ends, nothing it started outlives it, and its log is shown.
    trap 'for p in $origin $proxy; do kill -KILL "$p" 2>/dev/null || true; done
        echo "---- proxy log"; cat "$T/proxy.log" 2>/dev/null || true' EXIT
    ip link set lo up
    mkdir -p "$T/www"
    echo "hello through portcullis" >"$T/www/hello.txt"
    python3 -m http.server --bind 127.0.0.1 --directory "$T/www" 18080 >"$T/origin.log" 2>&1 &
    origin=$!
    # As systemd would start it: the service user, the packaged configuration.
    setpriv --reuid=portcullis --regid=portcullis --init-groups -- \
        /usr/sbin/portcullis -c /etc/portcullis/portcullis.conf 2>"$T/proxy.log" &
    proxy=$!

    check "proxy listens on 127.0.0.1:3128 (as user portcullis)" \
        wait_for "$T/proxy.log" 'listening on 127\.0\.0\.1:3128'
    _n=0
    until curl -s -o /dev/null --max-time 2 http://127.0.0.1:18080/hello.txt; do
        _n=$((_n + 1))
        [ "$_n" -le 50 ] || break
        sleep 0.1
    done
    body=$(curl -sS --max-time 10 -x http://127.0.0.1:3128 http://127.0.0.1:18080/hello.txt \
        2>"$T/curl.err" || true)
    check "GET through the proxy returns the origin's body" \
        test "$body" = "hello through portcullis"
    cat "$T/curl.err"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x http://127.0.0.1:3128 \
        http://www.example.invalid/ || true)
    check "a host on the packaged blocklist gets 403 (got $code)" test "$code" = 403

    kill -HUP "$proxy"
    check "SIGHUP reloads the configuration" wait_for "$T/proxy.log" 'configuration reloaded'
    kill -USR1 "$proxy"
    check "SIGUSR1 reopens the access log" wait_for "$T/proxy.log" 'access log reopened'
    kill -TERM "$proxy"
    _n=0
    while ! exited "$proxy" && [ "$_n" -lt 150 ]; do
        _n=$((_n + 1))
        sleep 0.1
    done
    kill -KILL "$proxy" 2>/dev/null || true # still there after 15 s: a bug, and a FAIL below
    rc=0
    wait "$proxy" || rc=$?
    proxy=""
    check "SIGTERM stops the proxy with status 0 (got $rc)" test "$rc" = 0
    kill "$origin" 2>/dev/null || true
    wait "$origin" 2>/dev/null || true
    origin=""
}

if [ "${1:-}" = "--in-netns" ]; then
    in_netns "$2"
    exit 0
fi

INSTALL=1
case "${1:-}" in
    "") ;;
    --no-install) INSTALL=0 ;;
    *)
        echo "usage: scripts/linux-packages.sh [--no-install]" >&2
        exit 2
        ;;
esac
if [ "$INSTALL" = 1 ] && [ "$(id -u)" -ne 0 ]; then
    echo "linux-packages.sh: the install test needs root (or use --no-install)" >&2
    exit 2
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
RESULTS="$T/results"
export PC_PKG_RESULTS="$RESULTS"
: >"$RESULTS"
start=$(date +%s)

# ---- tools --------------------------------------------------------------------
# rpm brings rpmbuild (CPack RPM); dpkg-dev brings dpkg-shlibdeps (SHLIBDEPS)
# and dpkg-buildflags; man-db and groff-base check the man pages; python3,
# curl, iproute2 and util-linux (unshare, setpriv) run the smoke test.
PKGS="build-essential cmake pkg-config libuv1-dev libidn2-dev dpkg-dev file rpm lintian rpmlint \
shellcheck man-db groff-base curl python3 iproute2 util-linux adduser logrotate"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "installing:$missing"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends $missing
fi

# ---- build --------------------------------------------------------------------
# Debian's hardening flags (what a debian/rules build would use): fortify,
# stack protector, relro and bindnow; lintian checks them. CMake reads CFLAGS
# and LDFLAGS from the environment, but not CPPFLAGS.
echo "== build (build-pkg)"
rm -rf "$B"
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
CFLAGS="$CPPFLAGS $CFLAGS"
export CFLAGS LDFLAGS
cmake -S "$ROOT" -B "$B" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$T/configure.log"
cmake --build "$B" -j"$(nproc)" >"$T/build.log" || {
    cat "$T/build.log"
    exit 1
}
VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$B/CMakeCache.txt")
echo "version $VERSION (project(VERSION) in CMakeLists.txt)"

echo "== cpack"
(cd "$B" && cpack -G DEB >"$T/cpack-deb.log" && cpack -G RPM >"$T/cpack-rpm.log") || {
    cat "$T"/cpack-*.log
    exit 1
}
DEB="$B/portcullis_${VERSION}_$(dpkg --print-architecture).deb"
RPM="$B/portcullis-${VERSION}-1.$(uname -m).rpm"
check "DEB file name $(basename "$DEB")" test -f "$DEB"
check "RPM file name $(basename "$RPM")" test -f "$RPM"

# ---- sources: configuration, man pages, shell scripts ---------------------------
echo "== sources"
# The packaged configuration, with its blocklist path pointed at the source tree.
sed "s|/etc/portcullis/blocklist.txt|$ROOT/packaging/linux/blocklist.txt|" \
    "$ROOT/packaging/linux/portcullis.conf" >"$T/portcullis.conf"
check "portcullis -t accepts packaging/linux/portcullis.conf and blocklist.txt" \
    "$B/portcullis" -t -c "$T/portcullis.conf"
for m in docs/man/portcullis.8 docs/man/portcullis.conf.5; do
    man --warnings -l "$ROOT/$m" >/dev/null 2>"$T/man.err" || true
    check "$m: no groff warnings" test ! -s "$T/man.err"
    cat "$T/man.err"
    check "$m: lexgrog finds its NAME line" lexgrog "$ROOT/$m"
done
check "shellcheck: maintainer scripts, RPM scriptlets and this script" \
    shellcheck -s sh "$ROOT"/packaging/linux/deb/postinst "$ROOT"/packaging/linux/deb/prerm \
    "$ROOT"/packaging/linux/deb/postrm "$ROOT"/packaging/linux/rpm/*.sh "$SELF"

# ---- the .deb -----------------------------------------------------------------
echo "== dpkg-deb -I"
dpkg-deb -I "$DEB" | tee "$T/deb-info"
echo "== dpkg-deb -c"
dpkg-deb -c "$DEB" | tee "$T/deb-list"
check "DEB Version is $VERSION" has "$T/deb-info" "^ Version: $VERSION\$"
check "DEB Section is net" has "$T/deb-info" '^ Section: net$'
check "DEB Depends on libuv1 and adduser" has "$T/deb-info" '^ Depends: .*adduser.*libuv1'
for f in usr/sbin/portcullis etc/portcullis/portcullis.conf etc/portcullis/blocklist.txt \
    etc/logrotate.d/portcullis usr/lib/systemd/system/portcullis.service \
    usr/lib/sysusers.d/portcullis.conf usr/share/man/man8/portcullis.8.gz \
    usr/share/man/man5/portcullis.conf.5.gz usr/share/doc/portcullis/copyright \
    usr/share/doc/portcullis/changelog.gz; do
    check "DEB contains /$f" has "$T/deb-list" " \./$f\$"
done
check "DEB has nothing in /usr/etc or /usr/local" lacks "$T/deb-list" ' \./usr/(etc|local)/'
dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles >"$T/conffiles"
check "DEB conffiles: portcullis.conf, blocklist.txt, logrotate" test "$(sort "$T/conffiles")" = \
    "$(printf '%s\n' /etc/logrotate.d/portcullis /etc/portcullis/blocklist.txt \
        /etc/portcullis/portcullis.conf)"
mkdir "$T/x"
dpkg-deb -x "$DEB" "$T/x"
"$T/x/usr/sbin/portcullis" -h >"$T/help" 2>&1 || true
check "the packaged binary's default is /etc/portcullis/portcullis.conf" \
    has "$T/help" 'default: /etc/portcullis/portcullis\.conf'
check "the packaged binary says portcullis $VERSION" \
    test "$("$T/x/usr/sbin/portcullis" -V)" = "portcullis $VERSION"

# lintian: errors and warnings fail. Left on Debian 12 (lintian 2.116), as
# information only (shown with -I, not failing):
#   package-supports-alternative-init-but-no-init.d-script: no SysV script is
#     shipped; without systemd, "portcullis --daemon" is what an init script
#     runs (portcullis(8)).
echo "== lintian"
if lintian --fail-on error,warning --display-info "$DEB" >"$T/lintian" 2>&1; then
    lint_rc=0
else
    lint_rc=$?
fi
grep -v 'running with root privileges' "$T/lintian" || true
check "lintian: no error or warning" test "$lint_rc" = 0

# ---- the .rpm -----------------------------------------------------------------
echo "== rpm -qpi"
rpm -qpi "$RPM"
echo "== rpm -qplv"
rpm -qplv "$RPM" | tee "$T/rpm-list"
echo "== rpm -qp --requires"
rpm -qp --requires "$RPM" | tee "$T/rpm-req"
echo "== rpm -qp --scripts"
rpm -qp --scripts "$RPM" | tee "$T/rpm-scripts"
echo "== rpm file flags (c = %config, n = noreplace, d = %doc)"
rpm -qp --qf '[%{FILEFLAGS:fflags}\t%{FILENAMES}\n]' "$RPM" | tee "$T/rpm-flags"
for f in /usr/sbin/portcullis /etc/portcullis/portcullis.conf /etc/portcullis/blocklist.txt \
    /etc/logrotate.d/portcullis /usr/lib/systemd/system/portcullis.service \
    /usr/lib/sysusers.d/portcullis.conf /usr/share/man/man8/portcullis.8.gz \
    /usr/share/man/man5/portcullis.conf.5.gz; do
    check "RPM contains $f" has "$T/rpm-list" " $f\$"
done
check "RPM has nothing in /usr/etc or /usr/local" lacks "$T/rpm-list" ' /usr/(etc|local)/'
check "RPM Requires libuv (automatic soname dependency)" has "$T/rpm-req" '^libuv\.so\.1'
for s in preinstall postinstall preuninstall postuninstall; do
    check "RPM has a $s scriptlet" has "$T/rpm-scripts" "^$s scriptlet"
done
for f in /etc/portcullis/portcullis.conf /etc/portcullis/blocklist.txt \
    /etc/logrotate.d/portcullis; do
    check "RPM: $f is %config(noreplace)" has "$T/rpm-flags" "^cn	$f\$"
done
grep '^d' "$T/rpm-list" | awk '{ print $NF }' | sort >"$T/rpm-dirs"
check "RPM owns only its own directories" test "$(cat "$T/rpm-dirs")" = \
    "$(printf '%s\n' /etc/portcullis /usr/share/doc/portcullis /var/log/portcullis)"
check "RPM owns /var/log/portcullis as portcullis:portcullis 0750" \
    has "$T/rpm-list" '^drwxr-x--- .* portcull +portcull .* /var/log/portcullis$'

# rpmlint: advisory; its findings are reviewed in docs/packaging.md. Debian's
# rpmlint defaults to bz2 man pages; Fedora and openSUSE use gzip.
echo "== rpmlint (advisory)"
printf 'CompressExtension = "gz"\n' >"$T/rpmlint.toml"
rpmlint -c "$T/rpmlint.toml" "$RPM" 2>&1 | grep -E '^portcullis|badness' || true

# ---- install smoke test -------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
    echo "== install smoke test"
    if dpkg-query -W -f='${Status}' portcullis 2>/dev/null | grep -q 'installed\|config-files'; then
        echo "a portcullis package is installed here already; not touching it" >&2
        exit 1
    fi
    if [ -e /etc/portcullis ] || [ -e /var/log/portcullis ]; then
        echo "/etc/portcullis or /var/log/portcullis exists already; not touching it" >&2
        exit 1
    fi
    user_existed=0
    if getent passwd portcullis >/dev/null; then
        user_existed=1
    fi
    cleanup() {
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq \
            portcullis >/dev/null 2>&1 || true
        if [ "$user_existed" = 0 ] && getent passwd portcullis >/dev/null; then
            deluser --system --quiet portcullis >/dev/null 2>&1 || true
            delgroup --system --quiet portcullis >/dev/null 2>&1 || true
        fi
        rm -rf "$T"
    }
    trap cleanup EXIT
    trap 'exit 1' INT TERM HUP

    # apt-get rather than dpkg -i: it waits for the dpkg lock (this is also a
    # development machine) and says what is missing; the effect is dpkg -i.
    apt_deb() {
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq -y \
            --no-install-recommends "$@" >"$T/apt.log" 2>&1 || {
            cat "$T/apt.log"
            return 1
        }
    }
    check "install the .deb" apt_deb install "$DEB"
    check "user portcullis: system account, /nonexistent, nologin" \
        has_user_entry
    check "group portcullis exists" sh -c 'getent group portcullis >/dev/null'
    dpkg-query -W -f='${Conffiles}\n' portcullis >"$T/conffiles-installed"
    check "dpkg knows /etc/portcullis/portcullis.conf as a conffile" \
        has "$T/conffiles-installed" '^ /etc/portcullis/portcullis\.conf '
    check "the unit is enabled (multi-user.target.wants)" \
        test -L /etc/systemd/system/multi-user.target.wants/portcullis.service
    check "/var/log/portcullis is portcullis:portcullis 0750" \
        test "$(stat -c '%U:%G %a' /var/log/portcullis)" = "portcullis:portcullis 750"
    /usr/sbin/portcullis -h >"$T/help-installed" 2>&1 || true
    check "installed portcullis -h names /etc/portcullis/portcullis.conf" \
        has "$T/help-installed" '/etc/portcullis/portcullis\.conf'
    check "portcullis -t passes on the installed configuration, as user portcullis" \
        setpriv --reuid=portcullis --regid=portcullis --init-groups -- \
        /usr/sbin/portcullis -t -c /etc/portcullis/portcullis.conf
    check "man finds portcullis(8) and portcullis.conf(5)" \
        sh -c 'man -w 8 portcullis >/dev/null && man -w 5 portcullis.conf >/dev/null'
    if command -v systemd-analyze >/dev/null 2>&1; then
        check "systemd-analyze verify portcullis.service" \
            systemd-analyze verify /usr/lib/systemd/system/portcullis.service
        systemd-analyze security --offline=true --no-pager \
            /usr/lib/systemd/system/portcullis.service 2>/dev/null | tail -n 1 || true
    fi

    # The proxy, an origin and curl in a network namespace of their own.
    unshare -n "$SELF" --in-netns "$T" || bad "the network-namespace smoke test ran to its end"
    echo "---- /var/log/portcullis/access.log"
    cat /var/log/portcullis/access.log || true
    check "access log: the GET, status 200" has /var/log/portcullis/access.log \
        ' GET http://127\.0\.0\.1:18080/hello\.txt 200 '
    check "access log: the refusal names the blocklist line" has /var/log/portcullis/access.log \
        ' 403 .* block:/etc/portcullis/blocklist\.txt:[0-9]+ '

    # logrotate as cron would run it (forced, with a state file of our own).
    logrotate -f -s "$T/logrotate.state" /etc/logrotate.d/portcullis
    check "logrotate rotated access.log to access.log.1" test -s /var/log/portcullis/access.log.1
    check "logrotate made a new access.log, portcullis:portcullis 0640" \
        test "$(stat -c '%U:%G %a' /var/log/portcullis/access.log)" = "portcullis:portcullis 640"

    # An upgrade: the same package as version VERSION+upgradetest, whose
    # portcullis.conf differs from the one installed. The admin's edit must
    # survive it (dpkg keeps the local file and puts the new one beside it as
    # .dpkg-dist with --force-confold, which is what "keep your version" does).
    echo "# edited by linux-packages.sh" >>/etc/portcullis/portcullis.conf
    mkdir "$T/up"
    dpkg-deb -R "$DEB" "$T/up"
    sed -i "s/^Version: .*/Version: ${VERSION}+upgradetest/" "$T/up/DEBIAN/control"
    echo "# changed in the upgrade" >>"$T/up/etc/portcullis/portcullis.conf"
    (cd "$T/up" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum \
        >DEBIAN/md5sums)
    dpkg-deb --root-owner-group -b "$T/up" "$T/portcullis-upgrade.deb" >/dev/null
    check "upgrade to ${VERSION}+upgradetest" \
        apt_deb -o Dpkg::Options::=--force-confold install "$T/portcullis-upgrade.deb"
    check "the installed version is ${VERSION}+upgradetest" \
        test "$(dpkg-query -W -f='${Version}' portcullis)" = "${VERSION}+upgradetest"
    check "the admin's edit survived the upgrade" \
        has /etc/portcullis/portcullis.conf '^# edited by linux-packages\.sh$'
    check "the package's new version is beside it (.dpkg-dist)" \
        has /etc/portcullis/portcullis.conf.dpkg-dist '^# changed in the upgrade$'
    check "portcullis -t still passes after the upgrade" \
        /usr/sbin/portcullis -t -c /etc/portcullis/portcullis.conf

    # Remove keeps the configuration; purge removes it, the logs and the links.
    check "dpkg -r (apt-get remove)" apt_deb remove portcullis
    check "after remove: the binary is gone" test ! -e /usr/sbin/portcullis
    check "after remove: the edited configuration stays" \
        has /etc/portcullis/portcullis.conf '^# edited by linux-packages\.sh$'
    check "after remove: dpkg keeps the package as config-files" \
        test "$(dpkg-query -W -f='${db:Status-Abbrev}' portcullis)" = "rc "
    check "dpkg -P (apt-get purge)" apt_deb purge portcullis
    check "after purge: /etc/portcullis is gone" test ! -e /etc/portcullis
    check "after purge: /var/log/portcullis is gone" test ! -e /var/log/portcullis
    check "after purge: /etc/logrotate.d/portcullis is gone" test ! -e /etc/logrotate.d/portcullis
    check "after purge: the enable link is gone" \
        test ! -e /etc/systemd/system/multi-user.target.wants/portcullis.service
    check "after purge: the user is gone" sh -c '! getent passwd portcullis >/dev/null'
    check "after purge: the group is gone" sh -c '! getent group portcullis >/dev/null'
fi

passed=$(grep -c '^pass$' "$RESULTS" || true)
failed=$(grep -c '^fail$' "$RESULTS" || true)
echo "linux-packages.sh: $(($(date +%s) - start)) s"
echo "packages: $passed passed, $failed failed"
[ "$failed" = 0 ]
