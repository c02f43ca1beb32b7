/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest test and benchmark programs: a clock, the
 * platform names, medians, and one checked bind -> accept -> unbind cycle
 * through the raw uAPI.
 */
#ifndef TSMBPF_TEST_H
#define TSMBPF_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

/* /dev/kmsg positioned at its end, to read what a run makes logged. */
static inline int kmsg_open(void)
{
	int f = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (f >= 0)
		lseek(f, 0, SEEK_END);
	return f;
}

/*
 * The first splat logged since kmsg_open(), into @buf; 0 if none.  The
 * report kinds of the production kernel and of the debug one (lockdep,
 * KASAN, UBSAN, sleeping in atomic context).
 */
static inline int kmsg_splat(int f, char *buf, size_t len)
{
	static const char *const pat[] = {
		"WARNING:", "BUG:", "refcount_t", "list_add corruption",
		"list_del corruption", "kobject", "UBSAN:",
		"possible circular locking", "inconsistent lock state",
		"possible recursive locking", "suspicious RCU usage",
		"Oops", "general protection fault",
	};
	char rec[1024];
	ssize_t n;
	size_t i;

	if (f < 0)
		return 0;
	while ((n = read(f, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;	/* overwritten records */
		rec[n] = '\0';
		rec[strcspn(rec, "\n")] = '\0';
		/*
		 * What the kobject core says when an allocation fails:
		 * kobject_set_name(), and kobject_add_internal() when sysfs
		 * could not make the directory (-ENOMEM; -EEXIST would be a
		 * bug of ours, and sysfs dumps a stack for it).
		 */
		if (strstr(rec, "can not set name properly") ||
		    (strstr(rec, "kobject_add_internal failed") &&
		     strstr(rec, "(error: -12 ")))
			continue;
		for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
			if (strstr(rec, pat[i])) {
				snprintf(buf, len, "%.200s", strchr(rec, ';') ?
					 strchr(rec, ';') + 1 : rec);
				return 1;
			}
		}
	}
	return 0;
}

/* /sys/kernel/tsmbpf/NAME, a counter; -1 if it cannot be read */
static inline long long read_counter(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/tsmbpf/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *const plat_names[TSMBPF_PLAT_NR] = {
	[TSMBPF_PLAT_TDX] = "tdx",
	[TSMBPF_PLAT_SEV_TIO] = "sev-tio",
	[TSMBPF_PLAT_CCA] = "cca",
};

/* "tdx", "sev-tio", "cca" -> enum tsmbpf_platform, -1 if unknown */
static inline int plat_parse(const char *s)
{
	int i;

	for (i = 0; i < TSMBPF_PLAT_NR; i++)
		if (!strcmp(s, plat_names[i]))
			return i;
	return -1;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; 0 for an empty array. */
static inline uint64_t median_u64(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One bind -> accept -> unbind of @tdi to @vm on /dev/tsmbpf @fd, checking
 * RUN after accept and, after unbind, CONFIG_UNLOCKED and shared with no
 * private MMIO, DMA entry, metadata or VM.  Returns 0, -1 if an operation
 * failed, 1 if the TDI was not torn down.  Explains failures on stderr.
 */
static inline int tsmbpf_test_cycle(int fd, uint32_t tdi, uint32_t vm)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .tdi_id = tdi,
				     .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = tdi };
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = tdi };

	if (ioctl(fd, TSMBPF_TDI_BIND, &b)) {
		fprintf(stderr, "tdi %u: bind: %s fw %#x\n", tdi,
			strerror(errno), b.fw_error);
		return -1;
	}
	a.nonce = b.nonce;
	if (ioctl(fd, TSMBPF_TDI_ACCEPT, &a)) {
		fprintf(stderr, "tdi %u: accept: %s fw %#x\n", tdi,
			strerror(errno), a.fw_error);
		return -1;
	}
	if (ioctl(fd, TSMBPF_TDI_INFO, &i) || i.state != TSMBPF_TDISP_RUN) {
		fprintf(stderr, "tdi %u: not RUN after accept\n", tdi);
		return -1;
	}
	if (ioctl(fd, TSMBPF_TDI_UNBIND, &u)) {
		fprintf(stderr, "tdi %u: unbind: %s fw %#x\n", tdi,
			strerror(errno), u.fw_error);
		return -1;
	}
	if (ioctl(fd, TSMBPF_TDI_INFO, &i))
		return -1;
	if (i.state != TSMBPF_TDISP_CONFIG_UNLOCKED || i.mmio_pages ||
	    (i.res & (TSMBPF_RES_DMA | TSMBPF_RES_METADATA)) ||
	    !(i.res & TSMBPF_RES_SHARED_MMIO) || i.vm_id) {
		fprintf(stderr, "tdi %u: not torn down: state %u res %#x mmio %llu vm %u\n",
			tdi, i.state, i.res, (unsigned long long)i.mmio_pages,
			i.vm_id);
		return 1;
	}
	return 0;
}

#endif /* TSMBPF_TEST_H */
