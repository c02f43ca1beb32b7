#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deps: install the Debian packages tsmbpf needs and build libbpf 1.5 and
# bpftool 7.5 from linux-source-6.12.  Idempotent: a second run only checks.
#
# Usage: scripts/deps.sh TOOLS_DIR
set -euo pipefail

TOOLS=${1:?usage: deps.sh TOOLS_DIR}
mkdir -p "$TOOLS"
TOOLS=$(cd "$TOOLS" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)

PKGS=(
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	qemu-system-x86 busybox-static
	clang llvm dwarves
	bats bats-support bats-assert jq prometheus linux-perf bpftrace
	build-essential libelf-dev zlib1g-dev libzstd-dev pkg-config
	cpio kmod zstd xz-utils bison flex bc libssl-dev
)

say() { printf 'deps: %s\n' "$*"; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	say "installing: ${missing[*]}"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
else
	say "all ${#PKGS[@]} Debian packages present"
fi

# The guest kernel is the newest installed 6.12 image; its headers must match.
KVER=$("$TOP/scripts/kver.sh")
[ -n "$KVER" ] || { echo "deps: no linux-image-6.12 installed" >&2; exit 1; }
[ -d "/usr/src/linux-headers-$KVER" ] ||
	{ echo "deps: headers for $KVER missing" >&2; exit 1; }
say "guest kernel $KVER"

mkdir -p "$TOOLS"
STAMP="$TOOLS/.stamp"
SRC_TAR=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$SRC_TAR" ] || { echo "deps: linux-source-6.12 tarball missing" >&2; exit 1; }
PATCH="$TOP/patches/bpftool-module-struct-ops.patch"
want="$(stat -c '%n %s %Y' "$SRC_TAR") $(sha256sum "$PATCH" | cut -d' ' -f1) $KVER"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
   [ -x "$TOOLS/bin/bpftool" ] && [ -f "$TOOLS/lib/libbpf.a" ]; then
	say "libbpf $(cat "$TOOLS/libbpf.version") and $("$TOOLS/bin/bpftool" version | head -n1) cached in $TOOLS"
	exit 0
fi

SRC="$TOOLS/src"
rm -rf "$SRC" "$TOOLS/bin" "$TOOLS/lib" "$TOOLS/include" "$TOOLS/obj"
mkdir -p "$SRC"
say "unpacking tools/ from $SRC_TAR"
tar -xf "$SRC_TAR" -C "$SRC" --strip-components=1 --wildcards \
	'*/tools/lib/bpf' '*/tools/bpf/bpftool' '*/tools/include' \
	'*/tools/build' '*/tools/scripts' '*/tools/arch/x86' \
	'*/tools/lib/*.c' '*/tools/lib/*.h' '*/tools/lib/subcmd' \
	'*/kernel/bpf/disasm.c' '*/kernel/bpf/disasm.h' \
	'*/include/uapi/linux/bpf.h' '*/include/uapi/linux/btf.h' \
	'*/scripts/bpf_doc.py' '*/scripts/checkpatch.pl' \
	'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' \
	'*/Makefile' 2>/dev/null || true

say "patching bpftool: struct_ops types defined in modules"
patch -d "$SRC" -p1 --forward <"$PATCH"

JOBS=$(nproc)
mkdir -p "$TOOLS/obj/libbpf"
say "building libbpf (static)"
make -s -C "$SRC/tools/lib/bpf" -j"$JOBS" BUILD_STATIC_ONLY=1 \
	OUTPUT="$TOOLS/obj/libbpf/" DESTDIR="$TOOLS" prefix= libdir=/lib \
	install >/dev/null

VMLINUX="/usr/src/linux-headers-$KVER/vmlinux"
[ -f "$VMLINUX" ] || { echo "deps: $VMLINUX missing" >&2; exit 1; }
say "building bpftool (static, llvm/libbfd/libcap off)"
mkdir -p "$TOOLS/obj/bpftool" "$TOOLS/bin"
make -s -C "$SRC/tools/bpf/bpftool" -j"$JOBS" \
	OUTPUT="$TOOLS/obj/bpftool/" \
	feature-llvm=0 feature-libbfd=0 feature-libcap=0 \
	feature-libbfd-liberty=0 feature-libbfd-liberty-z=0 \
	feature-disassembler-four-args=0 feature-disassembler-init-styled=0 \
	VMLINUX_BTF="$VMLINUX" EXTRA_LDFLAGS=-static >/dev/null
install -m 0755 "$TOOLS/obj/bpftool/bpftool" "$TOOLS/bin/bpftool"
grep -m1 -E 'LIBBPF_(MAJOR|MINOR)_VERSION' -A1 \
	"$SRC/tools/lib/bpf/libbpf_version.h" | awk '{print $3}' | paste -sd. >"$TOOLS/libbpf.version"
echo "$want" >"$STAMP"
say "libbpf $(cat "$TOOLS/libbpf.version"), $("$TOOLS/bin/bpftool" version | head -n1) in $TOOLS"
