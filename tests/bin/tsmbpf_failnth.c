// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_failnth: fail each allocation on a tsmbpf path once in turn, with
 * the kernel's fault injection scoped to this task (/proc/thread-self/
 * fail-nth, CONFIG_FAULT_INJECTION with FAILSLAB and FAIL_PAGE_ALLOC; the
 * debug kernel has them, Debian's does not).
 *
 *   tsmbpf_failnth [-f BDF] [-p PATH]... [-q]
 *
 * For each path, with n = 1, 2, ...: set up (no injection), arm fail-nth
 * with n, run the one call, disarm.  If the n-th injectable allocation of
 * the call was failed, the call must end with a clean errno (or succeed,
 * where the allocation has a fallback), and the objects must be whole: no
 * object left by a failed create, no TDI half bound or half torn down, a
 * retry without injection completes, nothing mapped by a failed map.  The
 * path is done when a call consumes fewer than n injection points: n - 1
 * sites were failed in turn.  The caller reads kmemleak and the console.
 *
 * Paths: vm-create tdi-create bind accept unbind fault map export import
 * policy-attach trace-attach (export and import need -f BDF, a function
 * on tsmbpf_vfio_pci).  One JSON line: sites failed per path, errnos seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/tsmbpf.h>
#include <linux/vfio.h>

#include "tsmbpf_test.h"
#include "tsmbpf_vfio.h"
#include "tsmbpf_lat.skel.h"

#define MAX_N		400
#define IMPORT_GPA	0x100000000ULL

static int fd, nth_fd, vfio_dev = -1, kmsg;
static const char *bdf;
static uint32_t vm, tdi, pci_tdi;
static char failure[512];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

static int xioctl(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* Arm: the n-th injectable call of this task fails. */
static void arm(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		perror("tsmbpf_failnth: fail-nth");
		exit(1);
	}
}

/* Disarm; true if the armed failure was injected. */
static bool disarm(void)
{
	char buf[16] = "";
	bool hit;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) < 0) {
		perror("tsmbpf_failnth: fail-nth");
		exit(1);
	}
	hit = atoi(buf) == 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		exit(1);
	return hit;
}

static struct tsmbpf_tdi_info info(uint32_t id)
{
	struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti), .tdi_id = id };

	if (xioctl(TSMBPF_TDI_INFO, &ti))
		fail("tdi %u: info: %s", id, strerror(errno));
	return ti;
}

/* The TDI is torn down and shared, or bound in a state the rules allow. */
static void check_whole(uint32_t id, const char *what, int n)
{
	struct tsmbpf_tdi_info ti = info(id);

	if (!ti.vm_id && (ti.state != TSMBPF_TDISP_CONFIG_UNLOCKED ||
			  ti.res != TSMBPF_RES_SHARED_MMIO || ti.mmio_pages))
		fail("%s, site %d: tdi %u unbound but state %u res %#x mmio %llu",
		     what, n, id, ti.state, ti.res,
		     (unsigned long long)ti.mmio_pages);
	if (ti.vm_id && ti.state != TSMBPF_TDISP_CONFIG_LOCKED &&
	    ti.state != TSMBPF_TDISP_RUN)
		fail("%s, site %d: tdi %u bound in state %u", what, n, id, ti.state);
}

static int bind(uint32_t id, uint32_t flags, uint64_t *nonce)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .flags = flags,
				     .tdi_id = id, .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	int err = xioctl(TSMBPF_TDI_BIND, &b);

	if (nonce)
		*nonce = b.nonce;
	return err;
}

static int accept(uint32_t id, uint64_t nonce)
{
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = id,
				       .nonce = nonce };

	return xioctl(TSMBPF_TDI_ACCEPT, &a);
}

/* Unbind without injection; it must work, or have nothing to do. */
static void unbind_clean(uint32_t id, const char *what, int n)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = id };
	int err = xioctl(TSMBPF_TDI_UNBIND, &u);

	if (err && err != -ENOTCONN)
		fail("%s, site %d: unbind after it: %s (fw %#x)", what, n,
		     strerror(-err), u.fw_error);
	check_whole(id, what, n);
}

static uint64_t sysfs_u64(const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/tsmbpf/%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		fail("cannot read %s", path);
	if (f)
		fclose(f);
	return v;
}

/* ------------------------------------------------------------ paths -- */

struct path {
	const char *name;
	/* the one call, armed; returns 0 or -errno */
	int (*call)(void);
	/* set up before, check and clean up after (no injection) */
	void (*before)(void);
	void (*after)(int err, bool hit, int n);
	bool needs_bdf;
	int sites;
	uint64_t errnos;	/* bit e: errno e seen */
};

static uint32_t created;
static uint64_t nonce;

static int call_vm_create(void)
{
	struct tsmbpf_vm_create c = { .argsz = sizeof(c) };
	int err = xioctl(TSMBPF_VM_CREATE, &c);

	created = err ? 0 : c.vm_id;
	return err;
}

static void after_vm_create(int err, bool hit, int n)
{
	struct tsmbpf_vm_destroy d = { .argsz = sizeof(d), .vm_id = created };

	if (created && xioctl(TSMBPF_VM_DESTROY, &d))
		fail("vm-create, site %d: destroy: %s", n, strerror(errno));
	if (sysfs_u64("nr_vms") != 1)
		fail("vm-create, site %d: %llu VMs left", n,
		     (unsigned long long)sysfs_u64("nr_vms"));
}

static int call_tdi_create(void)
{
	struct tsmbpf_tdi_create c = { .argsz = sizeof(c) };
	int err;

	c.platform = TSMBPF_PLAT_SEV_TIO;
	c.bdf = TSMBPF_BDF(0, 0xe1, 0, 0);
	c.nr_bars = 2;
	c.bar_size[0] = 2 << 20;
	c.bar_size[1] = 4 << 10;
	err = xioctl(TSMBPF_TDI_CREATE, &c);
	created = err ? 0 : c.tdi_id;
	return err;
}

static void after_tdi_create(int err, bool hit, int n)
{
	struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d), .tdi_id = created };
	uint64_t want = 1 + !!pci_tdi;

	if (created && xioctl(TSMBPF_TDI_DESTROY, &d))
		fail("tdi-create, site %d: destroy: %s", n, strerror(errno));
	if (sysfs_u64("nr_tdis") != want)
		fail("tdi-create, site %d: %llu TDIs, want %llu", n,
		     (unsigned long long)sysfs_u64("nr_tdis"),
		     (unsigned long long)want);
}

static int call_bind(void)
{
	return bind(tdi, 0, &nonce);
}

static void after_unbind_all(int err, bool hit, int n)
{
	unbind_clean(tdi, "bind/accept/fault/map", n);
}

static void before_accept(void)
{
	if (bind(tdi, 0, &nonce))
		fail("accept: bind: %s", strerror(errno));
}

static int call_accept(void)
{
	return accept(tdi, nonce);
}

static void before_unbind(void)
{
	before_accept();
	if (accept(tdi, nonce))
		fail("unbind: accept: %s", strerror(errno));
}

static int call_unbind(void)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };

	return xioctl(TSMBPF_TDI_UNBIND, &u);
}

static void after_unbind(int err, bool hit, int n)
{
	/* a failed unbind leaves the TDI whole, and a retry completes it */
	check_whole(tdi, "unbind", n);
	unbind_clean(tdi, "unbind", n);
}

/*
 * A new VM for each fault and map: its secure page table has no pages
 * kept from an earlier unbind, so the call allocates its table pages.
 */
static uint32_t base_vm;

static void before_lazy(void)
{
	struct tsmbpf_vm_create c = { .argsz = sizeof(c) };

	if (xioctl(TSMBPF_VM_CREATE, &c))
		fail("fault/map: vm create: %s", strerror(errno));
	base_vm = vm;
	vm = c.vm_id;
	if (bind(tdi, TSMBPF_BIND_LAZY_MMIO, &nonce) || accept(tdi, nonce))
		fail("fault/map: lazy bind: %s", strerror(errno));
}

static void after_lazy(const char *what, int n)
{
	struct tsmbpf_vm_destroy d = { .argsz = sizeof(d), .vm_id = vm };

	unbind_clean(tdi, what, n);
	if (xioctl(TSMBPF_VM_DESTROY, &d))
		fail("%s, site %d: vm destroy: %s", what, n, strerror(errno));
	vm = base_vm;
}

static void after_fault(int err, bool hit, int n)
{
	after_lazy("fault", n);
}

static int call_fault(void)
{
	struct tsmbpf_tdi_fault f = { .argsz = sizeof(f), .tdi_id = tdi };

	f.gpa = info(tdi).bar_gpa[0] + 0x3000;
	return xioctl(TSMBPF_TDI_FAULT, &f);
}

static int call_map(void)
{
	struct tsmbpf_tdi_map m = { .argsz = sizeof(m), .tdi_id = tdi,
				    .flags = TSMBPF_MAP_4K, .bar = 0,
				    .size = 2 << 20 };

	return xioctl(TSMBPF_TDI_MAP, &m);
}

static void after_map(int err, bool hit, int n)
{
	/* all or nothing: a failed map leaves no page mapped */
	if (err && info(tdi).mmio_pages)
		fail("map, site %d: failed with %llu pages mapped", n,
		     (unsigned long long)info(tdi).mmio_pages);
	after_lazy("map", n);
}

static int dmabuf = -1;

static int call_export(void)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf get;
		struct vfio_region_dma_range range;
	} __attribute__((packed)) arg = {};

	arg.f.argsz = sizeof(arg);
	arg.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	arg.get.region_index = 4;
	arg.get.open_flags = O_RDWR | O_CLOEXEC;
	arg.get.nr_ranges = 1;
	arg.range.length = 0x4000;
	dmabuf = ioctl(vfio_dev, VFIO_DEVICE_FEATURE, &arg);
	return dmabuf < 0 ? -errno : 0;
}

static void after_export(int err, bool hit, int n)
{
	if (dmabuf >= 0)
		close(dmabuf);
	dmabuf = -1;
}

static uint32_t import_id;

static void before_import(void)
{
	if (call_export() || bind(pci_tdi, 0, &nonce))
		fail("import: export or bind: %s", strerror(errno));
}

static int call_import(void)
{
	struct tsmbpf_mmio_import im = { .argsz = sizeof(im), .vm_id = vm,
					 .fd = dmabuf, .gpa = IMPORT_GPA };
	int err = xioctl(TSMBPF_MMIO_IMPORT, &im);

	import_id = err ? 0 : im.import_id;
	return err;
}

static void after_import(int err, bool hit, int n)
{
	struct tsmbpf_vm_info vi = { .argsz = sizeof(vi), .vm_id = vm };
	struct tsmbpf_mmio_release r = { .argsz = sizeof(r), .vm_id = vm,
					 .import_id = import_id };

	if (xioctl(TSMBPF_VM_INFO, &vi))
		fail("import: vm info: %s", strerror(errno));
	if (err && (vi.nr_imports || vi.import_pages))
		fail("import, site %d: failed but %u imports, %llu pages", n,
		     vi.nr_imports, (unsigned long long)vi.import_pages);
	if (import_id && xioctl(TSMBPF_MMIO_RELEASE, &r))
		fail("import, site %d: release: %s", n, strerror(errno));
	unbind_clean(pci_tdi, "import", n);
	after_export(0, false, n);
}

static struct bpf_object *policy;
static struct bpf_link *pol_link;

static void before_policy(void)
{
	policy = bpf_object__open_file("/opt/tsmbpf/policies/tdx_connect.bpf.o", NULL);
	if (!policy || bpf_object__load(policy))
		fail("policy: open or load: %s", strerror(errno));
}

static int call_policy(void)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, policy) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		pol_link = bpf_map__attach_struct_ops(m);
		return pol_link ? 0 : -errno;
	}
	return -ENOENT;
}

static void after_policy(int err, bool hit, int n)
{
	uint64_t nonce2;

	if (pol_link)
		bpf_link__destroy(pol_link);
	pol_link = NULL;
	bpf_object__close(policy);
	/* the slot is empty again: a native cycle works */
	if (bind(tdi, 0, &nonce2) || accept(tdi, nonce2))
		fail("policy-attach, site %d: native bind after: %s", n,
		     strerror(errno));
	unbind_clean(tdi, "policy-attach", n);
}

static struct tsmbpf_lat *lat;

/*
 * Loaded once: only the attach is under test, and a loaded object attaches
 * again after a detach (a policy's struct_ops map does not: it is loaded
 * anew for each site).  Loading it under KASAN takes long.
 */
static void before_trace(void)
{
	if (!lat)
		lat = tsmbpf_lat__open_and_load();
	if (!lat)
		fail("trace: open and load: %s", strerror(errno));
}

static int call_trace(void)
{
	return tsmbpf_lat__attach(lat);
}

/* Every link, of a whole attach or of a failed one's first programs. */
static void after_trace(int err, bool hit, int n)
{
	tsmbpf_lat__detach(lat);
	if (!hit) {
		tsmbpf_lat__destroy(lat);
		lat = NULL;
	}
}

static struct path paths[] = {
	{ "vm-create", call_vm_create, NULL, after_vm_create },
	{ "tdi-create", call_tdi_create, NULL, after_tdi_create },
	{ "bind", call_bind, NULL, after_unbind_all },
	{ "accept", call_accept, before_accept, after_unbind_all },
	{ "unbind", call_unbind, before_unbind, after_unbind },
	{ "fault", call_fault, before_lazy, after_fault },
	{ "map", call_map, before_lazy, after_map },
	{ "export", call_export, NULL, after_export, true },
	{ "import", call_import, before_import, after_import, true },
	{ "policy-attach", call_policy, before_policy, after_policy },
	{ "trace-attach", call_trace, before_trace, after_trace },
};

#define NR_PATHS	(int)(sizeof(paths) / sizeof(paths[0]))

/*
 * A line in the kernel log, for scripts/scan-console.sh: between "on" and
 * "off" it expects the stack dumps of failed allocations (warn_alloc()).
 * KERN_WARNING, so the console shows it at loglevel=5.
 */
static void kmsg_mark(const char *msg)
{
	char line[128];
	int f = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	int len;

	if (f < 0) {
		perror("tsmbpf_failnth: /dev/kmsg");
		exit(1);
	}
	len = snprintf(line, sizeof(line), "<4>%s\n", msg);
	if (write(f, line, len) != len) {
		perror("tsmbpf_failnth: /dev/kmsg");
		exit(1);
	}
	close(f);
}

static void run_path(struct path *p)
{
	char splat[256];
	int n, err;
	bool hit;

	for (n = 1; n <= MAX_N && !failure[0]; n++) {
		if (p->before)
			p->before();
		if (failure[0])
			return;
		arm(n);
		err = p->call();
		hit = disarm();
		if (err)
			p->errnos |= 1ULL << (-err < 64 ? -err : 63);
		if (hit && err && err != -ENOMEM && err != -ENOSPC && err != -EAGAIN &&
		    err != -EFAULT /* a failed copy of a user page */)
			fail("%s, site %d: errno %s", p->name, n, strerrorname_np(-err));
		if (!hit && err)
			fail("%s: failed with %s without injection", p->name,
			     strerrorname_np(-err));
		p->after(err, hit, n);
		if (kmsg_splat(kmsg, splat, sizeof(splat)))
			fail("%s, site %d: kernel: %s", p->name, n, splat);
		if (!hit)
			break;	/* fewer than n sites: all failed in turn */
		p->sites++;
	}
	if (n > MAX_N)
		fail("%s: more than %d sites", p->name, MAX_N);
}

static int vfio_open(const char *dev)
{
	int id, container, group;
	const char *what;

	id = vfio_group_id(dev);
	if (id < 0)
		return -1;
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	group = vfio_group_open(id, &what);
	if (container < 0 || group < 0 ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    vfio_set_iommu(container) < 0)
		return -1;
	return ioctl(group, VFIO_GROUP_GET_DEVICE_FD, dev);
}

int main(int argc, char **argv)
{
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	struct tsmbpf_tdi_create tc = { .argsz = sizeof(tc) };
	bool only[NR_PATHS] = { false }, any = false, quiet = false;
	int opt, i, total = 0;

	while ((opt = getopt(argc, argv, "f:p:qh")) != -1) {
		switch (opt) {
		case 'f':
			bdf = optarg;
			break;
		case 'p':
			for (i = 0; i < NR_PATHS; i++)
				if (!strcmp(optarg, paths[i].name))
					break;
			if (i == NR_PATHS) {
				fprintf(stderr, "tsmbpf_failnth: unknown path '%s'\n", optarg);
				return 2;
			}
			only[i] = any = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "Usage: tsmbpf_failnth [-f BDF] [-p PATH]... [-q]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		fprintf(stderr, "tsmbpf_failnth: /proc/thread-self/fail-nth: %s (a kernel without CONFIG_FAULT_INJECTION)\n",
			strerror(errno));
		return 3;
	}
	fd = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tsmbpf_failnth: /dev/tsmbpf");
		return 1;
	}
	libbpf_set_print(NULL);
	kmsg = kmsg_open();
	if (xioctl(TSMBPF_VM_CREATE, &vc))
		return 1;
	vm = vc.vm_id;
	tc.platform = TSMBPF_PLAT_TDX;
	tc.bdf = TSMBPF_BDF(0, 0xe0, 0, 0);
	tc.nr_bars = 2;
	tc.bar_size[0] = 4 << 20;
	tc.bar_size[1] = 16 << 10;
	if (xioctl(TSMBPF_TDI_CREATE, &tc))
		return 1;
	tdi = tc.tdi_id;
	if (bdf) {
		unsigned int s, b, d, f;

		vfio_dev = vfio_open(bdf);
		if (vfio_dev < 0 || sscanf(bdf, "%x:%x:%x.%x", &s, &b, &d, &f) != 4) {
			fprintf(stderr, "tsmbpf_failnth: cannot open %s through VFIO\n", bdf);
			return 1;
		}
		memset(&tc, 0, sizeof(tc));
		tc.argsz = sizeof(tc);
		tc.flags = TSMBPF_TDI_CREATE_PCI;
		tc.platform = TSMBPF_PLAT_CCA;
		tc.bdf = TSMBPF_BDF(s, b, d, f);
		if (xioctl(TSMBPF_TDI_CREATE, &tc))
			return 1;
		pci_tdi = tc.tdi_id;
	}
	kmsg_mark("tsmbpf-failnth: fault injection on");
	for (i = 0; i < NR_PATHS && !failure[0]; i++) {
		if ((any && !only[i]) || (paths[i].needs_bdf && !bdf))
			continue;
		run_path(&paths[i]);
		total += paths[i].sites;
		if (!quiet)
			fprintf(stderr, "%s: %d sites\n", paths[i].name, paths[i].sites);
	}
	kmsg_mark("tsmbpf-failnth: fault injection off");
	printf("{\"ok\":%s,", failure[0] ? "false" : "true");
	if (failure[0])
		printf("\"failure\":\"%s\",", failure);
	printf("\"sites\":%d,\"paths\":{", total);
	for (i = 0; i < NR_PATHS; i++) {
		int e, first = 1;

		printf("%s\"%s\":{\"sites\":%d,\"errnos\":[", i ? "," : "",
		       paths[i].name, paths[i].sites);
		for (e = 1; e < 64; e++)
			if (paths[i].errnos & (1ULL << e)) {
				printf("%s\"%s\"", first ? "" : ",", strerrorname_np(e));
				first = 0;
			}
		printf("]}");
	}
	printf("}}\n");
	return failure[0] ? 1 : 0;
}
