# shellcheck shell=sh
# postun.sh: the RPM %postun scriptlet of the portcullis package (CPack:
# CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE). $1 is 0 after an erase, 1 or more
# after an upgrade.
#
# As systemd's %systemd_postun_with_restart: systemd rereads the units, and
# after an upgrade a running service restarts on the new binary
# (try-restart leaves a stopped service stopped).
#
# Erasing keeps the logs (/var/log/portcullis), any .rpmsave copy of an
# edited configuration, and the portcullis user and group: RPM has no purge,
# and Fedora's guidelines never remove users (their uid could be reused by
# an account that would then own leftover files).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart portcullis.service >/dev/null 2>&1 || :
    fi
fi
exit 0
