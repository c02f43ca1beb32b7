// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_bench_fault: private-MMIO fault-in rate through the uAPI.
 *
 *   tsmbpf_bench_fault [-p PLATFORM] [-s BAR_MB] [-r ROUNDS] [-b BUS]
 *
 * Creates a VM and a TDI with one BAR (default 1 GiB), binds it with
 * TSMBPF_BIND_LAZY_MMIO and accepts it, then per round measures two
 * figures, each on a freshly bound TDI:
 *
 *   2m  one TSMBPF_TDI_FAULT per 2 MiB block of the BAR, each mapping a
 *       2 MiB leaf;
 *   4k  first TSMBPF_TDI_MAP (TSMBPF_MAP_4K) of the last 4 KiB page of
 *       every 2 MiB block, so no block can take a 2 MiB leaf, then one
 *       TSMBPF_TDI_FAULT for every other 4 KiB page of the BAR, each
 *       mapping a 4 KiB leaf into an existing table page.
 *
 * Faults are timed in batches (16 faults of 2 MiB, or the 511 faults of
 * one 2 MiB block), so that a host that preempts QEMU now and then spoils a
 * few batches, not the figure: ns_per_fault_* is the median batch of all
 * rounds divided by its size, faults_per_s_* follows from it, and
 * mean_ns_per_fault_* is the plain mean over every fault.  Every fault is
 * checked (bytes mapped, and the TDI's page count at the end).  Unbinds and
 * destroys what it created.  Exit status 0, 1 on a failed ioctl or a wrong
 * count, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#define SZ_4K	4096ULL
#define SZ_2M	(2ULL << 20)
#define MAX_ROUNDS 100
#define BATCH_2M 16	/* 2 MiB faults per timed batch */

/* Timed batches of one kind of fault, over every round */
struct batches {
	uint64_t *ns;	/* per batch */
	size_t n, cap;
	uint64_t total_ns, faults;
};

static int fd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int plat_parse(const char *s)
{
	if (!strcmp(s, "tdx"))
		return TSMBPF_PLAT_TDX;
	if (!strcmp(s, "sev-tio"))
		return TSMBPF_PLAT_SEV_TIO;
	if (!strcmp(s, "cca"))
		return TSMBPF_PLAT_CCA;
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bind lazily and accept; the BAR's GPA base in *gpa. */
static int bind_accept(uint32_t tdi, uint32_t vm, uint64_t *gpa)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b),
				     .flags = TSMBPF_BIND_LAZY_MMIO,
				     .tdi_id = tdi, .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = tdi };
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = tdi };

	if (ioctl(fd, TSMBPF_TDI_BIND, &b)) {
		fprintf(stderr, "bind: %s fw %#x\n", strerror(errno),
			b.fw_error);
		return -1;
	}
	a.nonce = b.nonce;
	if (ioctl(fd, TSMBPF_TDI_ACCEPT, &a)) {
		fprintf(stderr, "accept: %s fw %#x\n", strerror(errno),
			a.fw_error);
		return -1;
	}
	if (ioctl(fd, TSMBPF_TDI_INFO, &i)) {
		perror("TDI_INFO");
		return -1;
	}
	if (i.state != TSMBPF_TDISP_RUN || i.mmio_pages) {
		fprintf(stderr, "not RUN with no MMIO after lazy bind: state %u mmio %llu\n",
			i.state, (unsigned long long)i.mmio_pages);
		return -1;
	}
	*gpa = i.bar_gpa[0];
	return 0;
}

static int unbind(uint32_t tdi)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };

	if (ioctl(fd, TSMBPF_TDI_UNBIND, &u)) {
		fprintf(stderr, "unbind: %s fw %#x\n", strerror(errno),
			u.fw_error);
		return -1;
	}
	return 0;
}

static int check_pages(uint32_t tdi, uint64_t want)
{
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = tdi };

	if (ioctl(fd, TSMBPF_TDI_INFO, &i)) {
		perror("TDI_INFO");
		return -1;
	}
	if (i.mmio_pages != want) {
		fprintf(stderr, "%llu MMIO pages mapped, expected %llu\n",
			(unsigned long long)i.mmio_pages,
			(unsigned long long)want);
		return -1;
	}
	return 0;
}

static int fault(uint32_t tdi, uint64_t gpa, uint64_t want)
{
	struct tsmbpf_tdi_fault f = { .argsz = sizeof(f), .tdi_id = tdi,
				      .gpa = gpa };

	if (ioctl(fd, TSMBPF_TDI_FAULT, &f)) {
		fprintf(stderr, "fault at %#llx: %s\n",
			(unsigned long long)gpa, strerror(errno));
		return -1;
	}
	if (f.mapped != want) {
		fprintf(stderr, "fault at %#llx mapped %llu bytes, expected %llu\n",
			(unsigned long long)gpa, (unsigned long long)f.mapped,
			(unsigned long long)want);
		return -1;
	}
	return 0;
}

static void batch_add(struct batches *b, uint64_t ns, uint64_t faults)
{
	if (b->n < b->cap)
		b->ns[b->n++] = ns;
	b->total_ns += ns;
	b->faults += faults;
}

/* One 2 MiB fault per block, timed BATCH_2M at a time. */
static int round_2m(uint32_t tdi, uint32_t vm, uint64_t bar,
		    struct batches *b)
{
	uint64_t gpa, off, t0 = 0, n = 0;

	if (bind_accept(tdi, vm, &gpa))
		return -1;
	for (off = 0; off < bar; off += SZ_2M) {
		if (!n)
			t0 = now_ns();
		if (fault(tdi, gpa + off, SZ_2M))
			return -1;
		if (++n == BATCH_2M || off + SZ_2M == bar) {
			batch_add(b, now_ns() - t0, n);
			n = 0;
		}
	}
	if (check_pages(tdi, bar / SZ_4K))
		return -1;
	return unbind(tdi);
}

/*
 * One 4 KiB fault per page, the blocks pinned to 4 KiB leaves first; timed
 * one 2 MiB block (511 faults) at a time.
 */
static int round_4k(uint32_t tdi, uint32_t vm, uint64_t bar,
		    struct batches *b)
{
	uint64_t gpa, off, blk, t0;

	if (bind_accept(tdi, vm, &gpa))
		return -1;
	for (blk = 0; blk < bar; blk += SZ_2M) {
		struct tsmbpf_tdi_map m = { .argsz = sizeof(m),
					    .flags = TSMBPF_MAP_4K,
					    .tdi_id = tdi, .bar = 0,
					    .offset = blk + SZ_2M - SZ_4K,
					    .size = SZ_4K };

		if (ioctl(fd, TSMBPF_TDI_MAP, &m)) {
			fprintf(stderr, "map 4 KiB at +%#llx: %s\n",
				(unsigned long long)m.offset, strerror(errno));
			return -1;
		}
	}
	for (blk = 0; blk < bar; blk += SZ_2M) {
		t0 = now_ns();
		/* the last page of the block is mapped above */
		for (off = blk; off < blk + SZ_2M - SZ_4K; off += SZ_4K)
			if (fault(tdi, gpa + off, SZ_4K))
				return -1;
		batch_add(b, now_ns() - t0, SZ_2M / SZ_4K - 1);
	}
	if (check_pages(tdi, bar / SZ_4K))
		return -1;
	return unbind(tdi);
}

int main(int argc, char **argv)
{
	int plat = TSMBPF_PLAT_TDX, rounds = 3, bus = 0xfe, opt, r, ret = 1;
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	struct tsmbpf_tdi_create c = { .argsz = sizeof(c), .nr_bars = 1 };
	struct batches b2m = {}, b4k = {};
	uint64_t bar_mb = 1024, bar, m2m, m4k;
	int have_tdi = 0, have_vm = 0;

	while ((opt = getopt(argc, argv, "p:s:r:b:h")) != -1) {
		switch (opt) {
		case 'p':
			plat = plat_parse(optarg);
			if (plat < 0) {
				fprintf(stderr, "unknown platform %s\n", optarg);
				return 2;
			}
			break;
		case 's':
			bar_mb = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'b':
			bus = strtol(optarg, NULL, 0);
			break;
		default:
			printf("usage: %s [-p tdx|sev-tio|cca] [-s BAR_MB] [-r ROUNDS] [-b BUS]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	/* a power of two of at least 2 MiB; the kernel caps it at 64 GiB */
	if (bar_mb < 2 || (bar_mb & (bar_mb - 1)) || rounds < 1 ||
	    rounds > MAX_ROUNDS || bus < 0 || bus > 0xff) {
		fprintf(stderr, "bad -s, -r or -b\n");
		return 2;
	}
	bar = bar_mb << 20;
	b2m.cap = rounds * ((bar / SZ_2M + BATCH_2M - 1) / BATCH_2M);
	b4k.cap = rounds * (bar / SZ_2M);
	b2m.ns = calloc(b2m.cap, sizeof(*b2m.ns));
	b4k.ns = calloc(b4k.cap, sizeof(*b4k.ns));
	if (!b2m.ns || !b4k.ns) {
		perror("calloc");
		return 1;
	}

	fd = open("/dev/tsmbpf", O_RDWR);
	if (fd < 0) {
		perror("/dev/tsmbpf");
		return 2;
	}
	if (ioctl(fd, TSMBPF_VM_CREATE, &vc)) {
		perror("VM_CREATE");
		goto out;
	}
	have_vm = 1;
	c.platform = plat;
	c.bdf = TSMBPF_BDF(0, bus, 0, 0);
	c.bar_size[0] = bar;
	if (ioctl(fd, TSMBPF_TDI_CREATE, &c)) {
		perror("TDI_CREATE");
		goto out;
	}
	have_tdi = 1;

	/* alternate the two kinds so that drift hits both alike */
	for (r = 0; r < rounds; r++) {
		if (round_2m(c.tdi_id, vc.vm_id, bar, &b2m) ||
		    round_4k(c.tdi_id, vc.vm_id, bar, &b4k))
			goto out;
	}
	/* batches of 2 MiB faults are BATCH_2M long but for a short BAR */
	m2m = median(b2m.ns, b2m.n) / (bar / SZ_2M < BATCH_2M ?
				       bar / SZ_2M : BATCH_2M);
	m4k = median(b4k.ns, b4k.n) / (SZ_2M / SZ_4K - 1);
	printf("{\"bar_size\":%llu,\"rounds\":%d,"
	       "\"faults_2m\":%llu,\"ns_per_fault_2m\":%llu,\"faults_per_s_2m\":%llu,\"mean_ns_per_fault_2m\":%llu,"
	       "\"faults_4k\":%llu,\"ns_per_fault_4k\":%llu,\"faults_per_s_4k\":%llu,\"mean_ns_per_fault_4k\":%llu}\n",
	       (unsigned long long)bar, rounds,
	       (unsigned long long)b2m.faults, (unsigned long long)m2m,
	       (unsigned long long)(1000000000ULL / (m2m ? m2m : 1)),
	       (unsigned long long)(b2m.total_ns / b2m.faults),
	       (unsigned long long)b4k.faults, (unsigned long long)m4k,
	       (unsigned long long)(1000000000ULL / (m4k ? m4k : 1)),
	       (unsigned long long)(b4k.total_ns / b4k.faults));
	ret = 0;

out:
	if (ret && have_tdi) {
		struct tsmbpf_tdi_info i = { .argsz = sizeof(i),
					     .tdi_id = c.tdi_id };

		if (!ioctl(fd, TSMBPF_TDI_INFO, &i) && i.vm_id)
			unbind(c.tdi_id);
	}
	if (have_tdi) {
		struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d),
						.tdi_id = c.tdi_id };

		if (ioctl(fd, TSMBPF_TDI_DESTROY, &d)) {
			perror("TDI_DESTROY");
			ret = 1;
		}
	}
	if (have_vm) {
		struct tsmbpf_vm_destroy vd = { .argsz = sizeof(vd),
						.vm_id = vc.vm_id };

		if (ioctl(fd, TSMBPF_VM_DESTROY, &vd)) {
			perror("VM_DESTROY");
			ret = 1;
		}
	}
	close(fd);
	free(b2m.ns);
	free(b4k.ns);
	return ret;
}
