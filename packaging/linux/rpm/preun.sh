# shellcheck shell=sh
# preun.sh: the RPM %preun scriptlet of the portcullis package (CPack:
# CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE). $1 is 0 when the package is erased,
# 1 or more when an upgrade removes the old version.
#
# As systemd's %systemd_preun: on erase, stop the service and remove its
# enable links; on upgrade do nothing (%postun restarts it).
if [ "$1" -eq 0 ]; then
    if [ -d /run/systemd/system ]; then
        systemctl stop portcullis.service >/dev/null 2>&1 || :
    fi
    if command -v systemctl >/dev/null 2>&1; then
        systemctl --no-reload disable portcullis.service >/dev/null 2>&1 || :
    fi
fi
exit 0
