#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the tsmbpf guest initramfs: a newc cpio that boots straight into a
# busybox /init, runs one command (or an interactive shell) and reboots.
#
# Usage: scripts/mkinitramfs.sh --build BUILD_DIR --kver KVER --out FILE
#                               [--cmd SCRIPT] [--interactive] [--modroot DIR]
#                               [--compress none|gzip|zstd] [--extra BIN]...
#
#   --build BUILD_DIR  build tree to take artefacts from (each optional):
#                        tools/bin/bpftool         -> /usr/local/bin/bpftool
#                        loader/tsmctl             -> /usr/local/bin/tsmctl
#                        tests/bin/*               -> /usr/local/bin/
#                        kernel/**.ko, tests/modules/**.ko
#                                                  -> /opt/tsmbpf/modules/
#                        policies/*.bpf.o          -> /opt/tsmbpf/policies/
#                        tests/policies/*.bpf.o    -> /opt/tsmbpf/tests/policies/
#                          (only those with a source in the tree)
#                      and the repository's tests/ -> /opt/tsmbpf/tests/,
#                      dashboards/ -> /opt/tsmbpf/dashboards/
#   --kver KVER        guest kernel release: the .ko files also go to
#                      /lib/modules/KVER/extra with a depmod index, so
#                      `modprobe tsmbpf` works too; the guest kernel's own
#                      VFIO modules (irqbypass, vfio, vfio_iommu_type1,
#                      vfio-pci-core, vfio-pci and what they depend on) go
#                      to /lib/modules/KVER/kernel/, decompressed
#   --modroot DIR      take the guest kernel's modules from
#                      DIR/lib/modules/KVER instead of /lib/modules/KVER (the
#                      debug kernel of scripts/debug-kernel.sh)
#   --out FILE         output; written to a temporary file, then renamed
#   --cmd SCRIPT       bash script the guest runs (-> /opt/tsmbpf/cmd)
#   --interactive      guest starts a login shell (-> /opt/tsmbpf/interactive)
#   --compress C       none (default; fastest end to end under TCG), gzip, zstd
#   --extra BIN        also pack host program BIN (name or path) and its
#                      libraries into /usr/bin, e.g. --extra strace
#
# Userland: busybox-static gives /bin/sh, the tools /init uses and every
# applet under /bin and /sbin.  GNU coreutils, grep, sed, findutils,
# diffutils, procps, mawk, jq, some util-linux tools (script: a pty for
# tsmctl top), Prometheus with promtool (45_dashboards.bats scrapes
# tsmctl serve with a real server in the guest), perf and bpftrace
# (40_trace.bats; bpftrace brings LLVM and clang, some 200 MB) go to
# /usr/bin, ahead of /bin in PATH, so bats and the tests see the tools they
# see on the host
# (bats needs `flock`, `ps -ef PID` and `date +%s%N`; busybox has no flock
# and its ps takes no arguments).  /bin/bash is the real bash.  Dynamic
# programs are packed with the libraries and ELF interpreter `ldd` reports,
# into a usr-merged tree (/lib -> usr/lib, /lib64 -> usr/lib64).
#
# That base tree depends only on host packages and this script; it is cached
# in OUT's directory (.initramfs-base/) and rebuilt when either changes, so a
# build normally costs well under a second.
#
# The archive is reproducible: sorted entries, owner 0:0, every mtime set to
# SOURCE_DATE_EPOCH (default 0), inode numbers renumbered (cpio --reproducible).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	sed -n '7,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() {
	printf 'mkinitramfs: %s\n' "$*" >&2
	exit 1
}

BUILD='' KVER='' OUT='' CMD='' INTERACTIVE=0 COMPRESS=none MODROOT=''
EXTRA=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=${2:?}; shift 2 ;;
	--kver) KVER=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--cmd) CMD=${2:?}; shift 2 ;;
	--interactive) INTERACTIVE=1; shift ;;
	--modroot) MODROOT=${2:?}; shift 2 ;;
	--compress) COMPRESS=${2:?}; shift 2 ;;
	--extra) EXTRA+=("${2:?}"); shift 2 ;;
	-h | --help) usage ;;
	*) echo "mkinitramfs: unknown argument '$1'" >&2; usage ;;
	esac
done
if [ -z "$BUILD" ] || [ -z "$KVER" ] || [ -z "$OUT" ]; then usage; fi
[ -d "$BUILD" ] || die "no build directory $BUILD"
[ -z "$CMD" ] || [ -f "$CMD" ] || die "no command file $CMD"
case $COMPRESS in none | gzip | zstd) ;; *) usage ;; esac
BUILD=$(cd "$BUILD" && pwd)

BUSYBOX=/bin/busybox
"$BUSYBOX" --list-full >/dev/null 2>&1 || die "busybox-static not installed"

# Host packages whose programs go into /usr/bin (all their programs) ...
GNU_PKGS=(coreutils grep sed findutils diffutils)
# ... and single programs from other packages.
GNU_BINS=(ps pgrep pkill pidof kill free top watch mawk jq less flock setsid
	unshare nsenter taskset prlimit mountpoint getopt script
	prometheus promtool perf bpftrace)
# Packages the base tree is made from: a version change rebuilds the cache.
BASE_PKGS=(busybox-static bash libc6 "${GNU_PKGS[@]}" procps mawk jq less
	util-linux bsdutils bats bats-support bats-assert ncurses-base prometheus
	linux-perf bpftrace)

# ---------------------------------------------------------------- helpers --

R= # root of the tree being filled
declare -A PACKED=() # libraries already in the tree

# pack_libs ELF: copy the shared libraries and interpreter ELF needs.
pack_libs() {
	local line lib
	# ldd fails on static programs and scripts: nothing to copy then.
	while read -r line; do
		case $line in
		*'=> not found'*) die "$1 needs ${line%% *}, not found" ;;
		*'=> /'*) lib=${line#*=> } ;;
		/*) lib=$line ;; # the ELF interpreter
		*) continue ;;   # linux-vdso.so.1, "not a dynamic executable"
		esac
		lib=${lib%% (*}
		# The tree is usr-merged: /lib/x and /usr/lib/x are one file.
		lib=/usr${lib#/usr}
		[ -n "${PACKED[$lib]:-}" ] && continue
		PACKED[$lib]=1
		mkdir -p "$R${lib%/*}"
		cp -L "$lib" "$R$lib"
	done < <(ldd "$1" 2>/dev/null || true)
}

# pack_bin SRC DST: copy program SRC to DST in the tree, with its libraries.
pack_bin() {
	mkdir -p "$R${2%/*}"
	rm -f "$R$2"
	cp -L "$1" "$R$2"
	chmod 0755 "$R$2"
	pack_libs "$1"
}

# pack_tree SRC DST: copy a directory tree (scripts, data).
pack_tree() {
	mkdir -p "$R$2"
	cp -RL "$1/." "$R$2/"
}

# ------------------------------------------------------------- base tree --

write_etc() {
	cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$R/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
	echo tsmbpf-vm >"$R/etc/hostname"
	: >"$R/etc/fstab"
	ln -s /proc/self/mounts "$R/etc/mtab"
	cat >"$R/etc/profile" <<'EOF'
# tsmbpf guest login profile (`make shell`)
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root TSMBPF_ROOT=/opt/tsmbpf
PS1='tsmbpf-vm:\w# '
alias ll='ls -l'
cd /opt/tsmbpf 2>/dev/null || true
EOF
}

write_init() {
	cat >"$R/init" <<'EOF'
#!/bin/sh
# tsmbpf guest /init (busybox sh), written by scripts/mkinitramfs.sh.
#
# Mounts the pseudo filesystems, then either runs /opt/tsmbpf/cmd with bash
# and prints "TSMBPF-EXIT-STATUS=<n>", or, if /opt/tsmbpf/interactive exists,
# starts a login shell on the console.  Then reboots: QEMU runs with
# -no-reboot, so that ends the VM.
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root TSMBPF_ROOT=/opt/tsmbpf
export TERM="${TERM:-linux}"
bb=/bin/busybox

mnt() { # TYPE DIR [OPTIONS]
	$bb mkdir -p "$2"
	$bb mount -t "$1" ${3:+-o "$3"} "$1" "$2" ||
		echo "init: cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm mode=1777
mnt debugfs /sys/kernel/debug
mnt tracefs /sys/kernel/tracing
mnt bpf /sys/fs/bpf mode=700
mnt cgroup2 /sys/fs/cgroup
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
# The VFIO stack, for every command: not vfio-pci itself, since tests bind
# PCI functions to vfio-pci or a variant driver explicitly.
for m in irqbypass vfio vfio_iommu_type1 vfio_pci_core; do
	$bb modprobe $m || echo "init: cannot load $m: VFIO tests will fail"
done
$bb ln -sf /proc/self/fd /dev/fd
$bb ln -sf /proc/self/fd/0 /dev/stdin
$bb ln -sf /proc/self/fd/1 /dev/stdout
$bb ln -sf /proc/self/fd/2 /dev/stderr
$bb hostname -F /etc/hostname
$bb ip link set lo up 2>/dev/null

cd /opt/tsmbpf
if [ -e /opt/tsmbpf/interactive ]; then
	# tsmbpf.rows= tsmbpf.cols= on the command line: the host's terminal.
	for arg in $($bb cat /proc/cmdline); do
		case $arg in
		tsmbpf.rows=*) rows=${arg#*=} ;;
		tsmbpf.cols=*) cols=${arg#*=} ;;
		esac
	done
	if [ -n "${rows:-}" ] && [ -n "${cols:-}" ]; then
		$bb stty -F /dev/ttyS0 rows "$rows" cols "$cols"
	fi
	# the core with its test interface, and the emulated firmware
	if [ -f /opt/tsmbpf/modules/tsmbpf.ko ] &&
	   $bb insmod /opt/tsmbpf/modules/tsmbpf.ko step_ioctl=1; then
		echo "init: loaded tsmbpf.ko (step_ioctl=1)"
		if [ -f /opt/tsmbpf/modules/tsmbpf_emu.ko ] &&
		   $bb insmod /opt/tsmbpf/modules/tsmbpf_emu.ko; then
			echo "init: loaded tsmbpf_emu.ko (emulated TDX Connect, SEV-TIO, CCA firmware)"
		fi
	fi
	if [ -f /opt/tsmbpf/cmd ]; then
		bash /opt/tsmbpf/cmd </dev/null
		echo "init: command exited with status $?"
	fi
	echo
	echo "tsmbpf guest, kernel $($bb uname -r), $($bb nproc) CPUs;" \
		"artefacts in /opt/tsmbpf."
	echo "Leave the shell to power off (Ctrl-A X kills QEMU)."
	echo
	$bb setsid $bb cttyhack bash -l
else
	echo "TSMBPF-CMD-START uptime=$($bb cut -d' ' -f1 /proc/uptime)"
	if [ -f /opt/tsmbpf/cmd ]; then
		bash /opt/tsmbpf/cmd </dev/null
		rc=$?
	else
		echo "init: no /opt/tsmbpf/cmd"
		rc=127
	fi
	# The debug kernel (scripts/vm-run.sh --kernel-dir): what kmemleak
	# finds unreferenced once the command is done, between markers that
	# scripts/scan-console.sh reads.  Two scans: an object is reported
	# only once it is older than 5 s and unreferenced in a scan.
	if $bb grep -qw tsmbpf.kmemleak=1 /proc/cmdline; then
		kl=/sys/kernel/debug/kmemleak
		echo "TSMBPF-KMEMLEAK-BEGIN"
		if echo scan >$kl && $bb sleep 6 && echo scan >$kl; then
			$bb cat $kl
		else
			echo "TSMBPF-KMEMLEAK-ERROR: no scan (kmemleak off or disabled?)"
		fi
		echo "TSMBPF-KMEMLEAK-END"
	fi
	echo "TSMBPF-EXIT-STATUS=$rc"
fi
$bb sync
$bb reboot -f
EOF
	chmod 0755 "$R/init"
}

# build_base: everything that depends only on host packages and this script.
build_base() {
	local applet pkg f b src t d

	mkdir -p "$R"/{bin,sbin,etc,root,tmp,run,proc,sys,dev,mnt} \
		"$R"/usr/{bin,sbin,lib,lib64,local/bin} \
		"$R/opt/tsmbpf"/{modules,policies,tests}
	ln -s usr/lib "$R/lib"
	ln -s usr/lib64 "$R/lib64"
	chmod 1777 "$R/tmp"
	chmod 0700 "$R/root"

	cp "$BUSYBOX" "$R/bin/busybox"
	while read -r applet; do
		case $applet in bin/busybox | linuxrc) continue ;; esac
		ln -s /bin/busybox "$R/$applet"
	done < <("$BUSYBOX" --list-full)

	pack_bin /bin/bash /bin/bash
	ln -sf /bin/bash "$R/usr/bin/bash"

	local bins=("${GNU_BINS[@]}")
	for pkg in "${GNU_PKGS[@]}"; do
		while read -r f; do
			[ -f "$f" ] && [ -x "$f" ] && bins+=("$f")
		done < <(dpkg -L "$pkg" | grep -E '^/(usr/)?s?bin/[^/]+$')
	done
	for b in "${bins[@]}"; do
		if src=$(type -P "$b"); then
			pack_bin "$src" "/usr/bin/${src##*/}"
		else
			echo "mkinitramfs: no $b on the host; busybox's if any" >&2
		fi
	done
	for b in "${EXTRA[@]}"; do
		src=$(type -P "$b") || die "--extra $b: not found on the host"
		pack_bin "$src" "/usr/bin/${src##*/}"
	done
	ln -sf mawk "$R/usr/bin/awk"
	f=/usr/libexec/coreutils/libstdbuf.so # stdbuf preloads it
	if [ -f "$f" ]; then
		mkdir -p "$R${f%/*}"
		cp "$f" "$R$f"
	fi

	# bats-core and its helper libraries, at their Debian paths.
	pack_bin /usr/bin/bats /usr/bin/bats
	for d in /usr/lib/bats-core /usr/libexec/bats-core \
		/usr/lib/bats/bats-support /usr/lib/bats/bats-assert \
		/usr/lib/bats/bats-file; do
		if [ -d "$d" ]; then
			pack_tree "$d" "$d"
		fi
	done

	# Terminal descriptions for `make shell` (readline wants one).
	for t in d/dumb l/linux v/vt100 v/vt102 v/vt220 x/xterm \
		x/xterm-256color s/screen s/screen-256color t/tmux \
		t/tmux-256color; do
		for d in /lib/terminfo /usr/share/terminfo; do
			if [ -f "$d/$t" ]; then
				mkdir -p "$R/usr/share/terminfo/${t%/*}"
				cp -L "$d/$t" "$R/usr/share/terminfo/$t"
				break
			fi
		done
	done

	write_etc
	write_init
}

mkdir -p "$(dirname "$OUT")"
OUTDIR=$(cd "$(dirname "$OUT")" && pwd)
CACHE=$OUTDIR/.initramfs-base
exec 9>"$OUTDIR/.initramfs.lock"
flock 9 # one build at a time per output directory

want=$({
	sha256sum <"$0"
	dpkg-query -W "${BASE_PKGS[@]}" 2>/dev/null || true
	echo "extra: ${EXTRA[*]}"
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/stamp" 2>/dev/null)" != "$want" ]; then
	rm -rf "$CACHE"
	mkdir -p "$CACHE"
	R=$CACHE/root
	build_base
	printf '%s\n' "${!PACKED[@]}" | LC_ALL=C sort >"$CACHE/libs"
	echo "$want" >"$CACHE/stamp"
fi

STAGE=$(mktemp -d "$OUTDIR/.initramfs.XXXXXX")
trap 'rm -rf "$STAGE" "$OUT.tmp.$$"' EXIT
R=$STAGE/root
cp -a "$CACHE/root" "$R"
PACKED=()
while read -r f; do
	PACKED[$f]=1
done <"$CACHE/libs"

# ------------------------------------------------------ per-run contents --

if [ -n "$CMD" ]; then
	install -m 0644 "$CMD" "$R/opt/tsmbpf/cmd"
fi
if [ "$INTERACTIVE" = 1 ]; then
	: >"$R/opt/tsmbpf/interactive"
fi

# ------------------------------------------------------ project artefacts --

if [ -x "$BUILD/tools/bin/bpftool" ]; then
	pack_bin "$BUILD/tools/bin/bpftool" /usr/local/bin/bpftool
fi
if [ -x "$BUILD/loader/tsmctl" ]; then
	pack_bin "$BUILD/loader/tsmctl" /usr/local/bin/tsmctl
fi
for f in "$BUILD"/tests/bin/*; do
	if [ -f "$f" ]; then
		pack_bin "$f" "/usr/local/bin/${f##*/}"
	fi
done

# The repository's tests/ (bats files, test_helper/) and dashboards/
# (the scrape config the guest's Prometheus uses), then built objects.
if [ -d "$TOP/tests" ]; then
	pack_tree "$TOP/tests" /opt/tsmbpf/tests
fi
if [ -d "$TOP/dashboards" ]; then
	pack_tree "$TOP/dashboards" /opt/tsmbpf/dashboards
fi

# find_sorted DIR PATTERN: files under DIR named PATTERN, NUL-separated.
find_sorted() {
	if [ -d "$1" ]; then
		find "$1" -name "$2" \( -type f -o -type l \) -print0 |
			LC_ALL=C sort -z
	fi
}

MODDIR=/lib/modules/$KVER
mkdir -p "$R$MODDIR/extra"
while read -r -d '' f; do
	cp -L "$f" "$R/opt/tsmbpf/modules/"
	cp -L "$f" "$R$MODDIR/extra/"
done < <(find_sorted "$BUILD/kernel" '*.ko'
	find_sorted "$BUILD/tests/modules" '*.ko')
# pack_bpf_objs DIR: the BPF objects of DIR (policies, tests/policies) whose
# source is still in the tree; an object left in the build directory by a
# renamed or removed source is not packed (the suites count the objects).
pack_bpf_objs() {
	local f base
	mkdir -p "$R/opt/tsmbpf/$1"
	while read -r -d '' f; do
		base=$(basename "$f" .o)
		if [ -e "$TOP/$1/$base.c" ]; then
			cp -L "$f" "$R/opt/tsmbpf/$1/"
		else
			echo "mkinitramfs: not packing $f: no $1/$base.c" >&2
		fi
	done < <(find_sorted "$BUILD/$1" '*.bpf.o')
}
pack_bpf_objs policies
pack_bpf_objs tests/policies

# The guest kernel's VFIO modules and their dependencies.  Debian ships
# them xz-compressed; decompressed here, busybox's modprobe and insmod load
# them as they are, and the guest does no decompression under TCG.
KMODS=(irqbypass vfio vfio_iommu_type1 vfio-pci-core vfio-pci)
declare -A KMOD_DONE=()
# modinfo -b MODROOT: the modules of KVER under MODROOT/lib/modules/KVER
KBASE=()
KMODDIR=/lib/modules/$KVER
if [ -n "$MODROOT" ]; then
	MODROOT=$(cd "$MODROOT" && pwd) || die "no directory $MODROOT"
	KBASE=(-b "$MODROOT")
	KMODDIR=$MODROOT/lib/modules/$KVER
fi
[ -d "$KMODDIR" ] || die "no modules directory $KMODDIR"
while [ ${#KMODS[@]} -gt 0 ]; do
	m=${KMODS[0]}
	KMODS=("${KMODS[@]:1}")
	[ -z "${KMOD_DONE[$m]:-}" ] || continue
	KMOD_DONE[$m]=1
	f=$(PATH=$PATH:/usr/sbin:/sbin modinfo "${KBASE[@]}" -k "$KVER" -n "$m" 2>/dev/null) ||
		die "no module $m for kernel $KVER in $KMODDIR"
	deps=$(PATH=$PATH:/usr/sbin:/sbin modinfo "${KBASE[@]}" -k "$KVER" -F depends "$m")
	IFS=, read -r -a d <<<"$deps"
	KMODS+=("${d[@]}")
	case $f in
	"$KMODDIR"/*) dst=$R$MODDIR/${f#"$KMODDIR"/} ;;
	/lib/modules/$KVER/*) dst=$R$f ;;
	*builtin*) continue ;; # a kernel with it built in
	*) die "module $m outside $KMODDIR: $f" ;;
	esac
	mkdir -p "${dst%/*}"
	case $f in
	*.ko.xz) xz -dc "$f" >"${dst%.xz}" ;;
	*.ko.zst) zstd -qdc "$f" >"${dst%.zst}" ;;
	*.ko.gz) gzip -dc "$f" >"${dst%.gz}" ;;
	*.ko) cp "$f" "$dst" ;;
	*) die "module $m: unknown file type: $f" ;;
	esac
done

for f in modules.builtin modules.builtin.modinfo modules.order; do
	if [ -f "$KMODDIR/$f" ]; then
		cp "$KMODDIR/$f" "$R$MODDIR/"
	fi
done
PATH=$PATH:/usr/sbin:/sbin depmod -b "$R" "$KVER" 2>/dev/null ||
	echo "mkinitramfs: depmod failed; modprobe will not work" >&2

# ---------------------------------------------------------------- archive --

find "$R" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
case $COMPRESS in
none) compress=(cat) ;;
gzip) compress=(gzip -n -6) ;;
zstd) compress=(zstd -q -3 -T0 --stdout) ;;
esac
(
	cd "$R"
	find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --reproducible --owner=0:0 \
			--quiet
) | "${compress[@]}" >"$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
