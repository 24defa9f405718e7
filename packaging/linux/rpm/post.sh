# shellcheck shell=sh
# post.sh: the RPM %post scriptlet of the portcullis package (CPack:
# CPACK_RPM_POST_INSTALL_SCRIPT_FILE). $1 is 1 on install, 2 or more on upgrade.
#
# As systemd's %systemd_post: on first installation the unit is enabled or
# not as the distribution's presets say (Fedora and RHEL enable nothing by
# default; "systemctl enable --now portcullis" does it), and nothing is
# started. Works without a running systemd (containers, image builds). The
# log directory is in the package (owned by the portcullis user).
if [ "$1" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl --no-reload preset portcullis.service >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
