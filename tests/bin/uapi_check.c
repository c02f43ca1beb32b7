// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_check: malformed input on /dev/tsmbpf, run as root in the guest.
 * Every case must fail with the documented errno and change nothing (the
 * core's object counts and counters are compared before and after).  The
 * calls without CAP_SYS_ADMIN run in a child that drops to nobody; the
 * parent, still root, takes the snapshots around it.
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
#include <sys/wait.h>
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

/* Every counter of @a and @b equal; each one that is not is a TAP comment. */
static int same(const struct tsmbpf_stats *a, const struct tsmbpf_stats *b)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define F(x) { #x, offsetof(struct tsmbpf_stats, x) }
		F(nr_vms), F(nr_tdis), F(binds), F(unbinds), F(unbinds_native),
		F(unbinds_policy), F(policy_ejections), F(fw_calls),
		F(fw_refused), F(spt_pages), F(faults), F(spt_kept_pages),
		F(unbinds_fw_fallback),
#undef F
	};
	int eq = 1;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		__u64 x = *(const __u64 *)((const char *)a + fields[i].off);
		__u64 y = *(const __u64 *)((const char *)b + fields[i].off);

		if (x != y) {
			printf("# %s changed: %llu -> %llu\n", fields[i].name,
			       (unsigned long long)x, (unsigned long long)y);
			eq = 0;
		}
	}
	return eq;
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

/*
 * A caller without CAP_SYS_ADMIN, on an fd root opened: refused with EPERM
 * and nothing changes.  The stats snapshot needs root, so a child drops to
 * nobody for the calls and reports each result through a pipe, and the
 * parent takes the snapshots before and after.
 */
static void unprivileged(void)
{
	struct { int ret, err; } res[2] = { { 0, 0 }, { 0, 0 } };
	struct tsmbpf_stats before = snap(), after;
	int pfd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd)) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);	/* the child must not print the parent's buffer */
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
		struct tsmbpf_stats st = { .argsz = sizeof(st) };

		close(pfd[0]);
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			perror("setresuid");
			_exit(3);
		}
		res[0].ret = ioctl(fd, TSMBPF_VM_CREATE, &vc);
		res[0].err = res[0].ret ? errno : 0;
		res[1].ret = ioctl(fd, TSMBPF_STATS, &st);
		res[1].err = res[1].ret ? errno : 0;
		_exit(write(pfd[1], res, sizeof(res)) == sizeof(res) ? 0 : 4);
	}
	close(pfd[1]);
	n = read(pfd[0], res, sizeof(res));
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(2);
	}
	after = snap();

	nr++;
	if (n != sizeof(res) || !WIFEXITED(status) || WEXITSTATUS(status)) {
		nr_failed++;
		printf("not ok %d - child without CAP_SYS_ADMIN ran (read %zd, status 0x%x)\n",
		       nr, n, status);
	} else {
		printf("ok %d - child without CAP_SYS_ADMIN ran\n", nr);
	}
	ok(res[0].ret == -1 && res[0].err == EPERM,
	   "VM_CREATE without CAP_SYS_ADMIN", res[0].err);
	ok(res[1].ret == -1 && res[1].err == EPERM,
	   "STATS without CAP_SYS_ADMIN", res[1].err);
	nr++;
	if (same(&before, &after)) {
		printf("ok %d - calls without CAP_SYS_ADMIN change nothing\n", nr);
	} else {
		nr_failed++;
		printf("not ok %d - calls without CAP_SYS_ADMIN change nothing\n", nr);
	}
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
	vc = (struct tsmbpf_vm_create){ .argsz = sizeof(vc), .flags = ~TSMBPF_VM_CREATE_OWNED };
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

	unprivileged();
	printf("1..%d\n", nr);
	return nr_failed ? 1 : 0;
}
