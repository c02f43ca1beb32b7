#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug guest kernel of `make test KERNEL=debug`: Debian's
# linux-source-6.12 built with lockdep, KASAN, UBSAN, kmemleak, DEBUG_LIST
# and fault injection (scripts/debug-kernel.config), cached outside the tree.
#
# Usage: scripts/debug-kernel.sh build    build if not cached; print the entry
#        scripts/debug-kernel.sh path     print the entry's path (built or not)
#        scripts/debug-kernel.sh config   configure a scratch tree and check
#                                         the options (a minute; no build)
#
# The cache entry is $TSMBPF_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/tsmbpf)
# /kernel-<source package version>-<hash>, the hash over the option lines of
# the config fragment and RECIPE below.  It holds:
#   build/          the configured, built tree minus its object files:
#                   `make -C build M=DIR modules` builds out-of-tree modules
#                   (module BTF comes from build/vmlinux, which is kept)
#   bzImage         the kernel QEMU boots
#   modroot/        `make modules_install` (debug info stripped, BTF kept):
#                   modroot/lib/modules/<release>/ for the guest's VFIO modules
#   kernelrelease   e.g. 6.12.117-tsmbpf-debug
#   config, build.log, build-seconds
# The first build takes about 45 minutes on 2 cores (README); it runs under
# `nice -n 10` with JOBS (default: the number of CPUs) jobs, prints progress
# every PROGRESS seconds (default 60), and works in <entry>.partial, renamed
# to the entry only when everything is in place: an interrupted or failed
# build never looks complete, and the next run resumes it (make is
# incremental).  One build at a time per entry (flock).
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

TOP=$(cd "$(dirname "$0")/.." && pwd)
FRAGMENT=$TOP/scripts/debug-kernel.config
SRC_TAR=${TSMBPF_KERNEL_SRC:-/usr/src/linux-source-6.12.tar.xz}
SRC_PKG=linux-source-6.12
# Bump when the way the tree is built changes (not the config: that is hashed).
RECIPE=1
CACHE=${TSMBPF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsmbpf}
JOBS=${JOBS:-$(nproc)}
PROGRESS=${PROGRESS:-60}

say() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
usage() { sed -n '8,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

src_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) || v=''
	if [ -z "$v" ]; then
		[ -r "$SRC_TAR" ] || die "no $SRC_TAR: run make deps (installs $SRC_PKG)"
		v=$(stat -c '%s-%Y' "$SRC_TAR")
	fi
	printf '%s' "$v" | tr -c 'A-Za-z0-9.+\n-' '_'
}

entry() {
	local h
	h=$({
		echo "recipe $RECIPE"
		echo "base x86_64_defconfig kvm_guest.config"
		# the option lines only: comments may change without a rebuild
		grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' "$FRAGMENT"
	} | sha256sum | cut -c1-12)
	echo "$CACHE/kernel-$(src_version)-$h"
}

# configure TREE: defconfig + kvm_guest.config + the fragment, olddefconfig,
# then every option the fragment sets must be in .config as it says.
configure() {
	local tree=$1 line opt lost=0
	(
		cd "$tree"
		make -s x86_64_defconfig >/dev/null
		scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
			"$FRAGMENT" >/dev/null
		make -s olddefconfig >/dev/null
	) || die "configuring $tree failed"
	while IFS= read -r line; do
		case $line in
		'# CONFIG_'*' is not set')
			opt=${line#\# }
			opt=${opt%% *}
			if grep -q "^$opt=" "$tree/.config"; then
				say "config: wanted $opt off, got $(grep "^$opt=" "$tree/.config")"
				lost=1
			fi
			;;
		CONFIG_*=*)
			if ! grep -qxF "$line" "$tree/.config"; then
				opt=${line%%=*}
				say "config: wanted $line, got $(grep -E "^(# )?$opt[= ]" "$tree/.config" || echo 'nothing (unknown or unmet dependency)')"
				lost=1
			fi
			;;
		esac
	done <"$FRAGMENT"
	[ "$lost" = 0 ] || die "options of $FRAGMENT did not survive olddefconfig (above)"
	say "config: every option of ${FRAGMENT#"$TOP"/} survived olddefconfig"
}

extract() { # DIR
	say "extracting $SRC_TAR"
	mkdir -p "$1"
	tar -xJf "$SRC_TAR" -C "$1" --strip-components=1
}

# run_make LOG ARGS...: make in the background, a progress line every
# PROGRESS seconds; the make's status.
run_make() {
	local log=$1 pid n start=$SECONDS last
	shift
	nice -n 10 make -C "$TREE" -j"$JOBS" "$@" >>"$log" 2>&1 &
	pid=$!
	trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; say "interrupted; $PARTIAL is kept and resumed next time"; exit 130' INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq "$PROGRESS"); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null || break
		n=$(grep -c '^  CC ' "$log" || true)
		last=$(grep -E '^  [A-Z]+' "$log" | tail -n1 | sed 's/^ *//;s/  */ /g')
		say "$(printf '%3d:%02d' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)))" \
			"$n files compiled; now: ${last:-starting}"
	done
	trap - INT TERM
	wait "$pid"
}

build() {
	local final start
	final=$(entry)
	PARTIAL=$final.partial
	if [ -f "$final/kernelrelease" ]; then
		echo "$final"
		return 0
	fi
	mkdir -p "$CACHE"
	exec 8>"$final.lock"
	if ! flock -n 8; then
		say "another build of $final runs; waiting for it"
		flock 8
	fi
	if [ -f "$final/kernelrelease" ]; then
		echo "$final"
		return 0
	fi
	say "building the debug kernel into $final"
	say "the first build takes about 45 minutes on 2 cores (nice -n 10, -j$JOBS); log in $PARTIAL/build.log"
	TREE=$PARTIAL/build
	if [ ! -f "$TREE/Makefile" ]; then
		rm -rf "$PARTIAL"
		extract "$TREE"
	else
		say "resuming the interrupted build in $PARTIAL"
	fi
	configure "$TREE"
	start=$(date +%s)
	[ -f "$PARTIAL/build-start" ] || echo "$start" >"$PARTIAL/build-start"
	if ! run_make "$PARTIAL/build.log" bzImage modules; then
		tail -n 40 "$PARTIAL/build.log" >&2
		die "kernel build failed (log: $PARTIAL/build.log; the next run resumes it)"
	fi
	say "installing modules"
	rm -rf "$PARTIAL/modroot"
	make -C "$TREE" -s INSTALL_MOD_PATH="$PARTIAL/modroot" INSTALL_MOD_STRIP=1 \
		modules_install >>"$PARTIAL/build.log" 2>&1 ||
		die "modules_install failed (log: $PARTIAL/build.log)"
	make -C "$TREE" -s kernelrelease >"$PARTIAL/kernelrelease.tmp"
	cp "$TREE/arch/x86/boot/bzImage" "$PARTIAL/bzImage"
	cp "$TREE/.config" "$PARTIAL/config"
	# What an out-of-tree module build needs stays: .config, include/,
	# scripts/ and tools/ (modpost, objtool, resolve_btfids), Module.symvers,
	# vmlinux.  The object files (several GB) go.
	say "pruning object files from the tree"
	find "$TREE" \( -path "$TREE/tools" -o -path "$TREE/scripts" \) -prune -o \
		-type f \( -name '*.o' -o -name '*.a' -o -name '*.ko' -o -name '.tmp_vmlinux*' \
		-o -name 'vmlinux.bin*' \) -print0 | xargs -0r rm -f
	echo $(($(date +%s) - $(cat "$PARTIAL/build-start"))) >"$PARTIAL/build-seconds"
	mv "$PARTIAL/kernelrelease.tmp" "$PARTIAL/kernelrelease"
	rm -rf "$final"
	mv "$PARTIAL" "$final"
	say "built $(cat "$final/kernelrelease") in $(($(cat "$final/build-seconds") / 60)) min" \
		"(make and install; extraction not counted): $final"
	echo "$final"
}

case ${1:-} in
path) entry ;;
build) build ;;
config)
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/tsmbpf-kconfig.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	extract "$scratch"
	configure "$scratch"
	;;
*) usage ;;
esac
