#!/bin/bash
# Install the Debian packages listed in packages.txt that are missing.
# Idempotent and quiet when everything is already present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt")
find_missing() {
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
}
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'sudo make deps' (or install them with apt-get)" >&2
	exit 1
fi
# Concurrent `make deps` (several checkouts) queue here rather than fail on
# apt's own lock; the second finds everything installed.
exec 9>/var/lock/ioasid-deps-apt.lock
flock 9
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: packages installed"
