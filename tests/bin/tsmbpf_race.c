// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_race: bounded, seeded races on the lifetime of /dev/tsmbpf's
 * objects, run as root in the guest.  Each scenario pits a few worker
 * processes against one another for a few seconds and checks, after every
 * round, an invariant a correct core keeps whatever the interleaving:
 *
 *   sysfs-destroy   unprivileged readers of tdis/N/vm against create and
 *                   destroy of N: no deadlock (a watchdog reports one)
 *   destroy-twice   two destroys of one id against a create that reuses
 *                   the id: the new TDI survives unless a destroy says it
 *                   destroyed it, and its create never fails with EEXIST
 *   bind-destroy    bind against destroy of one TDI: not both succeed, and
 *                   the VM is left with nothing bound
 *   create-efault   a create whose result cannot be copied out (EFAULT)
 *                   against a destroy and create of the id it got: the
 *                   undo never destroys the other's TDI
 *   vm-destroy-bind VM destroy against a bind to that VM: not both succeed
 *   dup-bdf         three creates of one BDF: at most one succeeds
 *
 * Workers are processes, not threads, with their results in shared memory:
 * a worker stuck in the kernel (D state) cannot hold up the report, and a
 * watchdog in the parent says which scenario stopped making progress.
 *
 * A scenario also fails if the kernel logged a warning, a BUG or a
 * refcount or list corruption while it ran (read from /dev/kmsg): a race
 * that the checks miss often shows as a use-after-free warning.
 *
 * Usage: tsmbpf_race [-s SEED] [-t SECS] [-w SECS] SCENARIO...
 * Prints "ok - SCENARIO: N rounds" or "not ok - SCENARIO: why" per
 * scenario and "seed S" first; exits 1 if any scenario failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsmbpf_test.h"

#define NR_WORKERS_MAX	4
#define BDF_A		TSMBPF_BDF(0, 0xe0, 0, 0)
#define BDF_B		TSMBPF_BDF(0, 0xe1, 0, 0)
#define BDF_POP		TSMBPF_BDF(0, 0xe2, 0, 0)	/* population */

/* State shared by the parent and the workers of one scenario. */
struct shared {
	unsigned int bar_count, bar_gen;
	volatile int stop;		/* set by worker 0 before a barrier */
	volatile int failed;
	char msg[512];
	volatile unsigned long progress[NR_WORKERS_MAX];
	unsigned long rounds;
	/* one round's data, set up by worker 0 */
	uint32_t vm, tdi;
	uint32_t nr_pop, pop[200];
	int res[NR_WORKERS_MAX];	/* 0 or -errno */
	uint32_t id[NR_WORKERS_MAX];	/* ids created */
};

struct scenario {
	const char *name;
	int nr_workers;
	/* free-running workers (no rounds); else setup, op, check */
	void (*run)(int w);
	void (*setup)(void);
	void (*op)(int w);
	void (*check)(void);
	/* objects that live across the rounds, made and removed by the parent */
	int (*begin)(void);
	int (*end)(void);
};

static struct shared *sh;
static unsigned int seed, wseed;
static int fd, secs = 2, watchdog = 10;
static uint64_t deadline;

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (sh->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
	sh->failed = 1;
}

/*
 * A spinning barrier: the workers of a round leave it within a few
 * nanoseconds of one another (a futex wake-up would spread them over tens
 * of microseconds and hide the races); it yields now and then, for guests
 * with fewer CPUs than workers.
 */
static void barrier(int n)
{
	unsigned int gen = __atomic_load_n(&sh->bar_gen, __ATOMIC_ACQUIRE);
	unsigned long spins = 0;

	if (__atomic_add_fetch(&sh->bar_count, 1, __ATOMIC_ACQ_REL) == (unsigned int)n) {
		__atomic_store_n(&sh->bar_count, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->bar_gen, 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&sh->bar_gen, __ATOMIC_ACQUIRE) == gen)
		if (++spins % 4096 == 0)
			sched_yield();
}

/* A random pause of up to a few us, so that rounds interleave differently. */
static void jitter(void)
{
	volatile unsigned int n = rand_r(&wseed) % 400;

	while (n--)
		;
}

static int xioctl(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int vm_create(uint32_t *id)
{
	struct tsmbpf_vm_create c = { .argsz = sizeof(c) };
	int ret = xioctl(TSMBPF_VM_CREATE, &c);

	*id = c.vm_id;
	return ret;
}

static int vm_destroy(uint32_t id)
{
	struct tsmbpf_vm_destroy d = { .argsz = sizeof(d), .vm_id = id };

	return xioctl(TSMBPF_VM_DESTROY, &d);
}

static void tdi_create_arg(struct tsmbpf_tdi_create *c, uint32_t bdf)
{
	memset(c, 0, sizeof(*c));
	c->argsz = sizeof(*c);
	c->platform = TSMBPF_PLAT_TDX;
	c->bdf = bdf;
	c->nr_bars = 1;
	c->bar_size[0] = 16384;
}

static int tdi_create(uint32_t bdf, uint32_t *id)
{
	struct tsmbpf_tdi_create c;
	int ret;

	tdi_create_arg(&c, bdf);
	ret = xioctl(TSMBPF_TDI_CREATE, &c);
	*id = ret ? 0 : c.tdi_id;
	return ret;
}

static int tdi_destroy(uint32_t id)
{
	struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d), .tdi_id = id };

	return xioctl(TSMBPF_TDI_DESTROY, &d);
}

static int tdi_bind(uint32_t tdi, uint32_t vm)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .tdi_id = tdi,
				     .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };

	return xioctl(TSMBPF_TDI_BIND, &b);
}

static int tdi_unbind(uint32_t tdi)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };

	return xioctl(TSMBPF_TDI_UNBIND, &u);
}

static int tdi_info(uint32_t tdi, struct tsmbpf_tdi_info *i)
{
	memset(i, 0, sizeof(*i));
	i->argsz = sizeof(*i);
	i->tdi_id = tdi;
	return xioctl(TSMBPF_TDI_INFO, i);
}

static struct tsmbpf_stats stats(void)
{
	struct tsmbpf_stats st = { .argsz = sizeof(st) };

	if (xioctl(TSMBPF_STATS, &st))
		fail("TSMBPF_STATS: %s", strerror(errno));
	return st;
}

/* Every round must leave the core as it found it: no TDI, one VM at most. */
static void expect_empty(uint64_t vms)
{
	struct tsmbpf_stats st = stats();

	if (st.nr_tdis || st.nr_vms != vms)
		fail("round %lu left %llu TDIs and %llu VMs (want 0 and %llu)",
		     sh->rounds, (unsigned long long)st.nr_tdis,
		     (unsigned long long)st.nr_vms, (unsigned long long)vms);
}

/* ------------------------------------------------------ sysfs-destroy -- */

/*
 * Worker 0 creates, binds, unbinds and destroys the TDI that takes the
 * lowest id; the others, as nobody, read its tdis/<id>/vm without pause.
 */
static void sysfs_destroy_run(int w)
{
	char path[64], buf[32];
	uint32_t id, vm;
	int f = -1;

	if (w) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			fail("setresuid: %s", strerror(errno));
			return;
		}
		while (!sh->stop) {
			if (f < 0) {
				f = open("/sys/kernel/tsmbpf/tdis/1/vm",
					 O_RDONLY);
				if (f < 0) {
					sh->progress[w]++;
					continue;
				}
			}
			if (pread(f, buf, sizeof(buf), 0) < 0) {
				close(f);
				f = -1;
			}
			sh->progress[w]++;
		}
		return;
	}
	if (vm_create(&vm)) {
		fail("VM_CREATE: %s", strerror(errno));
		return;
	}
	while (!sh->stop) {
		if (now_ns() > deadline || sh->failed) {
			sh->stop = 1;
			break;
		}
		if (tdi_create(BDF_A, &id)) {
			fail("create: %s", strerror(errno));
			break;
		}
		snprintf(path, sizeof(path), "/sys/kernel/tsmbpf/tdis/%u", id);
		if (tdi_bind(id, vm) || tdi_unbind(id))
			fail("bind/unbind of tdi %u: %s", id, strerror(errno));
		if (tdi_destroy(id))
			fail("destroy of tdi %u: %s", id, strerror(errno));
		if (access(path, F_OK) == 0)
			fail("%s still there after destroy", path);
		sh->rounds++;
		sh->progress[0]++;
	}
	if (vm_destroy(vm))
		fail("VM_DESTROY: %s", strerror(errno));
}

/* ------------------------------------------------------ destroy-twice -- */

static void destroy_twice_setup(void)
{
	if (tdi_create(BDF_A, &sh->tdi))
		fail("create: %s", strerror(errno));
}

static void destroy_twice_op(int w)
{
	jitter();
	if (w < 2)
		sh->res[w] = tdi_destroy(sh->tdi);
	else
		sh->res[w] = tdi_create(BDF_B, &sh->id[w]);
}

static void destroy_twice_check(void)
{
	struct tsmbpf_tdi_info i;
	int destroyed = !sh->res[0] + !sh->res[1];
	uint32_t b = sh->id[2];

	if (!destroyed)
		fail("neither destroy of tdi %u succeeded: %d %d", sh->tdi,
		     sh->res[0], sh->res[1]);
	if (sh->res[2] == -EEXIST)
		fail("create reusing id %u failed with EEXIST", sh->tdi);
	else if (sh->res[2])
		fail("create: %s", strerror(-sh->res[2]));
	if (!sh->res[2]) {
		/* B can only be gone if one of the destroys said it did it */
		int gone = tdi_info(b, &i) == -ENOENT || i.bdf != BDF_B;

		if (gone && destroyed < 2)
			fail("tdi %u (created by the third worker) vanished: one destroy succeeded, the other returned %d",
			     b, sh->res[0] ? sh->res[0] : sh->res[1]);
		if (!gone && destroyed == 2)
			fail("both destroys of tdi %u succeeded", sh->tdi);
		if (!gone && tdi_destroy(b))
			fail("destroy of tdi %u: %s", b, strerror(errno));
	}
	expect_empty(0);
}

/* ------------------------------------------------------- bind-destroy -- */

static void bind_destroy_setup(void)
{
	if (vm_create(&sh->vm) || tdi_create(BDF_A, &sh->tdi))
		fail("create: %s", strerror(errno));
}

static void bind_destroy_op(int w)
{
	jitter();
	if (w == 0)
		sh->res[0] = tdi_bind(sh->tdi, sh->vm);
	else
		sh->res[1] = tdi_destroy(sh->tdi);
}

static void bind_destroy_check(void)
{
	struct tsmbpf_vm_info vi = { .argsz = sizeof(vi), .vm_id = sh->vm };

	if (!sh->res[0] && !sh->res[1])
		fail("tdi %u: bind and destroy both succeeded", sh->tdi);
	if (!sh->res[0] && sh->res[1]) {
		if (tdi_unbind(sh->tdi) || tdi_destroy(sh->tdi))
			fail("unbind/destroy of tdi %u: %s", sh->tdi,
			     strerror(errno));
	}
	if (sh->res[1] && sh->res[1] != -EBUSY)
		fail("destroy: %s", strerror(-sh->res[1]));
	if (sh->res[0] && sh->res[0] != -ENOENT)
		fail("bind: %s", strerror(-sh->res[0]));
	if (xioctl(TSMBPF_VM_INFO, &vi) || vi.nr_bound)
		fail("vm %u: %u TDIs still bound after the round", sh->vm,
		     vi.nr_bound);
	if (vm_destroy(sh->vm))
		fail("vm %u cannot be destroyed: %s", sh->vm, strerror(errno));
	expect_empty(0);
}

/* ------------------------------------------------------ create-efault -- */

/* A create argument in a read-only page: copied in, not out. */
static struct tsmbpf_tdi_create *ro_arg;

static void create_efault_setup(void)
{
}

static void create_efault_op(int w)
{
	uint32_t id;
	int ret;

	if (w == 0) {
		jitter();
		sh->res[0] = xioctl(TSMBPF_TDI_CREATE, ro_arg);
		return;
	}
	/* destroy the id the other create gets, then create on it */
	jitter();
	do {
		ret = tdi_destroy(1);
	} while (ret == -ENOENT && now_ns() < deadline + 1000000000ULL &&
		 rand_r(&wseed) % 64);
	sh->res[1] = tdi_create(BDF_B, &id);
	sh->id[1] = id;
}

static void create_efault_check(void)
{
	struct tsmbpf_tdi_info i;
	uint32_t b = sh->id[1];

	if (sh->res[0] != -EFAULT)
		fail("create into a read-only argument returned %d, not -EFAULT",
		     sh->res[0]);
	if (sh->res[1]) {
		fail("create: %s", strerror(-sh->res[1]));
		return;
	}
	if (tdi_info(b, &i) || i.bdf != BDF_B)
		fail("tdi %u (bdf e1:00.0) vanished: the failed create's undo destroyed it",
		     b);
	else if (tdi_destroy(b))
		fail("destroy of tdi %u: %s", b, strerror(errno));
	expect_empty(0);
}

/* ---------------------------------------------------- vm-destroy-bind -- */

static int vm_destroy_bind_begin(void)
{
	return tdi_create(BDF_A, &sh->tdi);
}

static int vm_destroy_bind_end(void)
{
	return tdi_destroy(sh->tdi);
}

static void vm_destroy_bind_setup(void)
{
	if (vm_create(&sh->vm))
		fail("VM_CREATE: %s", strerror(errno));
}

static void vm_destroy_bind_op(int w)
{
	jitter();
	if (w == 0)
		sh->res[0] = tdi_bind(sh->tdi, sh->vm);
	else
		sh->res[1] = vm_destroy(sh->vm);
}

static void vm_destroy_bind_check(void)
{
	struct tsmbpf_tdi_info i;

	if (!sh->res[0] && !sh->res[1]) {
		tdi_info(sh->tdi, &i);
		fail("vm %u destroyed while tdi %u bound to it (TDI says vm %u)",
		     sh->vm, sh->tdi, i.vm_id);
	}
	if (!sh->res[0] && tdi_unbind(sh->tdi))
		fail("unbind of tdi %u: %s", sh->tdi, strerror(errno));
	if (sh->res[1] && vm_destroy(sh->vm))
		fail("vm %u cannot be destroyed after unbind: %s", sh->vm,
		     strerror(errno));
	if (tdi_info(sh->tdi, &i) || i.vm_id)
		fail("tdi %u still bound to vm %u", sh->tdi, i.vm_id);
	if (stats().nr_vms)
		fail("round %lu left a VM", sh->rounds);
}

/* ------------------------------------------------------------ dup-bdf -- */

/*
 * A population of a random size first, so that the creates' ids fall on
 * every offset of the xarray's 64-slot nodes, where the id allocation may
 * have to allocate a node (and drop the lock for it).
 */
static void dup_bdf_setup(void)
{
	uint32_t n;

	sh->nr_pop = rand_r(&wseed) % 130;
	for (n = 0; n < sh->nr_pop; n++)
		if (tdi_create(BDF_POP + n, &sh->pop[n]))
			fail("create %u: %s", n, strerror(errno));
}

static void dup_bdf_op(int w)
{
	sh->res[w] = tdi_create(BDF_A, &sh->id[w]);
}

static void dup_bdf_check(void)
{
	int w, ok = 0;
	uint32_t n;

	for (w = 0; w < 3; w++) {
		if (!sh->res[w]) {
			ok++;
			if (tdi_destroy(sh->id[w]))
				fail("destroy: %s", strerror(errno));
		} else if (sh->res[w] != -EEXIST) {
			fail("create: %s", strerror(-sh->res[w]));
		}
	}
	if (ok != 1)
		fail("%d creates of one BDF succeeded", ok);
	for (n = 0; n < sh->nr_pop; n++)
		if (tdi_destroy(sh->pop[n]))
			fail("destroy: %s", strerror(errno));
	expect_empty(0);
}

static const struct scenario scenarios[] = {
	{ "sysfs-destroy", 3, .run = sysfs_destroy_run },
	{ "destroy-twice", 3, NULL, destroy_twice_setup, destroy_twice_op,
	  destroy_twice_check },
	{ "bind-destroy", 2, NULL, bind_destroy_setup, bind_destroy_op,
	  bind_destroy_check },
	{ "create-efault", 2, NULL, create_efault_setup, create_efault_op,
	  create_efault_check },
	{ "vm-destroy-bind", 2, NULL, vm_destroy_bind_setup,
	  vm_destroy_bind_op, vm_destroy_bind_check, vm_destroy_bind_begin,
	  vm_destroy_bind_end },
	{ "dup-bdf", 3, NULL, dup_bdf_setup, dup_bdf_op, dup_bdf_check },
};

/* Rounds: worker 0 sets up, all act at once, worker 0 checks. */
static void rounds(const struct scenario *sc, int w)
{
	for (;;) {
		if (w == 0) {
			if (sh->failed || now_ns() > deadline)
				sh->stop = 1;
			else
				sc->setup();
			memset(sh->res, 0, sizeof(sh->res));
			memset(sh->id, 0, sizeof(sh->id));
		}
		barrier(sc->nr_workers);
		if (sh->stop)
			break;
		sc->op(w);
		barrier(sc->nr_workers);
		if (w == 0) {
			sc->check();
			sh->rounds++;
		}
		sh->progress[w]++;
	}
}

static void worker(const struct scenario *sc, int w)
{
	int null = open("/dev/null", O_WRONLY);

	/* a worker stuck in the kernel must not hold the caller's pipe */
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	wseed = seed * 2654435761u + w;
	if (sc->run)
		sc->run(w);
	else
		rounds(sc, w);
	_exit(0);
}

/* Print what each stuck worker waits on (root reads /proc/PID/stack). */
static void dump_stuck(const pid_t *pids, int n)
{
	char path[64], line[256];
	FILE *f;
	int i;

	for (i = 0; i < n; i++) {
		printf("#   worker %d (pid %d):\n", i, pids[i]);
		snprintf(path, sizeof(path), "/proc/%d/stack", pids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			printf("#     %s", line);
		fclose(f);
	}
}

static int run_scenario(const struct scenario *sc)
{
	char splat[256];
	int kmsg = kmsg_open();
	pid_t pids[NR_WORKERS_MAX];
	unsigned long last = 0, sum;
	uint64_t last_change = now_ns();
	int i, live;

	memset(sh, 0, sizeof(*sh));
	deadline = now_ns() + (uint64_t)secs * 1000000000ULL;
	if (sc->begin && sc->begin()) {
		printf("not ok - %s: set-up: %s\n", sc->name, strerror(errno));
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < sc->nr_workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			exit(2);
		}
		if (!pids[i])
			worker(sc, i);
	}
	for (live = sc->nr_workers; live;) {
		usleep(100000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			live--;
		for (sum = 0, i = 0; i < sc->nr_workers; i++)
			sum += sh->progress[i];
		if (sum != last) {
			last = sum;
			last_change = now_ns();
		} else if (live &&
			   now_ns() - last_change > watchdog * 1000000000ULL) {
			printf("not ok - %s: no progress for %d s after %lu rounds: deadlock (seed %u)\n",
			       sc->name, watchdog, sh->rounds, seed);
			dump_stuck(pids, sc->nr_workers);
			sh->stop = 1;
			return 2;
		}
	}
	if (sc->end && sc->end())
		fail("clean-up: %s", strerror(errno));
	if (kmsg_splat(kmsg, splat, sizeof(splat)))
		fail("the kernel logged: %s", splat);
	if (kmsg >= 0)
		close(kmsg);
	if (sh->failed) {
		printf("not ok - %s: %s (round %lu, seed %u)\n", sc->name,
		       sh->msg, sh->rounds, seed);
		return 1;
	}
	printf("ok - %s: %lu rounds\n", sc->name, sh->rounds);
	return 0;
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: tsmbpf_race [-s SEED] [-t SECS] [-w SECS] SCENARIO...|all\nscenarios:");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t i, n = sizeof(scenarios) / sizeof(scenarios[0]);
	int opt, failed = 0, found, ret;

	seed = (unsigned int)now_ns() ^ getpid();
	while ((opt = getopt(argc, argv, "s:t:w:h")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'w':
			watchdog = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || secs <= 0 || watchdog <= 0)
		usage();
	fd = open("/dev/tsmbpf", O_RDWR);
	if (fd < 0) {
		perror("/dev/tsmbpf");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ro_arg = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || ro_arg == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	tdi_create_arg(ro_arg, BDF_A);
	if (mprotect(ro_arg, 4096, PROT_READ)) {
		perror("mprotect");
		return 2;
	}
	printf("seed %u\n", seed);
	for (; optind < argc; optind++) {
		found = 0;
		for (i = 0; i < n; i++) {
			if (strcmp(argv[optind], "all") &&
			    strcmp(argv[optind], scenarios[i].name))
				continue;
			found = 1;
			ret = run_scenario(&scenarios[i]);
			failed |= ret;
			/* workers stuck in the kernel: nothing else can run */
			if (ret == 2)
				goto out;
		}
		if (!found) {
			fprintf(stderr, "unknown scenario '%s'\n", argv[optind]);
			usage();
		}
	}
out:
	return !!failed;
}
