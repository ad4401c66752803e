#!/usr/bin/env bash
# Installs what Syncer's build, demo and tests need on Debian 12:
# MariaDB (server and client), PostgreSQL, make and CA certificates.
# Go itself is expected at /usr/local/go (https://go.dev/dl/).
#
# The packages' post-install scripts try to start the system services; the
# tests start their own private servers, so service starts are denied with a
# temporary policy-rc.d and a failure to start them is not an error.
set -euo pipefail

packages=(mariadb-server mariadb-client postgresql make ca-certificates)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "setup-debian.sh: must run as root (or with sudo available)" >&2
		exit 1
	fi
fi

policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from syncer scripts/setup-debian.sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	created_policy=1
fi
cleanup() {
	if [ "$created_policy" = 1 ]; then
		"${sudo[@]}" rm -f "$policy"
	fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

# Check that what the harness runs is there.
for bin in mariadbd mariadb-install-db; do
	if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ] && [ ! -x "/usr/bin/$bin" ]; then
		echo "setup-debian.sh: $bin is missing after installing mariadb-server" >&2
		exit 1
	fi
done
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	echo "setup-debian.sh: /usr/lib/postgresql/<version>/bin/postgres is missing after installing postgresql" >&2
	exit 1
fi
if [ ! -x /usr/local/go/bin/go ] && ! command -v go >/dev/null 2>&1; then
	echo "setup-debian.sh: warning: Go not found at /usr/local/go/bin or on PATH; install Go 1.26 from https://go.dev/dl/" >&2
fi
echo "setup-debian.sh: done"
