#!/bin/bash
# Install what building and testing libbugtrack needs on Debian 12, and only
# what is missing, so that a second run costs nothing.
set -euo pipefail

packages=(
	gcc g++ libc6-dev binutils     # compilers; g++ for the C++ header test
	meson ninja-build pkg-config   # build
	python3                        # meson itself, and the migration embedder
	python3-yaml                   # parses doc/openapi.yaml in bugtrackd's test
	libsqlite3-dev                 # the one required runtime dependency
	libpq-dev                      # the PostgreSQL backend (optional in a user's build)
	postgresql-15                  # the server the postgresql stage starts (pg_virtualenv)
	abigail-tools                  # the ABI gate (abidw, abidiff)
	valgrind                       # the memcheck stage of the tests
	scdoc                          # the man pages bugtrack(1) and bugtrackd(8)
	groff-base                     # typesets the section-3 pages in their test (check_man3.py)
	libmicrohttpd-dev libjansson-dev  # bugtrackd, the HTTP daemon (optional in a user's build)
	libcurl4-gnutls-dev libgnutls28-dev  # bugtrackd's webhooks: delivery, HMAC signatures
	curl openssl                   # a client of bugtrackd's tests; its test certificate
	chromium                       # headless, the status page's browser check (~300 MB)
	clang libclang-rt-14-dev       # libFuzzer and clang's sanitizers: the fuzz targets
	locales                        # de_DE's sources: test_json makes a decimal-comma locale
	debhelper dpkg-dev lintian     # the Debian packages (debian/), built and linted in CI
	debootstrap                    # ...and installed into a fresh Debian 12 there
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
	echo "bootstrap: install them as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
