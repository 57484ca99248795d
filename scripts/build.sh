#!/usr/bin/env bash
# Builds Strata out of tree: scripts/build.sh DIR [configure options...]
# DIR/strata is the binary. Regenerates the autotools files when needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
	[ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
	(cd "$top" && autoreconf -fi >/dev/null)
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	"$top/configure" "$@" >configure.out || { cat configure.out; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
