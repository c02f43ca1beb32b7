// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_bench_fault: private-MMIO fault-in rate through the uAPI.
 *
 *   tsmbpf_bench_fault [-p PLATFORM] [-s BAR_MB] [-r ROUNDS] [-b BUS]
 *
 * Creates a VM and two TDIs with one BAR each (default 1 GiB), binds both
 * with TSMBPF_BIND_LAZY_MMIO and accepts them (TSMBPF_TDI_ACCEPT with the
 * bind's nonce), and measures two kinds of TSMBPF_TDI_FAULT:
 *
 *   4k  on TDI B, first TSMBPF_TDI_MAP (TSMBPF_MAP_4K) of the last 4 KiB
 *       page of every 2 MiB block, so that no block can take a 2 MiB leaf;
 *       then one fault for every other 4 KiB page of the BAR, each mapping
 *       a 4 KiB leaf into an existing table page;
 *   2m  on TDI A, one fault per 2 MiB block, each mapping a 2 MiB leaf;
 *       when the whole BAR is mapped, A is unbound, bound and accepted
 *       again (not timed).
 *
 * A round maps B's BAR once.  The two kinds are interleaved in time so that
 * a host that preempts QEMU now and then hits both alike: after the 511
 * faults of each 2 MiB block of B comes a batch of 16 faults on A.  Every
 * batch is timed: ns_per_fault_* is the median batch of all rounds divided
 * by its size, faults_per_s_* follows from it, mean_ns_per_fault_* is the
 * plain mean over every fault.  Every fault is checked (bytes mapped, and
 * each TDI's page count when its BAR is full).  Unbinds and destroys what
 * it created.  Exit status 0, 1 on a failed ioctl or a wrong count, 2 on
 * usage.
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

#include "tsmbpf_test.h"

#define SZ_4K		4096ULL
#define SZ_2M		(2ULL << 20)
#define MAX_ROUNDS	100
#define BATCH_2M	16	/* 2 MiB faults per timed batch */

static int fd = -1;

/* Timed batches of one kind of fault, over every round */
struct batches {
	uint64_t *ns;	/* per batch */
	size_t n, cap;
	uint64_t per_batch;	/* faults in a batch */
	uint64_t total_ns, faults;
};

/* A TDI and where its BAR is while bound */
struct dev {
	uint32_t id;
	uint64_t gpa;
	int bound;
};

static void batch_add(struct batches *b, uint64_t ns, uint64_t faults)
{
	if (b->n < b->cap)
		b->ns[b->n++] = ns;
	b->total_ns += ns;
	b->faults += faults;
}

/* Bind lazily and accept; the BAR's GPA base in d->gpa. */
static int bind_accept(struct dev *d, uint32_t vm)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b),
				     .flags = TSMBPF_BIND_LAZY_MMIO,
				     .tdi_id = d->id, .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = d->id };
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = d->id };

	if (ioctl(fd, TSMBPF_TDI_BIND, &b)) {
		fprintf(stderr, "tdi %u: bind: %s fw %#x\n", d->id,
			strerror(errno), b.fw_error);
		return -1;
	}
	d->bound = 1;
	a.nonce = b.nonce;
	if (ioctl(fd, TSMBPF_TDI_ACCEPT, &a)) {
		fprintf(stderr, "tdi %u: accept: %s fw %#x\n", d->id,
			strerror(errno), a.fw_error);
		return -1;
	}
	if (ioctl(fd, TSMBPF_TDI_INFO, &i)) {
		perror("TDI_INFO");
		return -1;
	}
	if (i.state != TSMBPF_TDISP_RUN || i.mmio_pages) {
		fprintf(stderr, "tdi %u: not RUN with no MMIO after a lazy bind: state %u mmio %llu\n",
			d->id, i.state, (unsigned long long)i.mmio_pages);
		return -1;
	}
	d->gpa = i.bar_gpa[0];
	return 0;
}

static int unbind(struct dev *d)
{
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = d->id };

	if (ioctl(fd, TSMBPF_TDI_UNBIND, &u)) {
		fprintf(stderr, "tdi %u: unbind: %s fw %#x\n", d->id,
			strerror(errno), u.fw_error);
		return -1;
	}
	d->bound = 0;
	return 0;
}

static int check_pages(const struct dev *d, uint64_t want)
{
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = d->id };

	if (ioctl(fd, TSMBPF_TDI_INFO, &i)) {
		perror("TDI_INFO");
		return -1;
	}
	if (i.mmio_pages != want) {
		fprintf(stderr, "tdi %u: %llu MMIO pages mapped, expected %llu\n",
			d->id, (unsigned long long)i.mmio_pages,
			(unsigned long long)want);
		return -1;
	}
	return 0;
}

static int fault(const struct dev *d, uint64_t off, uint64_t want)
{
	struct tsmbpf_tdi_fault f = { .argsz = sizeof(f), .tdi_id = d->id,
				      .gpa = d->gpa + off };

	if (ioctl(fd, TSMBPF_TDI_FAULT, &f)) {
		fprintf(stderr, "tdi %u: fault at +%#llx: %s\n", d->id,
			(unsigned long long)off, strerror(errno));
		return -1;
	}
	if (f.mapped != want) {
		fprintf(stderr, "tdi %u: fault at +%#llx mapped %llu bytes, expected %llu\n",
			d->id, (unsigned long long)off,
			(unsigned long long)f.mapped, (unsigned long long)want);
		return -1;
	}
	return 0;
}

/* Pin every 2 MiB block of @d's BAR to 4 KiB leaves: map its last page. */
static int pin_4k(const struct dev *d, uint64_t bar)
{
	uint64_t blk;

	for (blk = 0; blk < bar; blk += SZ_2M) {
		struct tsmbpf_tdi_map m = { .argsz = sizeof(m),
					    .flags = TSMBPF_MAP_4K,
					    .tdi_id = d->id, .bar = 0,
					    .offset = blk + SZ_2M - SZ_4K,
					    .size = SZ_4K };

		if (ioctl(fd, TSMBPF_TDI_MAP, &m)) {
			fprintf(stderr, "tdi %u: map 4 KiB at +%#llx: %s\n",
				d->id, (unsigned long long)m.offset,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * One round: B's BAR faulted in 4 KiB pages, a batch of 2 MiB faults on A
 * after each block; A is rebound whenever its BAR is full.
 */
static int one_round(struct dev *a, struct dev *b, uint32_t vm, uint64_t bar,
		     uint64_t *a_off, struct batches *b2m, struct batches *b4k)
{
	uint64_t blk, off, t0, t1;
	unsigned int k;

	if (bind_accept(b, vm) || pin_4k(b, bar))
		return -1;
	for (blk = 0; blk < bar; blk += SZ_2M) {
		t0 = now_ns();
		/* the last page of the block is mapped already */
		for (off = blk; off < blk + SZ_2M - SZ_4K; off += SZ_4K)
			if (fault(b, off, SZ_4K))
				return -1;
		batch_add(b4k, now_ns() - t0, b4k->per_batch);

		if (*a_off == bar) {	/* A is full: start it again */
			if (check_pages(a, bar / SZ_4K) || unbind(a))
				return -1;
			*a_off = 0;
		}
		if (!a->bound && bind_accept(a, vm))
			return -1;
		t0 = now_ns();
		for (k = 0; k < b2m->per_batch; k++, *a_off += SZ_2M)
			if (fault(a, *a_off, SZ_2M))
				return -1;
		t1 = now_ns();
		batch_add(b2m, t1 - t0, b2m->per_batch);
	}
	if (check_pages(b, bar / SZ_4K))
		return -1;
	return unbind(b);
}

int main(int argc, char **argv)
{
	int plat = TSMBPF_PLAT_TDX, rounds = 3, bus = 0xfe, opt, r, i, ret = 1;
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	struct batches b2m = {}, b4k = {};
	struct dev dev[2] = {};	/* A: 2 MiB faults, B: 4 KiB faults */
	uint64_t bar_mb = 1024, bar, a_off = 0, m2m, m4k;
	int have_vm = 0, made = 0;

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
	/*
	 * A power of two holding at least one batch of 2 MiB blocks; the
	 * kernel caps BARs at 64 GiB.
	 */
	if (bar_mb < 2 * BATCH_2M || (bar_mb & (bar_mb - 1)) || rounds < 1 ||
	    rounds > MAX_ROUNDS || bus < 0 || bus > 0xff) {
		fprintf(stderr, "bad -s (a power of two >= %d), -r or -b\n",
			2 * BATCH_2M);
		return 2;
	}
	bar = bar_mb << 20;
	b4k.per_batch = SZ_2M / SZ_4K - 1;
	b2m.per_batch = BATCH_2M;
	b4k.cap = b2m.cap = rounds * (bar / SZ_2M);
	b4k.ns = calloc(b4k.cap, sizeof(*b4k.ns));
	b2m.ns = calloc(b2m.cap, sizeof(*b2m.ns));
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
	for (i = 0; i < 2; i++, made++) {
		struct tsmbpf_tdi_create c = { .argsz = sizeof(c),
					       .platform = plat,
					       .bdf = TSMBPF_BDF(0, bus, 0, i),
					       .nr_bars = 1 };

		c.bar_size[0] = bar;
		if (ioctl(fd, TSMBPF_TDI_CREATE, &c)) {
			perror("TDI_CREATE");
			goto out;
		}
		dev[i].id = c.tdi_id;
	}

	for (r = 0; r < rounds; r++)
		if (one_round(&dev[0], &dev[1], vc.vm_id, bar, &a_off, &b2m,
			      &b4k))
			goto out;
	m2m = median_u64(b2m.ns, b2m.n) / b2m.per_batch;
	m4k = median_u64(b4k.ns, b4k.n) / b4k.per_batch;
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
	for (i = 0; i < made; i++) {
		struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d),
						.tdi_id = dev[i].id };

		if (dev[i].bound && unbind(&dev[i]))
			ret = 1;
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
