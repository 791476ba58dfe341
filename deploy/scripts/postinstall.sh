#!/bin/sh
# pxed package: after install or upgrade (deb postinst "configure",
# rpm %post 1 or 2). It makes the pxed user and /var/lib/pxed, labels them
# for SELinux where SELinux is managed, and tells systemd of the unit. It
# neither enables nor starts pxed: a DHCP server must not start answering
# on a network before its config names the interfaces meant for it.
set -e

case "$1" in
configure | 1 | 2) ;;
*) exit 0 ;;
esac

# The user, as /usr/lib/sysusers.d/pxed.conf describes it.
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers pxed.conf
elif ! getent passwd pxed >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/pxed --no-create-home \
		--shell /usr/sbin/nologin --comment "pxed PXE network-boot server" pxed
fi

# The data directory, as /usr/lib/tmpfiles.d/pxed.conf describes it. It is
# not in the package's files, so that removing the package keeps the
# leases; purging removes it (postremove.sh).
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create pxed.conf
else
	install -d -m 0750 -o pxed -g pxed /var/lib/pxed
fi

# SELinux (Fedora, RHEL): the labels of docs/deploy.md, so that a confined
# service may read the TFTP root and keep its state. -a fails where the
# rule exists already (an upgrade): -m changes it then.
if command -v semanage >/dev/null 2>&1; then
	for rule in "tftpdir_t /srv/tftp(/.*)?" "dhcpd_state_t /var/lib/pxed(/.*)?"; do
		type=${rule%% *} spec=${rule#* }
		semanage fcontext -a -t "$type" "$spec" 2>/dev/null ||
			semanage fcontext -m -t "$type" "$spec" || true
	done
	if command -v restorecon >/dev/null 2>&1; then
		restorecon -R /srv/tftp /var/lib/pxed || true
	fi
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	# An upgrade: a pxed that was running serves the new binary.
	systemctl try-restart pxed.service || true
fi
