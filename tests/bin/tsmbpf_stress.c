// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_stress: N threads for M seconds of random operations on shared
 * VMs and TDIs, with the operator's and the host's work going on beside
 * them, then the invariants.
 *
 *   tsmbpf_stress [-s SEED] [-t SECONDS] [-T THREADS] [-n TDIS] [-f BDF] [-q]
 *
 * Worker threads pick a TDI and a VM at random and bind (eagerly or
 * lazily), accept, fault in, map, unbind, or ask the gate (test ioctl
 * TSMBPF_REVOKE_GATE).  Beside them, one thread each:
 *   policy   load, swap (tdx_connect <-> tdx_alt, tsmctl policy swap),
 *            unload the platform policies (tsmctl)
 *   trace    attach and detach the latency tracing (tsmctl trace
 *            --duration 1)
 *   rmmod    try to unload tsmbpf_emu and tsmbpf: must be refused while
 *            TDIs exist
 *   host     with -f BDF (a function on tsmbpf_vfio_pci whose TDI is in
 *            the pool): resets, MSE clear, FLR and close of the function
 *            through tsmbpf_vmm, whatever the TDI is doing
 * A seeded run: -s prints and takes the seed.  Errnos of the operations
 * are counted, not judged (most mean "not in that state"), except the ones
 * no well-formed call may get (EFAULT, ENOTTY, ENOMEM, EPROTO...).
 *
 * The invariants, once every thread stopped: each TDI is whole (unbound:
 * CONFIG_UNLOCKED, shared, no private MMIO, DMA or metadata; bound: LOCKED,
 * RUN or ERROR, its VM's bound count agrees); no policy was ejected (the
 * policies are the shipped ones); no kernel splat was logged.  Then every
 * TDI is unbound and destroyed, the VMs destroyed, and the secure page
 * tables hold no page.  One JSON line: ops per kind and errno, and ok.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "tsmbpf_test.h"

#define MAX_THREADS	16
#define MAX_TDIS	256
#define NR_VMS		3
#define MAX_ERRNO	140

enum op { OP_BIND, OP_BIND_LAZY, OP_ACCEPT, OP_FAULT, OP_MAP, OP_UNBIND,
	  OP_GATE, OP_POLICY, OP_TRACE, OP_RMMOD, OP_HOST, OP_NR };

static const char *const op_names[OP_NR] = {
	"bind", "bind_lazy", "accept", "fault", "map", "unbind", "gate",
	"policy", "trace", "rmmod", "host",
};

static int fd;
static volatile int stop;
static uint32_t tdis[MAX_TDIS], vms[NR_VMS];
static uint64_t nonces[MAX_TDIS];
static int nr_tdis = 24, nr_threads = 4;
static const char *host_bdf;
static uint64_t counts[OP_NR][MAX_ERRNO + 1];	/* [op][errno], 0 = ok */
static int bad_errno[OP_NR];
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static char failure[512];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&count_lock);
	if (!failure[0]) {
		va_start(ap, fmt);
		vsnprintf(failure, sizeof(failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&count_lock);
	stop = 1;
}

static void count(enum op op, int err)
{
	err = err < 0 ? -err : err;
	if (err > MAX_ERRNO)
		err = MAX_ERRNO;
	pthread_mutex_lock(&count_lock);
	counts[op][err]++;
	pthread_mutex_unlock(&count_lock);
	/*
	 * What no well-formed call on a live object may get (a fault's
	 * EFAULT says its GPA is in none of the TDI's BARs: it was read
	 * before a concurrent unbind and bind moved them)
	 */
	if ((err == EFAULT && op != OP_FAULT) || err == ENOTTY || err == ENOMEM ||
	    err == EPROTO || err == MAX_ERRNO) {
		__atomic_add_fetch(&bad_errno[op], 1, __ATOMIC_RELAXED);
		fail("%s: unexpected %s", op_names[op], strerror(err));
	}
}

static int xioctl(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static void worker_op(unsigned int *seed)
{
	int k = rand_r(seed) % nr_tdis, r = rand_r(seed) % 100;
	uint32_t tdi = tdis[k], vm = vms[rand_r(seed) % NR_VMS];
	struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti), .tdi_id = tdi };

	if (r < 22) {
		struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .tdi_id = tdi,
					     .vm_id = vm,
					     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
		bool lazy = r % 2;
		int err;

		if (lazy)
			b.flags = TSMBPF_BIND_LAZY_MMIO;
		err = xioctl(TSMBPF_TDI_BIND, &b);
		if (!err)
			__atomic_store_n(&nonces[k], b.nonce, __ATOMIC_RELAXED);
		count(lazy ? OP_BIND_LAZY : OP_BIND, err);
	} else if (r < 40) {
		struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = tdi };

		a.nonce = __atomic_load_n(&nonces[k], __ATOMIC_RELAXED);
		count(OP_ACCEPT, xioctl(TSMBPF_TDI_ACCEPT, &a));
	} else if (r < 55) {
		struct tsmbpf_tdi_fault f = { .argsz = sizeof(f), .tdi_id = tdi };
		int err = xioctl(TSMBPF_TDI_INFO, &ti);

		if (!err && ti.vm_id) {
			f.gpa = ti.bar_gpa[0] + (rand_r(seed) % 16) * 4096;
			err = xioctl(TSMBPF_TDI_FAULT, &f);
		}
		count(OP_FAULT, err);
	} else if (r < 63) {
		struct tsmbpf_tdi_map m = { .argsz = sizeof(m), .tdi_id = tdi };

		m.bar = 0;
		m.offset = (rand_r(seed) % 4) * 4096;
		m.size = 4096;
		count(OP_MAP, xioctl(TSMBPF_TDI_MAP, &m));
	} else if (r < 90) {
		struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };

		count(OP_UNBIND, xioctl(TSMBPF_TDI_UNBIND, &u));
	} else {
		struct tsmbpf_revoke_gate g = { .argsz = sizeof(g), .tdi_id = tdi };

		g.event = rand_r(seed) % TSMBPF_EV_NR;
		count(OP_GATE, xioctl(TSMBPF_REVOKE_GATE, &g));
	}
}

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!stop)
		worker_op(&seed);
	return NULL;
}

/* Run a shell command quietly; its exit status, or -1. */
static int sh(const char *cmd)
{
	int st = system(cmd);

	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void *policy_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	static const char *const cmds[] = {
		"tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o",
		"tsmctl policy swap tdx_connect /opt/tsmbpf/tests/policies/tdx_alt.bpf.o",
		"tsmctl policy swap tdx_alt /opt/tsmbpf/policies/tdx_connect.bpf.o",
		"tsmctl policy unload tdx_connect",
		"tsmctl policy unload tdx_alt",
		"tsmctl policy load /opt/tsmbpf/policies/sev_tio.bpf.o",
		"tsmctl policy unload sev_tio",
		"tsmctl policy load /opt/tsmbpf/policies/cca.bpf.o set gate=strict",
		"tsmctl policy unload cca",
	};
	char cmd[256];

	while (!stop) {
		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1",
			 cmds[rand_r(&seed) % (sizeof(cmds) / sizeof(cmds[0]))]);
		/* refused when the slot is not in that state: counted */
		count(OP_POLICY, sh(cmd) ? EAGAIN : 0);
	}
	return NULL;
}

static void *trace_thread(void *arg)
{
	while (!stop)
		count(OP_TRACE, sh("tsmctl trace --duration 1 >/dev/null 2>&1") ?
			       EAGAIN : 0);
	return NULL;
}

static void *rmmod_thread(void *arg)
{
	while (!stop) {
		/* TDIs exist: both must be refused */
		if (!sh("rmmod tsmbpf_emu 2>/dev/null") || !sh("rmmod tsmbpf 2>/dev/null"))
			fail("rmmod succeeded while TDIs exist");
		count(OP_RMMOD, EBUSY);
		usleep(200000);
	}
	return NULL;
}

static void *host_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	static const char *const acts[] = {
		"reset", "mse-clear mse-set", "flr", "bme-clear bme-set",
		"d3hot d0", "low-power low-power-exit", "",
	};
	char cmd[256];

	while (!stop) {
		/* each run opens (a reset) and closes (an unbind) too */
		snprintf(cmd, sizeof(cmd), "tsmbpf_vmm %s %s >/dev/null 2>&1",
			 host_bdf, acts[rand_r(&seed) % (sizeof(acts) / sizeof(acts[0]))]);
		count(OP_HOST, sh(cmd) ? EAGAIN : 0);
	}
	return NULL;
}

/* The invariants of a quiet system; 0 or -1 with failure[] set. */
static int check_whole(void)
{
	uint32_t bound[NR_VMS] = { 0 };
	int i, v;

	for (i = 0; i < nr_tdis; i++) {
		struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti), .tdi_id = tdis[i] };

		if (xioctl(TSMBPF_TDI_INFO, &ti)) {
			fail("tdi %u: info: %s", tdis[i], strerror(errno));
			return -1;
		}
		if (!ti.vm_id) {
			if (ti.state != TSMBPF_TDISP_CONFIG_UNLOCKED ||
			    ti.res != TSMBPF_RES_SHARED_MMIO || ti.mmio_pages) {
				fail("tdi %u: unbound but state %u res %#x mmio %llu",
				     ti.tdi_id, ti.state, ti.res,
				     (unsigned long long)ti.mmio_pages);
				return -1;
			}
			continue;
		}
		if (ti.state != TSMBPF_TDISP_CONFIG_LOCKED &&
		    ti.state != TSMBPF_TDISP_RUN && ti.state != TSMBPF_TDISP_ERROR) {
			fail("tdi %u: bound to vm %u in state %u", ti.tdi_id,
			     ti.vm_id, ti.state);
			return -1;
		}
		for (v = 0; v < NR_VMS; v++)
			bound[v] += ti.vm_id == vms[v];
	}
	for (v = 0; v < NR_VMS; v++) {
		struct tsmbpf_vm_info vi = { .argsz = sizeof(vi), .vm_id = vms[v] };

		if (xioctl(TSMBPF_VM_INFO, &vi) || vi.nr_bound != bound[v]) {
			fail("vm %u: %u bound, its TDIs say %u", vms[v],
			     vi.nr_bound, bound[v]);
			return -1;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsmbpf_stress [-s SEED] [-t SECONDS] [-T THREADS] [-n TDIS] [-f BDF] [-q]\n");
}

int main(int argc, char **argv)
{
	unsigned int seed = (unsigned int)time(NULL);
	struct tsmbpf_stats st0 = { .argsz = sizeof(st0) }, st1 = { .argsz = sizeof(st1) };
	pthread_t th[MAX_THREADS + 4];
	int secs = 10, opt, i, n = 0, kmsg, e, ok;
	bool quiet = false;
	char splat[256];

	while ((opt = getopt(argc, argv, "s:t:T:n:f:qh")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'T':
			nr_threads = atoi(optarg);
			break;
		case 'n':
			nr_tdis = atoi(optarg);
			break;
		case 'f':
			host_bdf = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (secs < 1 || nr_threads < 1 || nr_threads > MAX_THREADS ||
	    nr_tdis < 1 || nr_tdis > MAX_TDIS - 1) {
		fprintf(stderr, "tsmbpf_stress: -t >= 1, -T 1..%d, -n 1..%d\n",
			MAX_THREADS, MAX_TDIS - 1);
		return 2;
	}
	if (!quiet)
		printf("seed %u\n", seed);
	fflush(stdout);
	fd = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tsmbpf_stress: /dev/tsmbpf");
		return 1;
	}
	kmsg = kmsg_open();
	for (i = 0; i < NR_VMS; i++) {
		struct tsmbpf_vm_create c = { .argsz = sizeof(c),
					      .flags = TSMBPF_VM_CREATE_OWNED };

		if (xioctl(TSMBPF_VM_CREATE, &c)) {
			perror("tsmbpf_stress: vm create");
			return 1;
		}
		vms[i] = c.vm_id;
	}
	for (i = 0; i < nr_tdis; i++) {
		struct tsmbpf_tdi_create c = { .argsz = sizeof(c),
					       .flags = TSMBPF_TDI_CREATE_OWNED };

		c.platform = i % TSMBPF_PLAT_NR;
		c.bdf = TSMBPF_BDF(0, 0xd0, i / 8, i % 8);
		c.nr_bars = 2;
		c.bar_size[0] = 64 << 10;
		c.bar_size[1] = 4 << 10;
		if (xioctl(TSMBPF_TDI_CREATE, &c)) {
			perror("tsmbpf_stress: tdi create");
			return 1;
		}
		tdis[i] = c.tdi_id;
	}
	if (host_bdf) {
		/* the function's TDI, global (made by the test), in the pool */
		struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti) };
		struct tsmbpf_list l = { .argsz = sizeof(l), .what = TSMBPF_LIST_TDIS };
		uint32_t ids[MAX_TDIS * 2];

		l.count = MAX_TDIS * 2;
		l.ids = (uintptr_t)ids;
		if (xioctl(TSMBPF_LIST, &l))
			return 1;
		for (i = 0; i < (int)l.count; i++) {
			ti.tdi_id = ids[i];
			if (!xioctl(TSMBPF_TDI_INFO, &ti) &&
			    (ti.host_flags & TSMBPF_TDI_HOST_PCI))
				tdis[nr_tdis++] = ids[i];
		}
	}
	xioctl(TSMBPF_STATS, &st0);

	for (i = 0; i < nr_threads; i++)
		pthread_create(&th[n++], NULL, worker, (void *)(uintptr_t)(seed + i));
	pthread_create(&th[n++], NULL, policy_thread, (void *)(uintptr_t)(seed + 100));
	pthread_create(&th[n++], NULL, trace_thread, NULL);
	pthread_create(&th[n++], NULL, rmmod_thread, NULL);
	if (host_bdf)
		pthread_create(&th[n++], NULL, host_thread, (void *)(uintptr_t)(seed + 200));
	for (i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);

	sh("tsmctl policy unload tdx_connect >/dev/null 2>&1; tsmctl policy unload tdx_alt >/dev/null 2>&1;"
	   "tsmctl policy unload sev_tio >/dev/null 2>&1; tsmctl policy unload cca >/dev/null 2>&1");
	if (!failure[0])
		check_whole();
	xioctl(TSMBPF_STATS, &st1);
	if (!failure[0] && st1.policy_ejections != st0.policy_ejections)
		fail("%llu policy ejections with the shipped policies",
		     (unsigned long long)(st1.policy_ejections - st0.policy_ejections));
	/* tear down: unbind everything; the owned objects go with the fd */
	for (i = 0; i < nr_tdis; i++) {
		struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdis[i] };

		e = xioctl(TSMBPF_TDI_UNBIND, &u);
		if (e && e != -ENOTCONN && !failure[0])
			fail("tdi %u: final unbind: %s (fw %#x)", tdis[i], strerror(-e),
			     u.fw_error);
	}
	if (!failure[0])
		check_whole();
	if (!failure[0] && kmsg_splat(kmsg, splat, sizeof(splat)))
		fail("kernel: %s", splat);

	ok = !failure[0];
	printf("{\"seed\":%u,\"seconds\":%d,\"threads\":%d,\"tdis\":%d,\"ok\":%s",
	       seed, secs, nr_threads, nr_tdis, ok ? "true" : "false");
	if (!ok)
		printf(",\"failure\":\"%s\"", failure);
	printf(",\"ops\":{");
	for (i = 0; i < OP_NR; i++) {
		uint64_t total = 0;

		for (e = 0; e <= MAX_ERRNO; e++)
			total += counts[i][e];
		printf("%s\"%s\":{\"total\":%llu", i ? "," : "", op_names[i],
		       (unsigned long long)total);
		for (e = 0; e <= MAX_ERRNO; e++)
			if (counts[i][e])
				printf(",\"%s\":%llu", e ? strerrorname_np(e) ?: "?" : "ok",
				       (unsigned long long)counts[i][e]);
		printf("}");
	}
	printf("}}\n");
	close(fd);	/* the owned VMs and TDIs go with it */
	return ok ? 0 : 1;
}
