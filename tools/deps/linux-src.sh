#!/bin/bash
# Unpack linux-source-6.12 once into the cache (keyed by the package
# version) and point $1 at it. Used for the kselftest harness header,
# checkpatch.pl and the debug kernel build; never modified in place.
set -euo pipefail
out=$1
cache=${CACHE:-/var/cache/ioasid}
tarball=$(ls /usr/src/linux-source-6.12.tar.xz)
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
dir=$cache/src/$ver
mkdir -p "$cache/src"
# Several checkouts may unpack at once (worktrees, a CI run beside a
# session): one unpacks, the others wait for its stamp.
exec 9>"$cache/src/.lock"
flock 9
if [ ! -e "$dir/.stamp" ]; then
	echo "linux-src: unpacking $tarball ($ver) into $dir"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -C "$dir.tmp" -xf "$tarball"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	touch "$dir/.stamp"
fi
mkdir -p "$(dirname "$out")"
ln -sfn "$dir/linux-source-6.12" "$out"
