# shellcheck shell=sh
# pre.sh: the RPM %pre scriptlet of the portcullis package (CPack:
# CPACK_RPM_PRE_INSTALL_SCRIPT_FILE). $1 is 1 on install, 2 or more on upgrade.
#
# Creates the system user and group the unit runs as, the way Fedora's
# packaging guidelines do (their %sysusers_create_compat expands to the same
# getent/useradd lines); /usr/lib/sysusers.d/portcullis.conf describes the
# same account for systemd-sysusers. A failure here stops the installation:
# without the user the service cannot start.
getent group portcullis >/dev/null || groupadd -r portcullis || exit 1
getent passwd portcullis >/dev/null || useradd -r -g portcullis -d /nonexistent -M \
    -s /usr/sbin/nologin -c "Portcullis proxy" portcullis || exit 1
exit 0
