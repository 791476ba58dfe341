#!/bin/sh
# pxed package: after removal. Removing keeps /var/lib/pxed (the leases)
# and the pxed user; purging a .deb (deb postrm "purge") removes the
# leases and /etc/pxed too. RPM has no purge: an erased package (rpm
# %postun 0) leaves /var/lib/pxed and an edited config as .rpmsave.
set -e

case "$1" in
purge)
	rm -rf /var/lib/pxed /etc/pxed
	;;
esac

case "$1" in
purge | 0)
	# The SELinux labels postinstall.sh added.
	if command -v semanage >/dev/null 2>&1; then
		semanage fcontext -d "/srv/tftp(/.*)?" 2>/dev/null || true
		semanage fcontext -d "/var/lib/pxed(/.*)?" 2>/dev/null || true
	fi
	;;
esac

case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
esac
