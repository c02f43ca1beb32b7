// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_check: malformed input on /dev/tsmbpf, run as root in the guest.
 * Every case must fail with the documented errno and change nothing (the
 * core's object counts and counters are compared before and after).
 * TAP output.  Needs one existing TDI and VM ids passed on the command line:
 *   uapi_check TDI VM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

static int nr, nr_failed, fd;

static void ok(int cond, const char *what, int err)
{
	nr++;
	if (!cond)
		nr_failed++;
	printf("%sok %d - %s (errno %d %s)\n", cond ? "" : "not ", nr, what,
	       err, strerror(err));
}

static struct tsmbpf_stats snap(void)
{
	struct tsmbpf_stats st = { .argsz = sizeof(st) };

	if (ioctl(fd, TSMBPF_STATS, &st)) {
		perror("TSMBPF_STATS");
		exit(2);
	}
	return st;
}

static int same(const struct tsmbpf_stats *a, const struct tsmbpf_stats *b)
{
	return a->nr_vms == b->nr_vms && a->nr_tdis == b->nr_tdis &&
	       a->binds == b->binds && a->unbinds == b->unbinds &&
	       a->spt_pages == b->spt_pages;
}

/* Expect ioctl(req, arg) to fail with @want and leave the core as it was. */
static void expect(unsigned long req, void *arg, int want, const char *what)
{
	struct tsmbpf_stats before = snap(), after;
	int ret, err;

	ret = ioctl(fd, req, arg);
	err = ret ? errno : 0;
	after = snap();
	ok(ret == -1 && err == want && same(&before, &after), what, err);
}

int main(int argc, char **argv)
{
	struct tsmbpf_tdi_create tc;
	struct tsmbpf_tdi_bind tb;
	struct tsmbpf_vm_create vc;
	struct tsmbpf_tdi_map tm;
	struct tsmbpf_tdi_unbind tu;
	struct tsmbpf_tdi_info ti;
	struct tsmbpf_vm_destroy vd;
	unsigned int tdi, vm;

	if (argc != 3) {
		fprintf(stderr, "usage: %s TDI VM\n", argv[0]);
		return 2;
	}
	tdi = atoi(argv[1]);
	vm = atoi(argv[2]);
	fd = open("/dev/tsmbpf", O_RDWR);
	if (fd < 0) {
		perror("/dev/tsmbpf");
		return 2;
	}

	/* argsz shorter than the struct's mandatory part */
	vc = (struct tsmbpf_vm_create){ .argsz = 4 };
	expect(TSMBPF_VM_CREATE, &vc, EINVAL, "VM_CREATE short argsz");
	memset(&tc, 0, sizeof(tc));
	tc.argsz = offsetof(struct tsmbpf_tdi_create, tdi_id);
	tc.nr_bars = 1;
	tc.bar_size[0] = 4096;
	tc.bdf = 0x100;
	expect(TSMBPF_TDI_CREATE, &tc, EINVAL, "TDI_CREATE short argsz");
	tb = (struct tsmbpf_tdi_bind){ .argsz = 8, .tdi_id = tdi, .vm_id = vm };
	expect(TSMBPF_TDI_BIND, &tb, EINVAL, "TDI_BIND short argsz");
	ti = (struct tsmbpf_tdi_info){ .argsz = 0, .tdi_id = tdi };
	expect(TSMBPF_TDI_INFO, &ti, EINVAL, "TDI_INFO zero argsz");

	/* unknown flags */
	vc = (struct tsmbpf_vm_create){ .argsz = sizeof(vc), .flags = 1 };
	expect(TSMBPF_VM_CREATE, &vc, EINVAL, "VM_CREATE unknown flag");
	tb = (struct tsmbpf_tdi_bind){ .argsz = sizeof(tb), .flags = 0x80,
				      .tdi_id = tdi, .vm_id = vm,
				      .viommu = TSMBPF_VIOMMU_TSM_VTD };
	expect(TSMBPF_TDI_BIND, &tb, EINVAL, "TDI_BIND unknown flag");
	tm = (struct tsmbpf_tdi_map){ .argsz = sizeof(tm), .flags = 2,
				     .tdi_id = tdi, .size = 4096 };
	expect(TSMBPF_TDI_MAP, &tm, EINVAL, "TDI_MAP unknown flag");
	tu = (struct tsmbpf_tdi_unbind){ .argsz = sizeof(tu), .flags = 1U << 31,
					.tdi_id = tdi };
	expect(TSMBPF_TDI_UNBIND, &tu, EINVAL, "TDI_UNBIND unknown flag");

	/* unknown ids */
	tb = (struct tsmbpf_tdi_bind){ .argsz = sizeof(tb), .tdi_id = 999999,
				      .vm_id = vm };
	expect(TSMBPF_TDI_BIND, &tb, ENOENT, "TDI_BIND unknown TDI");
	tb = (struct tsmbpf_tdi_bind){ .argsz = sizeof(tb), .tdi_id = tdi,
				      .vm_id = 999999 };
	expect(TSMBPF_TDI_BIND, &tb, ENOENT, "TDI_BIND unknown VM");
	vd = (struct tsmbpf_vm_destroy){ .argsz = sizeof(vd), .vm_id = 0 };
	expect(TSMBPF_VM_DESTROY, &vd, ENOENT, "VM_DESTROY id 0");
	ti = (struct tsmbpf_tdi_info){ .argsz = sizeof(ti), .tdi_id = 4242 };
	expect(TSMBPF_TDI_INFO, &ti, ENOENT, "TDI_INFO unknown TDI");

	/* out-of-range values */
	memset(&tc, 0, sizeof(tc));
	tc.argsz = sizeof(tc);
	tc.bdf = TSMBPF_BDF(0, 0x77, 0, 0);
	tc.nr_bars = 1;
	tc.bar_size[0] = 128ULL << 30;
	expect(TSMBPF_TDI_CREATE, &tc, ERANGE, "TDI_CREATE 128 GiB BAR");
	tc.bar_size[0] = 2048;
	expect(TSMBPF_TDI_CREATE, &tc, ERANGE, "TDI_CREATE 2 KiB BAR");
	tc.bar_size[0] = 3 << 20;
	expect(TSMBPF_TDI_CREATE, &tc, ERANGE, "TDI_CREATE non power of two BAR");
	tc.bar_size[0] = 4096;
	tc.nr_bars = 7;
	expect(TSMBPF_TDI_CREATE, &tc, EINVAL, "TDI_CREATE 7 BARs");
	tc.nr_bars = 0;
	expect(TSMBPF_TDI_CREATE, &tc, EINVAL, "TDI_CREATE no BAR");
	tc.nr_bars = 1;
	tc.bar_size[1] = 4096;
	expect(TSMBPF_TDI_CREATE, &tc, EINVAL, "TDI_CREATE size past nr_bars");
	tc.bar_size[1] = 0;
	tc.platform = 3;
	expect(TSMBPF_TDI_CREATE, &tc, EINVAL, "TDI_CREATE unknown platform");
	tb = (struct tsmbpf_tdi_bind){ .argsz = sizeof(tb), .tdi_id = tdi,
				      .vm_id = vm, .vbdf = 0x10000 };
	expect(TSMBPF_TDI_BIND, &tb, ERANGE, "TDI_BIND guest BDF beyond 16 bits");
	tb = (struct tsmbpf_tdi_bind){ .argsz = sizeof(tb), .tdi_id = tdi,
				      .vm_id = vm, .viommu = 9 };
	expect(TSMBPF_TDI_BIND, &tb, EINVAL, "TDI_BIND unknown vIOMMU");
	tu = (struct tsmbpf_tdi_unbind){ .argsz = sizeof(tu), .tdi_id = tdi,
					.reason = 77 };
	expect(TSMBPF_TDI_UNBIND, &tu, EINVAL, "TDI_UNBIND unknown reason");

	/* bad pointer, bad command */
	expect(TSMBPF_TDI_INFO, (void *)16, EFAULT, "TDI_INFO bad pointer");
	expect(_IO(TSMBPF_TYPE, 0xff), &ti, ENOTTY, "unknown ioctl");

	/* a caller without CAP_SYS_ADMIN, on an fd root opened */
	{
		struct tsmbpf_stats before = snap(), after;
		int ret, err;

		if (setresuid(65534, 65534, 65534)) {
			perror("setresuid");
			return 2;
		}
		vc = (struct tsmbpf_vm_create){ .argsz = sizeof(vc) };
		ret = ioctl(fd, TSMBPF_VM_CREATE, &vc);
		err = ret ? errno : 0;
		ok(ret == -1 && err == EPERM, "VM_CREATE without CAP_SYS_ADMIN", err);
		ret = ioctl(fd, TSMBPF_STATS, &after);
		err = ret ? errno : 0;
		ok(ret == -1 && err == EPERM, "STATS without CAP_SYS_ADMIN", err);
		(void)before;
	}
	printf("1..%d\n", nr);
	return nr_failed ? 1 : 0;
}
