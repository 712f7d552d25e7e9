#!/bin/bash
# Build the Debian packages from a clean copy of the source tree, run
# lintian on them, install them into a fresh minimal Debian 12 (debootstrap,
# in a chroot) and there use them as a user would: compile and run an
# example with nothing but `pkg-config --cflags --libs bugtrack`, run
# `bugtrack --version`, and find the manual pages.  Issue 18.
#
# It needs root, network access to a Debian mirror and a few minutes, so it
# runs only when BT_TEST_PACKAGES=1 (scripts/test.sh's packages stage sets
# it) and otherwise says SKIP.  The base system is cached in
# $BT_PACKAGES_CACHE (default /var/cache/libbugtrack-ci) between runs.
set -euo pipefail
src=$1
if [ "${BT_TEST_PACKAGES:-}" != 1 ]; then
	echo "SKIP: set BT_TEST_PACKAGES=1 to build and install the packages (root, network)"
	exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "check_packages: needs root (chroot, mount)" >&2; exit 1; }
tmp=$(mktemp -d)
root=$tmp/root
cleanup() {
	umount -l "$root/dev/pts" "$root/proc" "$root/dev" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
step() { echo "== $* ($SECONDS s)"; }

step "a clean copy of the source"
mkdir "$tmp/src"
(cd "$src" && tar --exclude=./.git --exclude='./build' --exclude='./build-*' --exclude='./obj-*' \
	--exclude=./debian/.debhelper -cf - .) | tar -xf - -C "$tmp/src"

step "dpkg-buildpackage -us -uc -b"
# The test suite ran in the stages before; the package build compiles.
if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
	tail -n 60 "$tmp/build.log"
	echo "check_packages: dpkg-buildpackage failed" >&2
	exit 1
fi
grep -E "dpkg-gensymbols|warning" "$tmp/build.log" || true
ls "$tmp"/*.deb

step "lintian"
# Errors and warnings fail; overrides carry their reasons in debian/*.lintian-overrides.
lintian --fail-on error,warning --info "$tmp"/libbugtrack_*_*.changes

step "a fresh Debian 12 (debootstrap minbase)"
cache=${BT_PACKAGES_CACHE:-/var/cache/libbugtrack-ci}
base=$cache/bookworm-minbase.tar
if [ ! -f "$base" ]; then
	mkdir -p "$cache" "$tmp/base"
	debootstrap --variant=minbase bookworm "$tmp/base" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$tmp/debootstrap.log"; exit 1; }
	tar -C "$tmp/base" -cf "$base.part" . && mv "$base.part" "$base"
	rm -rf "$tmp/base"
fi
mkdir "$root"
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mkdir "$root/pkgs" "$root/example"
cp "$tmp"/*.deb "$root/pkgs/"
rm -f "$root"/pkgs/*-dbgsym_*.deb
cp "$src/examples/demo_service.c" "$src/examples/agent_loop.c" "$root/example/"

step "install the packages there, and use them"
chroot "$root" /bin/bash -euo pipefail -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends /pkgs/*.deb gcc libc6-dev pkg-config man-db >/dev/null
	dpkg -l "libbugtrack*" bugtrack bugtrackd | tail -n 4
	cd /example
	flags=$(pkg-config --cflags --libs bugtrack)
	echo "pkg-config --cflags --libs bugtrack: $flags"
	cc -o demo -DAGENT_LOOP_NO_MAIN demo_service.c agent_loop.c $flags
	BUGTRACK_DB=/example/demo.db ./demo | tail -n 3
	bugtrack --db /example/demo.db list --limit 3
	bugtrack --version
	bugtrackd --version
	man -w 3 bt_log
	man -w 3 bugtrack
	man -w 1 bugtrack
	man -w 8 bugtrackd
'
step "done"
