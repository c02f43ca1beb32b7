# SPDX-License-Identifier: GPL-2.0
#
# tsmbpf top-level build.  Everything lands under $(O) (default build/):
#   $(O)/tools      libbpf 1.5 + bpftool 7.5 built from linux-source-6.12 (make deps)
#   $(O)/kernel     tsmbpf.ko (symlinked sources, out-of-tree Kbuild)
#   $(O)/bpf        vmlinux.h from base + module BTF
#   $(O)/policies   policy objects and skeletons
#   $(O)/loader     tsmctl
#   $(O)/tests      test modules, broken policies, host unit tests
#   $(O)/vm         initramfs and console logs
# `make V=1` prints full commands.
#
# KERNEL=debug (make build|test|shell|demo KERNEL=debug): the same against
# the debug guest kernel of scripts/debug-kernel.sh (lockdep, KASAN, UBSAN,
# kmemleak, fault injection), built once into a cache outside the tree; the
# outputs go to build-debug/ unless O= says otherwise.

ifeq ($(KERNEL),debug)
O ?= build-debug
else ifneq ($(KERNEL),)
$(error KERNEL=$(KERNEL): only KERNEL=debug is known)
endif
O ?= build
override O := $(abspath $(O))
TOP := $(abspath .)

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(TOP)/%,%,$(patsubst $(O)/%,%,$(2)))";
MAKEFLAGS += --no-print-directory
endif

TOOLS := $(O)/tools
BPFTOOL := $(TOOLS)/bin/bpftool
LIBBPF_A := $(TOOLS)/lib/libbpf.a
ifeq ($(KERNEL),debug)
# The cache entry (built or not); its kernelrelease file is the stamp.
DEBUG_KERNEL := $(shell $(TOP)/scripts/debug-kernel.sh path)
DEBUG_KERNEL_STAMP := $(DEBUG_KERNEL)/kernelrelease
KVER = $(shell cat $(DEBUG_KERNEL_STAMP) 2>/dev/null)
KDIR = $(DEBUG_KERNEL)/build
# vm-run.sh boots it (and run-tests.sh's vm-run.sh calls inherit it)
export TSMBPF_KERNEL_DIR := $(DEBUG_KERNEL)
# longer runs of the fuzzer and the stress where lockdep and KASAN watch
export TSMBPF_FUZZ_SECS ?= 300
export TSMBPF_STRESS_SECS ?= 120
else
KVER = $(shell $(TOP)/scripts/kver.sh)
KDIR = /usr/src/linux-headers-$(KVER)
endif
VMLINUX_BTF = $(KDIR)/vmlinux

CC ?= gcc
CLANG ?= clang
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
USER_CFLAGS := $(CFLAGS) $(WARN) -I$(TOP)/include/uapi -I$(TOOLS)/include \
	-I$(TOOLS)/src/tools/include/uapi -I$(O)/policies -I$(O)/bpf
LDLIBS := $(LIBBPF_A) -lelf -lz -lzstd

KERNEL_SRCS := $(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/*.h) $(TOP)/kernel/Kbuild
UAPI := $(TOP)/include/uapi/linux/tsmbpf.h
TSMBPF_KO := $(O)/kernel/tsmbpf.ko
TESTMOD_SRCS := $(wildcard $(TOP)/tests/modules/*.c) $(TOP)/tests/modules/Kbuild
TESTMOD_KO := $(O)/tests/modules/tsmbpf_splat.ko $(O)/tests/modules/tsmbpf_failslab.ko

VMLINUX_H := $(O)/bpf/vmlinux.h
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(O)/bpf -I$(TOP)/bpf -I$(TOOLS)/include
POLICY_SRCS := $(wildcard $(TOP)/policies/*.bpf.c)
POLICY_OBJS := $(patsubst $(TOP)/policies/%.bpf.c,$(O)/policies/%.bpf.o,$(POLICY_SRCS))
POLICY_SKELS := $(POLICY_OBJS:.bpf.o=.skel.h)
# The latency tracing programs, loaded by tsmctl through their skeleton.
LAT_OBJ := $(O)/bpf/tsmbpf_lat.bpf.o
LAT_SKEL := $(O)/bpf/tsmbpf_lat.skel.h
# the userspace headers of the tracing programs (the skeleton's users)
LAT_HDRS := $(TOP)/bpf/tsmbpf_lat.h $(TOP)/bpf/tsmbpf_lat_mode.h $(TOP)/bpf/tsmbpf_lat_rec.h
TESTPOL_SRCS := $(wildcard $(TOP)/tests/policies/*.bpf.c)
TESTPOL_OBJS := $(patsubst $(TOP)/tests/policies/%.bpf.c,$(O)/tests/policies/%.bpf.o,$(TESTPOL_SRCS))

LOADER_SRCS := $(wildcard $(TOP)/loader/*.c)
LOADER_HDRS := $(wildcard $(TOP)/loader/*.h)
TSMCTL := $(O)/loader/tsmctl

# Guest-side test programs, packed into /usr/local/bin of the guest.
GUEST_BIN_SRCS := $(wildcard $(TOP)/tests/bin/*.c)
GUEST_BINS := $(patsubst $(TOP)/tests/bin/%.c,$(O)/tests/bin/%,$(GUEST_BIN_SRCS))

UNIT_SRCS := $(wildcard $(TOP)/tests/unit/test_*.c)
UNIT_BINS := $(patsubst $(TOP)/tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))

VMRUN := $(TOP)/scripts/vm-run.sh --build $(O)

.DELETE_ON_ERROR:
.PHONY: all deps build test test-host test-guest demo shell bench check clean distclean help

all: build

help:
	@echo 'make deps     install Debian packages, build libbpf/bpftool (idempotent)'
	@echo 'make          build module, BPF objects, tsmctl under $(O)/'
	@echo 'make test     deps + build + host unit tests + guest bats suites'
	@echo 'make demo     deps + build + boot the guest and run the demo scenario'
	@echo 'make shell    boot the guest into an interactive root shell'
	@echo 'make bench    benchmarks (ratios measured side by side)'
	@echo 'make check    checkpatch --strict on kernel code'
	@echo 'make clean    remove build outputs but keep the tools cache'

deps:
	$(Q)$(TOP)/scripts/deps.sh $(TOOLS)

# Targets that need deps first re-enter make so that KVER and the tool
# paths are evaluated after deps ran.
test: deps
	$(Q)$(MAKE) build
	$(Q)$(MAKE) test-run

# The demo ends with a Perfetto trace, printed gzip+base64 between markers
# on the console: written to $(O)/demo.perfetto.json for ui.perfetto.dev.
DEMO_LOG := $(O)/vm/demo.log
PERFETTO_OUT := $(O)/demo.perfetto.json
demo: deps
	$(Q)$(MAKE) build
	$(Q)$(VMRUN) --log $(DEMO_LOG) -- bash /opt/tsmbpf/tests/demo.sh
	$(Q)sed -n '/^TSMBPF-PERFETTO-BEGIN$$/,/^TSMBPF-PERFETTO-END$$/p' $(DEMO_LOG) | \
		sed '1d;$$d' | base64 -d | gunzip > $(PERFETTO_OUT) && \
		echo "Perfetto trace: $(PERFETTO_OUT) (open it in https://ui.perfetto.dev)"

shell: deps
	$(Q)$(MAKE) build
	$(Q)$(VMRUN) --interactive

# tsmbpf_calib on the host (for section e's guest/host factor), then two
# guest runs: the whole bench on the default kernel command line, then
# the secure page table part again with init_on_alloc=0.  The Debian kernel
# zeroes every page it allocates (CONFIG_INIT_ON_ALLOC_DEFAULT_ON) with rep
# stosb, which QEMU TCG runs ~10x slower than hardware, so under TCG table
# page zeroing dominates the 4 KiB map; the second row is the data
# structure's own cost.  The summary table has a row for each.
BENCH_LOG := $(O)/vm/bench.log
BENCH_LOG_NOINIT := $(O)/vm/bench-init_on_alloc0.log
BENCH_LOG_HOST := $(O)/vm/bench-host.log
bench: deps
	$(Q)$(MAKE) build
	@echo '== make bench 1/3: tsmbpf_calib on the host, for the guest/host factor'
	$(Q)mkdir -p $(O)/vm
	$(Q)bash $(TOP)/tests/bench.sh host-calib $(O)/tests/bin/tsmbpf_calib > $(BENCH_LOG_HOST)
	@echo '== make bench 2/3: full bench, default kernel command line (init_on_alloc=1)'
	$(Q)$(VMRUN) --timeout 3000 --log $(BENCH_LOG) -- bash /opt/tsmbpf/tests/bench.sh all
	@echo '== make bench 3/3: secure page table only, --append init_on_alloc=0'
	$(Q)$(VMRUN) --timeout 600 --log $(BENCH_LOG_NOINIT) --append init_on_alloc=0 \
		-- bash /opt/tsmbpf/tests/bench.sh spt
	$(Q)bash $(TOP)/tests/bench.sh summary $(BENCH_LOG) $(BENCH_LOG_NOINIT) $(BENCH_LOG_HOST) | \
		tee $(O)/bench.txt
	$(Q)bash $(TOP)/tests/bench.sh json $(BENCH_LOG) $(BENCH_LOG_NOINIT) $(BENCH_LOG_HOST) > \
		$(O)/bench.json
	@echo 'summary in $(O)/bench.txt, figures in $(O)/bench.json'

# KERNEL=debug: build the debug kernel if it is not cached (about 45
# minutes the first time; progress every minute).
ifeq ($(KERNEL),debug)
$(DEBUG_KERNEL_STAMP):
	$(Q)$(TOP)/scripts/debug-kernel.sh build >/dev/null
endif

build: $(TSMBPF_KO) $(TESTMOD_KO) $(VMLINUX_H) $(POLICY_OBJS) $(POLICY_SKELS) $(LAT_SKEL) \
	$(TESTPOL_OBJS) $(TSMCTL) $(UNIT_BINS) $(GUEST_BINS)

test-run:
	$(Q)$(TOP)/scripts/run-tests.sh $(O)

$(LIBBPF_A) $(BPFTOOL):
	$(Q)$(TOP)/scripts/deps.sh $(TOOLS)

# Kernel modules: out of tree, in $(O), never inside kernel/.
$(TSMBPF_KO): $(KERNEL_SRCS) $(UAPI) $(DEBUG_KERNEL_STAMP)
	$(call msg,MODULE,$@)
	$(Q)mkdir -p $(O)/kernel && for f in $(KERNEL_SRCS); do ln -sf $$f $(O)/kernel/; done
	$(Q)$(MAKE) -C $(KDIR) M=$(O)/kernel TSMBPF_INCLUDE=$(TOP)/include \
		$(if $(filter 1,$(V)),V=1,-s) modules

$(TESTMOD_KO) &: $(TESTMOD_SRCS) $(DEBUG_KERNEL_STAMP)
	$(call msg,MODULE,$@)
	$(Q)mkdir -p $(O)/tests/modules && for f in $(TESTMOD_SRCS); do ln -sf $$f $(O)/tests/modules/; done
	$(Q)$(MAKE) -C $(KDIR) M=$(O)/tests/modules $(if $(filter 1,$(V)),V=1,-s) modules

# vmlinux.h: 6.12 base BTF plus tsmbpf.ko's split BTF, so policies see
# struct tsmbpf_ops and struct tsmbpf_tdi.
$(VMLINUX_H): $(TSMBPF_KO) | $(BPFTOOL)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(BPFTOOL) btf dump file $(TSMBPF_KO) --base-btf $(VMLINUX_BTF) format c > $@

$(O)/policies/%.bpf.o: $(TOP)/policies/%.bpf.c $(VMLINUX_H) $(wildcard $(TOP)/bpf/*.h) | $(LIBBPF_A)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/tests/policies/%.bpf.o: $(TOP)/tests/policies/%.bpf.c $(VMLINUX_H) $(wildcard $(TOP)/bpf/*.h) | $(LIBBPF_A)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/policies/%.skel.h: $(O)/policies/%.bpf.o | $(BPFTOOL)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(LAT_OBJ): $(TOP)/bpf/tsmbpf_lat.bpf.c $(VMLINUX_H) $(wildcard $(TOP)/bpf/*.h) | $(LIBBPF_A)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(LAT_SKEL): $(LAT_OBJ) | $(BPFTOOL)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tsmbpf_lat > $@

$(TSMCTL): $(LOADER_SRCS) $(LOADER_HDRS) $(UAPI) $(LIBBPF_A) $(LAT_SKEL) $(LAT_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $(LOADER_SRCS) $(LDLIBS)

$(O)/tests/bin/%: $(TOP)/tests/bin/%.c $(wildcard $(TOP)/tests/bin/*.h) $(UAPI) $(LIBBPF_A) $(LAT_SKEL) $(LAT_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< $(LDLIBS)

# Unit tests link the loader's pure helpers, not the CLI.
UNIT_LIB_SRCS := $(TOP)/loader/names.c $(TOP)/loader/json_writer.c \
	$(TOP)/loader/metrics.c
$(O)/tests/unit/%: $(TOP)/tests/unit/%.c $(TOP)/tests/unit/tap.h $(UNIT_LIB_SRCS) $(LOADER_HDRS) $(LAT_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -I$(TOP)/loader -o $@ $< $(UNIT_LIB_SRCS)

# checkpatch --strict, clean.  Three kinds of CHECK are waived where they
# cannot apply: BIT() in the uAPI header (no BIT() in uapi), the layout of
# TRACE_EVENT() macros in the trace header (kernel trace headers are laid out
# this way), and the macro generating the sysfs counters (its argument is
# pasted and stringified, never evaluated).
CHECKPATCH := $(TOOLS)/src/scripts/checkpatch.pl
CHECKPATCH_FLAGS := --strict --no-tree --quiet --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES
TRACE_H := $(TOP)/kernel/tsmbpf_trace.h
SYSFS_C := $(TOP)/kernel/tsmbpf_sysfs.c
check:
	$(Q)$(CHECKPATCH) $(CHECKPATCH_FLAGS) -f $(filter-out $(TRACE_H) $(SYSFS_C), \
		$(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/*.h $(TOP)/tests/modules/*.c))
	$(Q)$(CHECKPATCH) $(CHECKPATCH_FLAGS),BIT_MACRO -f $(UAPI)
	$(Q)$(CHECKPATCH) $(CHECKPATCH_FLAGS),OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f $(TRACE_H)
	$(Q)$(CHECKPATCH) $(CHECKPATCH_FLAGS),MACRO_ARG_REUSE -f $(SYSFS_C)
	@echo 'checkpatch --strict: clean'

clean:
	$(call msg,CLEAN,$(O))
	$(Q)find $(O) -mindepth 1 -maxdepth 1 ! -name tools -exec rm -rf {} +

distclean:
	$(Q)rm -rf $(O)
