#!/bin/sh
# pxed package: before removal (deb prerm "remove", rpm %preun 0; not on
# an upgrade): stop pxed and take it out of the boot, as its files go.
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl disable --now pxed.service || true
fi
