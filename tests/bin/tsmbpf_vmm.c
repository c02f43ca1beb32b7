// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_vmm: a VMM stand-in.  It does to PCI functions what QEMU does when
 * it assigns them to a guest, through the real VFIO uAPI (the type1
 * container: /dev/vfio/vfio and /dev/vfio/GROUP), and then, on request,
 * each host event that can revoke a function's MMIO, printing one line per
 * step.
 *
 * Usage: tsmbpf_vmm [-j] [--hold] BDF[,BDF...] [ACTION...]
 *
 * Set-up, as upstream's tools/testing/selftests/vfio does: open the
 * container, then for each function its IOMMU group (read from
 * /sys/bus/pci/devices/BDF/iommu_group; functions of one group share it),
 * attach the groups, set the IOMMU type (type1v2, else type1), open the
 * device, read its device and region info, find its PM and PCI Express
 * capabilities, and mmap every BAR that allows it.  A failed BAR mmap is
 * reported, not fatal (a TSM-bound function refuses it); any other failure
 * ends the program with status 1.
 *
 * Then the actions, in order, on the current function (the first, until a
 * `dev` action).  Each prints one line: what it did and "ok", or what went
 * wrong (an errno name, SIGBUS, "not applied").  An action prefixed with
 * '!' is expected to fail: `!reset` passes when the reset is refused.
 *
 *   read-bar N OFF [W]     read W bytes (1, 2, 4 or 8; default 4) at OFF of
 *                          BAR N through its mapping; a SIGBUS is caught
 *                          and reported as the failure
 *   write-bar N OFF V [W]  write V the same way
 *   mmap N                 a fresh mmap of BAR N; it replaces BAR N's
 *                          mapping for the actions that follow
 *   munmap N               drop BAR N's mapping
 *   cfg-read OFF [W]       read config space through VFIO (W: 1, 2, 4)
 *   cfg-write OFF V [W]    write config space through VFIO
 *   mse-clear, mse-set     PCI_COMMAND memory enable, through the config
 *   bme-clear, bme-set     region; PCI_COMMAND bus master; the bit must
 *                          read back changed ("not applied" otherwise)
 *   d3hot, d0              PMCSR power state (PM capability); the state
 *                          must read back
 *   flr                    PCIe DEVCTL initiate-FLR (PCIe capability;
 *                          ENOTTY if DEVCAP has no FLR)
 *   reset                  VFIO_DEVICE_RESET
 *   hot-reset              VFIO_DEVICE_PCI_HOT_RESET of the function's
 *                          reset set, with the group fd of every function
 *                          VFIO_DEVICE_GET_PCI_HOT_RESET_INFO lists
 *                          (opening the groups this program has not)
 *   low-power              VFIO_DEVICE_FEATURE LOW_POWER_ENTRY
 *   low-power-exit         VFIO_DEVICE_FEATURE LOW_POWER_EXIT
 *   tdi-bind PLATFORM      attach the function as a TDI of PLATFORM (or
 *                          take the TDI it has), bind it to a new tsmbpf
 *                          VM and accept it, as the guest would
 *   tdi-unbind [keep]      unbind it and destroy the VM (a host event may
 *                          have unbound it already); `keep` keeps the VM
 *   tdi-bind PLATFORM noaccept   bind without the accept, and later
 *   tdi-accept             the guest's accept
 *   dmabuf-export N [OFF LEN [FLAGS [NR]]]   VFIO_DEVICE_FEATURE_DMA_BUF
 *                          of BAR N (the upstream 6.19 uAPI): one range,
 *                          the whole BAR by default; FLAGS and a declared
 *                          range count NR are passed as given (bad input)
 *   dmabuf-import GPA [4k]  TSMBPF_MMIO_IMPORT of that dma-buf into the
 *                          TDI's VM at GPA (4k: 4 KiB leaves only)
 *   import-file PATH GPA   the same with any file (bad input)
 *   dmabuf-release         TSMBPF_MMIO_RELEASE of the import
 *   dmabuf-close           close the dma-buf's fd
 *   vm-info                the VM's secure page table: leaves, imports
 *   region-read N OFF [W]  pread of BAR N's region (not the mapping)
 *   region-write N OFF V [W]  pwrite the same way
 *   ioeventfd OFF          VFIO_DEVICE_IOEVENTFD at OFF, no eventfd (bad
 *                          input: a removal with fd -1)
 *   together A B           run the next two actions at once, from two
 *                          threads released together (races: `together
 *                          flr close`, `together reset reset`); both
 *                          lines print after both returned
 *   unbind-driver          unbind the current function from its driver
 *                          through sysfs (blocks while the device is open:
 *                          with `together unbind-driver close`)
 *   dev N|BDF              make function N (0-based) or BDF current
 *   sleep MS               sleep MS milliseconds
 *   hold                   print "ready", then wait for a line on stdin,
 *                          its end of file, or a SIGINT, SIGTERM or SIGHUP
 *                          (a hold after end of file or a signal ends at
 *                          once; the actions after it run either way)
 *   close                  unmap the BARs and close the device fd (what
 *                          QEMU does at exit); later actions on it fail
 *                          with EBADF
 *
 * An argument may hold several words: `'!read-bar 4 0x12 2'` is one action.
 * --hold adds a `hold` after the last action: the functions stay open
 * until stdin says so or a signal comes (for races).  Everything still open
 * is closed at exit, silently.
 *
 * Output: one line per set-up step ("open BDF" with the group and the
 * capabilities, "bar N" with the region and whether its mmap worked) and
 * per action, "WORDS: ok, key=value, ..." or "WORDS: ERRNO (message)",
 * "SIGBUS", "not applied" ..., with " -- UNEXPECTED" when the outcome is
 * not what was asked; with several functions, the line starts with the
 * BDF.  -j prints each as a JSON object instead: action (the words, without
 * '!'), bdf, expect ("success" or "failure"), ok, as_expected, on failure
 * error (the errno name, "SIGBUS", ...) and errno and message where an
 * errno says it, and the same details as numbers or strings.  A hold
 * prints "ready", or {"action":"hold","status":"ready"} with -j.
 *
 * Exit status: 0 if every action did what was asked (or, with '!', was
 * refused), 1 if one did not or the set-up failed, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/tsmbpf.h>
#include <linux/vfio.h>

#include "tsmbpf_vfio.h"

#define VMM_MAX_DEVS	8
#define VMM_NR_BARS	(VFIO_PCI_BAR5_REGION_INDEX + 1)
#define DEVFN_SLOT(devfn)	(((devfn) >> 3) & 0x1f)
#define DEVFN_FUNC(devfn)	((devfn) & 0x07)

struct vmm_bar {
	struct vfio_region_info info;
	void *map;			/* NULL: not mapped */
};

struct vmm_group {
	int id;
	int fd;
};

struct vmm_dev {
	const char *bdf;
	int group;			/* index into vmm.groups */
	int fd;				/* -1 once closed */
	struct vfio_device_info info;
	struct vfio_region_info cfg;
	struct vmm_bar bars[VMM_NR_BARS];
	int pm_cap, exp_cap;		/* config offsets, 0 if absent */
	uint32_t tdi, vm;		/* tsmbpf ids after tdi-bind, else 0 */
	uint64_t nonce;			/* of a bind not accepted yet */
	int dmabuf;			/* fd of dmabuf-export, -1 if none */
	uint32_t import;		/* id of dmabuf-import, 0 if none */
};

static struct vmm {
	bool json;
	int container;
	struct vmm_group groups[VMM_MAX_DEVS];
	int nr_groups;
	struct vmm_dev devs[VMM_MAX_DEVS];
	int nr_devs;
	int cur;
} vmm = { .container = -1 };

/* ------------------------------------------------------------ output -- */

/*
 * One line of output: an action (or set-up step) and its outcome.  Details
 * are kept twice, as "key=value" text and as JSON members, and printed in
 * the chosen format by res_print().
 */
struct result {
	const char *bdf;
	char words[128];		/* the action as given, without '!' */
	bool expect_fail;
	int err;			/* errno, 0 for success */
	const char *fail;		/* a failure that is no errno */
	char text[512];
	char json[1024];
};

static void json_escape(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < size; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			n += snprintf(buf + n, size - n, "\\%c", c);
		else if (c < 0x20)
			n += snprintf(buf + n, size - n, "\\u%04x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
}

static void res_init(struct result *r, const char *words, bool expect_fail)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->words, sizeof(r->words), "%s", words);
	r->expect_fail = expect_fail;
	r->bdf = vmm.nr_devs ? vmm.devs[vmm.cur].bdf : "";
}

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/* res_hex: a number, shown in hex as text and as a JSON number */
static void res_hex(struct result *r, const char *key, uint64_t v, int bytes)
{
	append(r->text, sizeof(r->text), ", %s=0x%0*llx", key, bytes * 2,
	       (unsigned long long)v);
	append(r->json, sizeof(r->json), ",\"%s\":%llu", key,
	       (unsigned long long)v);
}

static void res_int(struct result *r, const char *key, long long v)
{
	append(r->text, sizeof(r->text), ", %s=%lld", key, v);
	append(r->json, sizeof(r->json), ",\"%s\":%lld", key, v);
}

static void res_str(struct result *r, const char *key, const char *s)
{
	char esc[256];

	json_escape(esc, sizeof(esc), s);
	append(r->text, sizeof(r->text), ", %s=%s", key, s);
	append(r->json, sizeof(r->json), ",\"%s\":\"%s\"", key, esc);
}

static void res_bool(struct result *r, const char *key, bool v)
{
	append(r->text, sizeof(r->text), ", %s=%s", key, v ? "yes" : "no");
	append(r->json, sizeof(r->json), ",\"%s\":%s", key,
	       v ? "true" : "false");
}

static const char *errno_name(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "E?";
}

/*
 * Print the line; returns true if the outcome is what was asked: success,
 * or failure for an action given with '!'.
 */
static bool res_print(struct result *r)
{
	bool ok = !r->err && !r->fail;
	bool as_expected = ok != r->expect_fail;
	char esc[256];

	if (vmm.json) {
		json_escape(esc, sizeof(esc), r->words);
		printf("{\"action\":\"%s\",\"bdf\":\"%s\",\"expect\":\"%s\","
		       "\"ok\":%s,\"as_expected\":%s", esc, r->bdf,
		       r->expect_fail ? "failure" : "success",
		       ok ? "true" : "false", as_expected ? "true" : "false");
		if (r->err)
			printf(",\"errno\":%d,\"error\":\"%s\",\"message\":\"%s\"",
			       r->err, errno_name(r->err), strerror(r->err));
		else if (r->fail)
			printf(",\"error\":\"%s\"", r->fail);
		printf("%s}\n", r->json);
	} else {
		if (vmm.nr_devs > 1)
			printf("%s ", r->bdf);
		printf("%s%s: ", r->expect_fail ? "!" : "", r->words);
		if (r->err)
			printf("%s (%s)", errno_name(r->err), strerror(r->err));
		else
			printf("%s", r->fail ?: "ok");
		printf("%s%s\n", r->text, as_expected ? "" : " -- UNEXPECTED");
	}
	return as_expected;
}

/* Set-up failures end the program. */
static void __attribute__((noreturn)) setup_fail(struct result *r, int err)
{
	r->err = err;
	res_print(r);
	exit(1);
}

/* --------------------------------------------------- config space, BARs -- */

static int cfg_read(struct vmm_dev *d, unsigned int off, int width, uint32_t *val)
{
	return vfio_cfg_read(d->fd, d->cfg.offset, off, width, val);
}

static int cfg_write(struct vmm_dev *d, unsigned int off, int width, uint32_t val)
{
	ssize_t n;

	n = pwrite(d->fd, &val, width, d->cfg.offset + off);
	if (n < 0)
		return -errno;
	return n == width ? 0 : -EIO;
}

static int bar_map(struct vmm_dev *d, int n, void **map)
{
	struct vfio_region_info *info = &d->bars[n].info;
	int prot = 0;
	void *p;

	if (!info->size)
		return -ENODEV;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EOPNOTSUPP;
	if (info->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (info->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	p = mmap(NULL, info->size, prot, MAP_SHARED, d->fd, info->offset);
	if (p == MAP_FAILED)
		return -errno;
	*map = p;
	return 0;
}

static void bar_unmap(struct vmm_dev *d, int n)
{
	if (d->bars[n].map) {
		munmap(d->bars[n].map, d->bars[n].info.size);
		d->bars[n].map = NULL;
	}
}

/*
 * MMIO through a BAR mapping.  A revoked mapping (memory disabled, low
 * power, a TSM-bound function) faults with SIGBUS: on_sigbus() of
 * tsmbpf_vfio.h jumps back here and the access reports it instead of
 * killing the program.  Returns 0, or 1 on SIGBUS.
 */
static int mmio_access(volatile void *p, int width, bool write, uint64_t *val)
{
	if (sigsetjmp(bus_jmp, 1))
		return 1;
	bus_armed = 1;
	switch (width) {
	case 1:
		if (write)
			*(volatile uint8_t *)p = *val;
		else
			*val = *(volatile uint8_t *)p;
		break;
	case 2:
		if (write)
			*(volatile uint16_t *)p = *val;
		else
			*val = *(volatile uint16_t *)p;
		break;
	case 4:
		if (write)
			*(volatile uint32_t *)p = *val;
		else
			*val = *(volatile uint32_t *)p;
		break;
	default:
		if (write)
			*(volatile uint64_t *)p = *val;
		else
			*val = *(volatile uint64_t *)p;
		break;
	}
	bus_armed = 0;
	return 0;
}

/* ------------------------------------------------------------ set-up -- */

/* The fd of group @id: one this program opened, or opened now (-errno). */
static int group_open(int id, bool attach, struct result *r)
{
	const char *what;
	char path[32];
	int i, fd;

	for (i = 0; i < vmm.nr_groups; i++)
		if (vmm.groups[i].id == id)
			return vmm.groups[i].fd;
	fd = vfio_group_open(id, &what);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", id);
		res_str(r, "failed", what ?: path);
		return fd;
	}
	if (attach && ioctl(fd, VFIO_GROUP_SET_CONTAINER, &vmm.container)) {
		res_str(r, "failed", "VFIO_GROUP_SET_CONTAINER");
		goto err_close;
	}
	if (vmm.nr_groups < VMM_MAX_DEVS) {
		vmm.groups[vmm.nr_groups].id = id;
		vmm.groups[vmm.nr_groups++].fd = fd;
	}
	return fd;

err_close:
	i = errno;
	close(fd);
	return -i;
}

static void container_open(void)
{
	struct result r;
	int ver;

	res_init(&r, "container /dev/vfio/vfio", false);
	vmm.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vmm.container < 0)
		setup_fail(&r, errno);
	ver = ioctl(vmm.container, VFIO_GET_API_VERSION);
	if (ver != VFIO_API_VERSION) {
		res_int(&r, "api_version", ver);
		setup_fail(&r, EPROTO);
	}
}

static void iommu_set(struct result *r)
{
	static bool done;
	long type;

	if (done)
		return;
	done = true;
	type = vfio_set_iommu(vmm.container);
	if (type < 0) {
		res_str(r, "failed", "VFIO_SET_IOMMU");
		setup_fail(r, -type);
	}
	res_str(r, "iommu", type == VFIO_TYPE1v2_IOMMU ? "type1v2" : "type1");
}

static void dev_open(struct vmm_dev *d)
{
	char words[64];
	struct result r;
	int i, id, fd, err;

	snprintf(words, sizeof(words), "open %s", d->bdf);
	res_init(&r, words, false);
	r.bdf = d->bdf;

	id = vfio_group_id(d->bdf);
	if (id < 0) {
		res_str(&r, "failed", "no iommu_group in sysfs");
		setup_fail(&r, -id);
	}
	fd = group_open(id, true, &r);
	if (fd < 0)
		setup_fail(&r, -fd);
	for (i = 0; i < vmm.nr_groups; i++)
		if (vmm.groups[i].fd == fd)
			d->group = i;
	/* the IOMMU type is set once the first group is in the container */
	iommu_set(&r);

	d->fd = ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		res_str(&r, "failed", "VFIO_GROUP_GET_DEVICE_FD");
		setup_fail(&r, errno);
	}
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &d->info)) {
		res_str(&r, "failed", "VFIO_DEVICE_GET_INFO");
		setup_fail(&r, errno);
	}
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    d->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		res_str(&r, "failed", "not a VFIO PCI device");
		setup_fail(&r, ENODEV);
	}
	d->cfg.argsz = sizeof(d->cfg);
	d->cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->cfg)) {
		res_str(&r, "failed", "VFIO_DEVICE_GET_REGION_INFO config");
		setup_fail(&r, errno);
	}
	d->pm_cap = vfio_find_cap(d->fd, d->cfg.offset, PCI_CAP_ID_PM);
	d->exp_cap = vfio_find_cap(d->fd, d->cfg.offset, PCI_CAP_ID_EXP);

	res_int(&r, "group", id);
	res_bool(&r, "reset", d->info.flags & VFIO_DEVICE_FLAGS_RESET);
	res_int(&r, "regions", d->info.num_regions);
	res_int(&r, "irqs", d->info.num_irqs);
	res_hex(&r, "config_size", d->cfg.size, 2);
	res_hex(&r, "pm_cap", d->pm_cap, 1);
	res_hex(&r, "exp_cap", d->exp_cap, 1);
	res_print(&r);

	for (i = 0; i < VMM_NR_BARS; i++) {
		struct vfio_region_info *info = &d->bars[i].info;

		info->argsz = sizeof(*info);
		info->index = VFIO_PCI_BAR0_REGION_INDEX + i;
		snprintf(words, sizeof(words), "bar %d", i);
		res_init(&r, words, false);
		r.bdf = d->bdf;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
			res_str(&r, "failed", "VFIO_DEVICE_GET_REGION_INFO");
			setup_fail(&r, errno);
		}
		if (!info->size)
			continue;
		res_hex(&r, "size", info->size, 4);
		res_hex(&r, "offset", info->offset, 8);
		res_bool(&r, "mmappable", info->flags & VFIO_REGION_INFO_FLAG_MMAP);
		if (info->flags & VFIO_REGION_INFO_FLAG_MMAP) {
			err = bar_map(d, i, &d->bars[i].map);
			res_str(&r, "mmap", err ? errno_name(-err) : "ok");
		}
		res_print(&r);
	}
}

/* ----------------------------------------------------------- actions -- */

static bool parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

struct action;
typedef void (*action_fn)(const struct action *a, struct result *r);

struct action_type {
	const char *name;
	int min_args, max_args;
	action_fn fn;
	bool needs_dev;			/* fails with EBADF once closed */
};

struct action {
	const struct action_type *type;
	bool expect_fail;
	int nr_args;
	const char *args[5];
	uint64_t num[5];		/* args parsed as numbers */
};

/* Is @s, as argument @idx of @t, a word rather than a number? */
static bool word_arg(const struct action_type *t, int idx, const char *s)
{
	if (!strcmp(t->name, "dev") ||
	    (!strcmp(t->name, "tdi-bind") && idx == 0) ||
	    (!strcmp(t->name, "import-file") && idx == 0))
		return true;
	return (!strcmp(t->name, "tdi-bind") && idx == 1 &&
		!strcmp(s, "noaccept")) ||
	       (!strcmp(t->name, "tdi-unbind") && !strcmp(s, "keep")) ||
	       (!strcmp(t->name, "dmabuf-import") && idx == 1 &&
		!strcmp(s, "4k"));
}

static struct vmm_dev *cur_dev(void)
{
	return &vmm.devs[vmm.cur];
}

static int check_bar(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	uint64_t n = a->num[0];

	if (n >= VMM_NR_BARS || !d->bars[n].info.size) {
		r->fail = "no such BAR";
		return -1;
	}
	return 0;
}

static int width_ok(uint64_t w, bool eight)
{
	return w == 1 || w == 2 || w == 4 || (eight && w == 8);
}

static void act_bar_rw(const struct action *a, struct result *r, bool write)
{
	struct vmm_dev *d = cur_dev();
	uint64_t off = a->num[1], val = write ? a->num[2] : 0;
	int w = a->nr_args > (write ? 3 : 2) ? a->num[write ? 3 : 2] : 4;
	struct vmm_bar *bar;

	if (check_bar(a, r))
		return;
	bar = &d->bars[a->num[0]];
	if (!bar->map) {
		r->fail = "BAR not mapped";
		return;
	}
	if (off % w || off + w > bar->info.size) {
		r->err = EINVAL;
		return;
	}
	if (mmio_access((char *)bar->map + off, w, write, &val)) {
		r->fail = "SIGBUS";
		return;
	}
	if (!write)
		res_hex(r, "value", val, w);
}

static void act_read_bar(const struct action *a, struct result *r)
{
	act_bar_rw(a, r, false);
}

static void act_write_bar(const struct action *a, struct result *r)
{
	act_bar_rw(a, r, true);
}

static void act_mmap(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	void *map;
	int err;

	if (check_bar(a, r))
		return;
	err = bar_map(d, a->num[0], &map);
	if (err) {
		r->err = -err;
		return;
	}
	bar_unmap(d, a->num[0]);
	d->bars[a->num[0]].map = map;
}

static void act_munmap(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();

	if (check_bar(a, r))
		return;
	if (!d->bars[a->num[0]].map) {
		r->fail = "BAR not mapped";
		return;
	}
	bar_unmap(d, a->num[0]);
}

static void act_cfg_read(const struct action *a, struct result *r)
{
	int w = a->nr_args > 1 ? a->num[1] : 4;
	uint32_t v;

	r->err = -cfg_read(cur_dev(), a->num[0], w, &v);
	if (!r->err)
		res_hex(r, "value", v, w);
}

static void act_cfg_write(const struct action *a, struct result *r)
{
	int w = a->nr_args > 2 ? a->num[2] : 4;

	r->err = -cfg_write(cur_dev(), a->num[0], w, a->num[1]);
}

/*
 * A read-modify-write of a config register through VFIO, then a read-back:
 * "not applied" if the bits did not take (a gate that forwards the rest of
 * a write but not the offending bits).
 */
static void cfg_update(struct result *r, unsigned int off, int w,
		       uint32_t mask, uint32_t bits)
{
	struct vmm_dev *d = cur_dev();
	uint32_t before, after;
	int err;

	err = cfg_read(d, off, w, &before);
	if (!err)
		err = cfg_write(d, off, w, (before & ~mask) | bits);
	if (err) {
		r->err = -err;
		return;
	}
	res_hex(r, "before", before, w);
	err = cfg_read(d, off, w, &after);
	if (err) {
		r->err = -err;
		return;
	}
	res_hex(r, "after", after, w);
	if ((after & mask) != bits)
		r->fail = "not applied";
}

static void act_command(const struct action *a, struct result *r)
{
	const char *n = a->type->name;
	uint32_t bit = !strncmp(n, "mse", 3) ? PCI_COMMAND_MEMORY : PCI_COMMAND_MASTER;

	cfg_update(r, PCI_COMMAND, 2, bit, strstr(n, "-set") ? bit : 0);
}

static void act_power(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	bool d3 = !strcmp(a->type->name, "d3hot");

	if (!d->pm_cap) {
		r->fail = "no PM capability";
		return;
	}
	/* PME_Status is write-one-to-clear: leave it alone */
	cfg_update(r, d->pm_cap + PCI_PM_CTRL, 2,
		   PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS,
		   d3 ? 3 : 0);
}

static void act_flr(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	uint32_t cap, ctl;
	int err;

	if (!d->exp_cap) {
		r->fail = "no PCI Express capability";
		return;
	}
	err = cfg_read(d, d->exp_cap + PCI_EXP_DEVCAP, 4, &cap);
	if (!err && !(cap & PCI_EXP_DEVCAP_FLR))
		err = -ENOTTY;
	if (!err)
		err = cfg_read(d, d->exp_cap + PCI_EXP_DEVCTL, 2, &ctl);
	if (!err)
		err = cfg_write(d, d->exp_cap + PCI_EXP_DEVCTL, 2,
				ctl | PCI_EXP_DEVCTL_BCR_FLR);
	r->err = -err;
}

static void act_reset(const struct action *a, struct result *r)
{
	if (ioctl(cur_dev()->fd, VFIO_DEVICE_RESET))
		r->err = errno;
}

static void act_hot_reset(const struct action *a, struct result *r)
{
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *reset = NULL;
	struct vmm_dev *d = cur_dev();
	char set[256] = "";
	int fds[VMM_MAX_DEVS], nr_fds = 0;
	uint32_t count, i;
	int j, fd;

	info = calloc(1, sizeof(*info));
	if (!info) {
		r->err = ENOMEM;
		return;
	}
	info->argsz = sizeof(*info);
	if (!ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) ||
	    errno != ENOSPC) {
		r->err = errno ?: EIO;
		res_str(r, "failed", "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
		goto out;
	}
	count = info->count;
	free(info);
	info = calloc(1, sizeof(*info) + count * sizeof(info->devices[0]));
	if (!info) {
		r->err = ENOMEM;
		return;
	}
	info->argsz = sizeof(*info) + count * sizeof(info->devices[0]);
	if (ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		r->err = errno;
		res_str(r, "failed", "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
		goto out;
	}

	/* one fd per group of the set, each once */
	for (i = 0; i < info->count; i++) {
		struct vfio_pci_dependent_device *dev = &info->devices[i];

		append(set, sizeof(set), "%s%04x:%02x:%02x.%x", i ? " " : "",
		       dev->segment, dev->bus, DEVFN_SLOT(dev->devfn),
		       DEVFN_FUNC(dev->devfn));
		fd = group_open(dev->group_id, false, r);
		if (fd < 0) {
			r->err = -fd;
			goto out;
		}
		for (j = 0; j < nr_fds && fds[j] != fd; j++)
			;
		if (j == nr_fds && nr_fds < VMM_MAX_DEVS)
			fds[nr_fds++] = fd;
	}
	res_str(r, "set", set);
	res_int(r, "groups", nr_fds);

	reset = calloc(1, sizeof(*reset) + nr_fds * sizeof(int));
	if (!reset) {
		r->err = ENOMEM;
		goto out;
	}
	reset->argsz = sizeof(*reset) + nr_fds * sizeof(int);
	reset->count = nr_fds;
	memcpy(reset->group_fds, fds, nr_fds * sizeof(int));
	if (ioctl(d->fd, VFIO_DEVICE_PCI_HOT_RESET, reset))
		r->err = errno;
out:
	free(reset);
	free(info);
}

static void act_feature(struct result *r, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	if (ioctl(cur_dev()->fd, VFIO_DEVICE_FEATURE, &f))
		r->err = errno;
}

static void act_low_power(const struct action *a, struct result *r)
{
	act_feature(r, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
}

static void act_low_power_exit(const struct action *a, struct result *r)
{
	act_feature(r, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
}

/*
 * ---- The TDI of a function: bind to a tsmbpf VM, unbind. ----
 *
 * What QEMU would do for a TEE-IO function it assigns: create a VM on
 * /dev/tsmbpf (TSMBPF_VM_CREATE, owned by this process's open file, as a
 * KVM VM by its fd: it goes, with its TDIs unbound, when the process
 * does, however it ends), attach this function as a TDI of
 * @platform (TSMBPF_TDI_CREATE with TSMBPF_TDI_CREATE_PCI and the BDF; a
 * TDI the function has already is reused), bind the TDI to the VM
 * (TSMBPF_TDI_BIND) and accept it as the guest would (TSMBPF_TDI_ACCEPT).
 * tdi-unbind undoes the bind (TSMBPF_TDI_UNBIND) and destroys the VM; the
 * TDI stays, for the operator.
 */
static const char *const vmm_platforms[TSMBPF_PLAT_NR] = {
	[TSMBPF_PLAT_TDX] = "tdx",
	[TSMBPF_PLAT_SEV_TIO] = "sev-tio",
	[TSMBPF_PLAT_CCA] = "cca",
};

static int tsmbpf_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int tsmbpf_call(unsigned long req, void *arg)
{
	int fd = tsmbpf_fd();

	if (fd < 0)
		return fd;
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* The TDI already attached to @bdf, 0 if none. */
static uint32_t vmm_tdi_find(uint32_t bdf)
{
	struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti) };
	struct tsmbpf_list l = { .argsz = sizeof(l) };
	uint32_t ids[256], i;

	l.what = TSMBPF_LIST_TDIS;
	l.count = 256;
	l.ids = (uintptr_t)ids;
	if (tsmbpf_call(TSMBPF_LIST, &l))
		return 0;
	for (i = 0; i < l.count && i < 256; i++) {
		ti.tdi_id = ids[i];
		if (!tsmbpf_call(TSMBPF_TDI_INFO, &ti) && ti.bdf == bdf &&
		    (ti.host_flags & TSMBPF_TDI_HOST_PCI))
			return ids[i];
	}
	return 0;
}

static int vmm_tdi_bind(struct vmm_dev *d, const char *platform,
			bool accept, struct result *r)
{
	struct tsmbpf_tdi_create tc = { .argsz = sizeof(tc),
					.flags = TSMBPF_TDI_CREATE_PCI };
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc),
				       .flags = TSMBPF_VM_CREATE_OWNED };
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b),
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a) };
	unsigned int seg, bus, dev, fn;
	int plat, err;

	for (plat = 0; plat < TSMBPF_PLAT_NR; plat++)
		if (!strcmp(platform, vmm_platforms[plat]))
			break;
	if (plat == TSMBPF_PLAT_NR)
		return -EINVAL;
	if (d->tdi && d->vm)
		return -EALREADY;
	if (sscanf(d->bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		return -EINVAL;
	tc.platform = plat;
	tc.bdf = TSMBPF_BDF(seg, bus, dev, fn);
	d->tdi = vmm_tdi_find(tc.bdf);
	if (!d->tdi) {
		err = tsmbpf_call(TSMBPF_TDI_CREATE, &tc);
		if (err)
			return err;
		d->tdi = tc.tdi_id;
	}
	err = tsmbpf_call(TSMBPF_VM_CREATE, &vc);
	if (err)
		return err;
	d->vm = vc.vm_id;
	b.tdi_id = d->tdi;
	b.vm_id = d->vm;
	err = tsmbpf_call(TSMBPF_TDI_BIND, &b);
	d->nonce = err || accept ? 0 : b.nonce;
	if (!err && accept) {
		a.tdi_id = d->tdi;
		a.nonce = b.nonce;
		err = tsmbpf_call(TSMBPF_TDI_ACCEPT, &a);
	}
	res_int(r, "tdi", d->tdi);
	res_int(r, "vm", d->vm);
	if (err) {
		struct tsmbpf_vm_destroy vd = { .argsz = sizeof(vd),
						.vm_id = d->vm };

		res_hex(r, "fw_error", b.fw_error ?: a.fw_error, 4);
		tsmbpf_call(TSMBPF_VM_DESTROY, &vd);
		d->vm = 0;
	}
	return err;
}

static int vmm_tdi_unbind(struct vmm_dev *d, bool keep, struct result *r)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = d->tdi };
	struct tsmbpf_vm_destroy vd = { .argsz = sizeof(vd), .vm_id = d->vm };
	int err;

	if (!d->tdi || !d->vm)
		return -ENOTCONN;
	res_int(r, "tdi", d->tdi);
	err = tsmbpf_call(TSMBPF_TDI_UNBIND, &u);
	/* a host event may have unbound it already */
	if (err && err != -ENOTCONN) {
		res_hex(r, "fw_error", u.fw_error, 4);
		return err;
	}
	if (keep)
		return 0;
	err = tsmbpf_call(TSMBPF_VM_DESTROY, &vd);
	if (!err) {
		d->vm = 0;
		d->import = 0;	/* the VM's destroy released it */
	}
	return err;
}

static void act_tdi_bind(const struct action *a, struct result *r)
{
	bool accept = true;

	if (a->nr_args > 1)
		accept = false;
	r->err = -vmm_tdi_bind(cur_dev(), a->args[0], accept, r);
}

static void act_tdi_accept(const struct action *a, struct result *r)
{
	struct tsmbpf_tdi_accept ac = { .argsz = sizeof(ac) };
	struct vmm_dev *d = cur_dev();

	if (!d->nonce) {
		r->err = ENOTCONN;
		return;
	}
	ac.tdi_id = d->tdi;
	ac.nonce = d->nonce;
	r->err = -tsmbpf_call(TSMBPF_TDI_ACCEPT, &ac);
	if (!r->err)
		d->nonce = 0;
}

static void act_tdi_unbind(const struct action *a, struct result *r)
{
	r->err = -vmm_tdi_unbind(cur_dev(), a->nr_args > 0, r);
}

/*
 * Private MMIO as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF of upstream 6.19,
 * from tsmbpf_vfio.h).
 */
static void act_dmabuf_export(const struct action *a, struct result *r)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf get;
		struct vfio_region_dma_range range;
	} __attribute__((packed)) arg = {};
	struct vmm_dev *d = cur_dev();
	uint64_t n = a->num[0];
	int fd;

	if (n >= VMM_NR_BARS) {
		r->fail = "no such BAR";
		return;
	}
	if (a->nr_args == 2) {
		r->fail = "usage: dmabuf-export N [OFF LEN [FLAGS [NR]]]";
		return;
	}
	arg.f.argsz = sizeof(arg);
	arg.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	arg.get.region_index = n;
	arg.get.open_flags = O_RDWR | O_CLOEXEC;
	arg.get.nr_ranges = 1;
	arg.range.length = d->bars[n].info.size;
	if (a->nr_args > 2) {
		arg.range.offset = a->num[1];
		arg.range.length = a->num[2];
	}
	if (a->nr_args > 3)
		arg.get.flags = a->num[3];
	if (a->nr_args > 4)
		arg.get.nr_ranges = a->num[4];
	fd = ioctl(d->fd, VFIO_DEVICE_FEATURE, &arg);
	if (fd < 0) {
		r->err = errno;
		return;
	}
	if (d->dmabuf >= 0)
		close(d->dmabuf);
	d->dmabuf = fd;
	res_int(r, "size", lseek(fd, 0, SEEK_END));
}

static int vmm_import(struct vmm_dev *d, int fd, uint64_t gpa, uint32_t flags,
		      struct result *r)
{
	struct tsmbpf_mmio_import im = { .argsz = sizeof(im), .flags = flags };
	int err;

	im.vm_id = d->vm;
	im.fd = fd;
	im.gpa = gpa;
	err = tsmbpf_call(TSMBPF_MMIO_IMPORT, &im);
	if (err)
		return err;
	d->import = im.import_id;
	res_int(r, "import", im.import_id);
	res_int(r, "tdi", im.tdi_id);
	res_int(r, "size", im.size);
	return 0;
}

static void act_dmabuf_import(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	uint32_t flags = 0;

	if (a->nr_args > 1)
		flags = TSMBPF_MAP_4K;
	r->err = -vmm_import(d, d->dmabuf, a->num[0], flags, r);
}

static void act_import_file(const struct action *a, struct result *r)
{
	int fd = open(a->args[0], O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		r->err = errno;
		return;
	}
	r->err = -vmm_import(cur_dev(), fd, a->num[1], 0, r);
	close(fd);
}

static void act_dmabuf_release(const struct action *a, struct result *r)
{
	struct tsmbpf_mmio_release rel = { .argsz = sizeof(rel) };
	struct vmm_dev *d = cur_dev();

	rel.vm_id = d->vm;
	rel.import_id = d->import;
	r->err = -tsmbpf_call(TSMBPF_MMIO_RELEASE, &rel);
	if (!r->err)
		d->import = 0;
}

static void act_dmabuf_close(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();

	if (d->dmabuf < 0 || close(d->dmabuf))
		r->err = EBADF;
	d->dmabuf = -1;
}

/* pread/pwrite of W bytes at OFF of BAR N's region, not its mapping */
static void act_region_rw(const struct action *a, struct result *r, bool write)
{
	struct vmm_dev *d = cur_dev();
	uint64_t val = write ? a->num[2] : 0;
	int w = a->nr_args > (write ? 3 : 2) ? a->num[write ? 3 : 2] : 4;
	ssize_t n;

	if (check_bar(a, r) || !width_ok(w, true)) {
		r->fail = r->fail ?: "width must be 1, 2, 4 or 8";
		return;
	}
	if (write)
		n = pwrite(d->fd, &val, w, d->bars[a->num[0]].info.offset + a->num[1]);
	else
		n = pread(d->fd, &val, w, d->bars[a->num[0]].info.offset + a->num[1]);
	if (n < 0) {
		r->err = errno;
		return;
	}
	if (n != w) {
		r->fail = "short transfer";
		return;
	}
	res_hex(r, "value", val, w);
}

static void act_region_read(const struct action *a, struct result *r)
{
	act_region_rw(a, r, false);
}

static void act_region_write(const struct action *a, struct result *r)
{
	act_region_rw(a, r, true);
}

/* VFIO_DEVICE_IOEVENTFD with OFFSET as given and no eventfd: bad input */
static void act_ioeventfd(const struct action *a, struct result *r)
{
	struct vfio_device_ioeventfd ioe = { .argsz = sizeof(ioe),
					     .flags = VFIO_DEVICE_IOEVENTFD_32,
					     .fd = -1 };

	ioe.offset = a->num[0];
	r->err = ioctl(cur_dev()->fd, VFIO_DEVICE_IOEVENTFD, &ioe) ? errno : 0;
}

static void act_vm_info(const struct action *a, struct result *r)
{
	struct tsmbpf_vm_info vi = { .argsz = sizeof(vi) };

	vi.vm_id = cur_dev()->vm;
	r->err = -tsmbpf_call(TSMBPF_VM_INFO, &vi);
	if (r->err)
		return;
	res_int(r, "vm", vi.vm_id);
	res_int(r, "imports", vi.nr_imports);
	res_int(r, "import_pages", vi.import_pages);
	res_int(r, "import_accepted", vi.import_accepted);
	res_int(r, "leaves_4k", vi.spt_leaves_4k);
	res_int(r, "leaves_2m", vi.spt_leaves_2m);
}

static void act_dev(const struct action *a, struct result *r)
{
	uint64_t n;
	int i;

	if (parse_num(a->args[0], &n)) {
		if (n < (uint64_t)vmm.nr_devs) {
			vmm.cur = n;
			r->bdf = vmm.devs[n].bdf;
			return;
		}
	} else {
		for (i = 0; i < vmm.nr_devs; i++) {
			if (!strcmp(a->args[0], vmm.devs[i].bdf)) {
				vmm.cur = i;
				r->bdf = vmm.devs[i].bdf;
				return;
			}
		}
	}
	r->err = ENODEV;
}

static void act_sleep(const struct action *a, struct result *r)
{
	struct timespec ts = {
		.tv_sec = a->num[0] / 1000,
		.tv_nsec = (a->num[0] % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static volatile sig_atomic_t hold_signal;
static bool stdin_eof;

static void on_hold_signal(int sig)
{
	hold_signal = sig;
}

static void act_hold(const struct action *a, struct result *r)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_hold_signal };
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	sigset_t block, old;
	unsigned int i;
	ssize_t n;
	char c;

	/* blocked but while in ppoll(): no signal lost before it waits */
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	if (vmm.json)
		printf("{\"action\":\"hold\",\"status\":\"ready\"}\n");
	else
		printf("ready\n");
	fflush(stdout);
	/* a byte at a time: the next hold's line stays in the pipe */
	while (!hold_signal && !stdin_eof) {
		if (ppoll(&pfd, 1, NULL, &old) < 0) {
			if (errno != EINTR)
				stdin_eof = true;
			continue;
		}
		n = read(STDIN_FILENO, &c, 1);
		if (n == 1 && c == '\n')
			break;
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			stdin_eof = true;
	}
	if (hold_signal)
		res_str(r, "ended_by", sigabbrev_np(hold_signal) ?: "signal");
	else if (stdin_eof)
		res_str(r, "ended_by", "eof");
	else
		res_str(r, "ended_by", "line");
	/* a second signal ends the program */
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void act_close(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	int i;

	for (i = 0; i < VMM_NR_BARS; i++)
		bar_unmap(d, i);
	if (close(d->fd))
		r->err = errno;
	d->fd = -1;
}

static void act_unbind_driver(const struct action *a, struct result *r)
{
	struct vmm_dev *d = cur_dev();
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 d->bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		r->err = errno;
		return;
	}
	if (write(fd, d->bdf, strlen(d->bdf)) < 0)
		r->err = errno;
	close(fd);
}

/* `together`: marks the next two actions; run by run_together(). */
static void act_together(const struct action *a, struct result *r)
{
}

static const struct action_type action_types[] = {
	{ "read-bar", 2, 3, act_read_bar, true },
	{ "write-bar", 3, 4, act_write_bar, true },
	{ "mmap", 1, 1, act_mmap, true },
	{ "munmap", 1, 1, act_munmap, true },
	{ "cfg-read", 1, 2, act_cfg_read, true },
	{ "cfg-write", 2, 3, act_cfg_write, true },
	{ "mse-clear", 0, 0, act_command, true },
	{ "mse-set", 0, 0, act_command, true },
	{ "bme-clear", 0, 0, act_command, true },
	{ "bme-set", 0, 0, act_command, true },
	{ "d3hot", 0, 0, act_power, true },
	{ "d0", 0, 0, act_power, true },
	{ "flr", 0, 0, act_flr, true },
	{ "reset", 0, 0, act_reset, true },
	{ "hot-reset", 0, 0, act_hot_reset, true },
	{ "low-power", 0, 0, act_low_power, true },
	{ "low-power-exit", 0, 0, act_low_power_exit, true },
	{ "tdi-bind", 1, 2, act_tdi_bind, true },
	{ "tdi-accept", 0, 0, act_tdi_accept, true },
	{ "tdi-unbind", 0, 1, act_tdi_unbind, true },
	{ "dmabuf-export", 1, 5, act_dmabuf_export, true },
	{ "dmabuf-import", 1, 2, act_dmabuf_import, false },
	{ "import-file", 2, 2, act_import_file, false },
	{ "dmabuf-release", 0, 0, act_dmabuf_release, false },
	{ "dmabuf-close", 0, 0, act_dmabuf_close, false },
	{ "vm-info", 0, 0, act_vm_info, false },
	{ "region-read", 2, 3, act_region_read, true },
	{ "region-write", 3, 4, act_region_write, true },
	{ "ioeventfd", 1, 1, act_ioeventfd, true },
	{ "dev", 1, 1, act_dev, false },
	{ "sleep", 1, 1, act_sleep, false },
	{ "hold", 0, 0, act_hold, false },
	{ "close", 0, 0, act_close, true },
	{ "unbind-driver", 0, 0, act_unbind_driver, false },
	{ "together", 0, 0, act_together, false },
};

/* ------------------------------------------------------------- main -- */

/* One action of a `together`, and the spin the two threads start from. */
struct together {
	const struct action *a;
	struct result r;
	pthread_t thread;
};

static int together_go;

static void run_one(const struct action *a, struct result *r)
{
	char words[128];
	int k;

	snprintf(words, sizeof(words), "%s", a->type->name);
	for (k = 0; k < a->nr_args; k++)
		append(words, sizeof(words), " %s", a->args[k]);
	res_init(r, words, a->expect_fail);
	if (a->type->needs_dev && cur_dev()->fd < 0)
		r->err = EBADF;
	else
		a->type->fn(a, r);
}

static void *together_thread(void *arg)
{
	struct together *t = arg;

	while (!__atomic_load_n(&together_go, __ATOMIC_ACQUIRE))
		;
	run_one(t->a, &t->r);
	return NULL;
}

/* Run @a and @b at once; print both; true if both were as expected. */
static bool run_together(const struct action *a, const struct action *b)
{
	struct together t[2] = { { .a = a }, { .a = b } };
	bool ok = true;
	int i;

	together_go = 0;
	for (i = 0; i < 2; i++) {
		if (pthread_create(&t[i].thread, NULL, together_thread, &t[i])) {
			fprintf(stderr, "tsmbpf_vmm: pthread_create failed\n");
			exit(1);
		}
	}
	__atomic_store_n(&together_go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(t[i].thread, NULL);
	for (i = 0; i < 2; i++)
		ok &= res_print(&t[i].r);
	return ok;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tsmbpf_vmm [-j] [--hold] BDF[,BDF...] [ACTION...]\n"
		"Actions (prefix '!' to expect a failure):\n"
		"  read-bar N OFF [W]  write-bar N OFF VAL [W]  mmap N  munmap N\n"
		"  cfg-read OFF [W]  cfg-write OFF VAL [W]\n"
		"  mse-clear  mse-set  bme-clear  bme-set  d3hot  d0  flr\n"
		"  reset  hot-reset  low-power  low-power-exit\n"
		"  tdi-bind PLATFORM  tdi-unbind\n"
		"  dev N|BDF  sleep MS  hold  close  unbind-driver\n"
		"  together ACTION ACTION   (the two at once, from two threads)\n"
		"Options:\n"
		"  -j, --json   JSON lines\n"
		"      --hold   hold after the last action: print \"ready\", wait for\n"
		"               a line or end of file on stdin, or SIGINT/SIGTERM/SIGHUP\n"
		"  -h, --help   this help\n");
}

/* Parse the actions from @argv; prints the error and returns -1. */
static int parse_actions(int argc, char **argv, struct action *acts, int *nr)
{
	const struct action_type *t;
	int i = 0, n = 0, k;
	uint64_t v;

	while (i < argc) {
		struct action *a = &acts[n];
		const char *word = argv[i++];
		bool bang = word[0] == '!';

		t = NULL;
		for (k = 0; k < (int)(sizeof(action_types) / sizeof(action_types[0])); k++)
			if (!strcmp(word + bang, action_types[k].name))
				t = &action_types[k];
		if (!t) {
			fprintf(stderr, "tsmbpf_vmm: unknown action '%s'\n", word);
			return -1;
		}
		memset(a, 0, sizeof(*a));
		a->type = t;
		a->expect_fail = bang;
		/* optional arguments are numbers or known words */
		while (a->nr_args < t->max_args && i < argc &&
		       (a->nr_args < t->min_args || parse_num(argv[i], &v) ||
			word_arg(t, a->nr_args, argv[i]))) {
			a->args[a->nr_args] = argv[i];
			if (!word_arg(t, a->nr_args, argv[i]) &&
			    !parse_num(argv[i], &a->num[a->nr_args])) {
				fprintf(stderr, "tsmbpf_vmm: %s: '%s' is not a number\n",
					t->name, argv[i]);
				return -1;
			}
			a->nr_args++;
			i++;
		}
		if (a->nr_args < t->min_args) {
			fprintf(stderr, "tsmbpf_vmm: %s needs %d argument%s\n",
				t->name, t->min_args, t->min_args > 1 ? "s" : "");
			return -1;
		}
		if ((!strcmp(t->name, "read-bar") && a->nr_args == 3 &&
		     !width_ok(a->num[2], true)) ||
		    (!strcmp(t->name, "write-bar") && a->nr_args == 4 &&
		     !width_ok(a->num[3], true)) ||
		    (!strcmp(t->name, "cfg-read") && a->nr_args == 2 &&
		     !width_ok(a->num[1], false)) ||
		    (!strcmp(t->name, "cfg-write") && a->nr_args == 3 &&
		     !width_ok(a->num[2], false))) {
			fprintf(stderr, "tsmbpf_vmm: %s: width must be 1, 2, 4%s\n",
				t->name, t->name[0] == 'c' ? "" : " or 8");
			return -1;
		}
		n++;
	}
	for (k = 0; k < n; k++) {
		if (acts[k].type->fn != act_together)
			continue;
		if (k + 2 >= n || acts[k + 1].type->fn == act_together ||
		    acts[k + 2].type->fn == act_together ||
		    acts[k + 1].type->fn == act_hold ||
		    acts[k + 2].type->fn == act_hold) {
			fprintf(stderr, "tsmbpf_vmm: together needs two actions after it (not hold or together)\n");
			return -1;
		}
	}
	*nr = n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct action *acts;
	bool opt_hold = false, all_ok = true;
	char *bdfs, *tok, *save, **words;
	int c, i, k, nr_acts, nr_words = 0;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			vmm.json = true;
			break;
		case 'H':
			opt_hold = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	bdfs = argv[optind++];
	for (tok = strtok_r(bdfs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int s, b, d, f;
		int len = 0;

		if (sscanf(tok, "%4x:%2x:%2x.%1x%n", &s, &b, &d, &f, &len) != 4 ||
		    len != (int)strlen(tok)) {
			fprintf(stderr, "tsmbpf_vmm: '%s' is not a PCI address (0000:01:00.0)\n",
				tok);
			return 2;
		}
		if (vmm.nr_devs == VMM_MAX_DEVS) {
			fprintf(stderr, "tsmbpf_vmm: at most %d functions\n", VMM_MAX_DEVS);
			return 2;
		}
		vmm.devs[vmm.nr_devs].dmabuf = -1;
		vmm.devs[vmm.nr_devs++].bdf = tok;
	}
	if (!vmm.nr_devs) {
		usage(stderr);
		return 2;
	}

	/* an argument may hold several words: '!read-bar 4 0' */
	for (i = optind, k = 0; i < argc; i++)
		k += strlen(argv[i]) / 2 + 1;
	words = calloc(k + 1, sizeof(*words));
	acts = calloc(k + 1, sizeof(*acts));
	if (!words || !acts)
		return 1;
	for (i = optind; i < argc; i++)
		for (tok = strtok_r(argv[i], " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			words[nr_words++] = tok;
	if (parse_actions(nr_words, words, acts, &nr_acts))
		return 2;
	if (opt_hold) {
		for (k = 0; strcmp(action_types[k].name, "hold"); k++)
			;
		acts[nr_acts++] = (struct action){ .type = &action_types[k] };
	}

	sigaction(SIGBUS, &(struct sigaction){ .sa_handler = on_sigbus }, NULL);
	container_open();
	for (i = 0; i < vmm.nr_devs; i++)
		dev_open(&vmm.devs[i]);

	for (i = 0; i < nr_acts; i++) {
		const struct action *a = &acts[i];
		struct result r;

		if (a->type->fn == act_together) {
			if (!run_together(&acts[i + 1], &acts[i + 2]))
				all_ok = false;
			i += 2;
			continue;
		}
		run_one(a, &r);
		if (!res_print(&r))
			all_ok = false;
	}

	for (i = 0; i < vmm.nr_devs; i++) {
		for (k = 0; k < VMM_NR_BARS; k++)
			bar_unmap(&vmm.devs[i], k);
		if (vmm.devs[i].fd >= 0)
			close(vmm.devs[i].fd);
	}
	for (i = 0; i < vmm.nr_groups; i++)
		close(vmm.groups[i].fd);
	close(vmm.container);
	free(acts);
	free(words);
	return all_ok ? 0 : 1;
}
