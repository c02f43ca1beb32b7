// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_bench_vfio: times host events on one PCI function through the real
 * VFIO uAPI (make bench, section d).
 *
 * Usage: tsmbpf_bench_vfio [-n N] [-w W] [-e reset|mse-clear]
 *                          [-t TDI -V VM] BDF
 *
 * Opens the type1 container, the function's IOMMU group and the device (the
 * minimal sequence of tsmbpf_vmm's set-up: no BAR is mapped), runs W
 * untimed warm-up events (default 2), then N timed ones (default 20), each
 * timed alone with CLOCK_MONOTONIC around the one syscall:
 *
 *   reset      VFIO_DEVICE_RESET
 *   mse-clear  a 2-byte write of PCI_COMMAND without Memory Space Enable
 *              through the VFIO config region (set again, untimed, after
 *              each)
 *
 * With -t TDI -V VM (the function's TDI, a tsmbpf VM), the TDI is bound to
 * VM and accepted through /dev/tsmbpf before each event (untimed), so each
 * event meets a bound TDI and its gate runs the platform's verdict (unbind
 * first, without a policy); after the event the TDI's state is read and
 * counted (unbound: CONFIG_UNLOCKED and no VM), and a TDI still bound is
 * unbound, untimed, before the next bind.
 *
 * Prints one JSON line: bdf, event, bound, events, median_ns, p90_ns,
 * min_ns, max_ns, mean_ns and, with -t, unbound_by_event (how many events
 * left the TDI unbound).  Exit status 1 if a set-up step or an event
 * failed, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "tsmbpf_test.h"

static int container = -1, group = -1, dev = -1, tsm = -1;
static uint64_t cfg_off;

static void die(const char *what)
{
	fprintf(stderr, "tsmbpf_bench_vfio: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tsmbpf_bench_vfio [-n N] [-w W] [-e reset|mse-clear] [-t TDI -V VM] BDF\n");
	exit(2);
}

static void vfio_open(const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	char path[PATH_MAX], link[256], *slash;
	unsigned long type = VFIO_TYPE1v2_IOMMU;
	ssize_t n;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		die("/dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		errno = EPROTO;
		die("VFIO_GET_API_VERSION");
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = '\0';
	slash = strrchr(link, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", slash ? slash + 1 : link);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st))
		die("VFIO_GROUP_GET_STATUS");
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EPERM;
		die("group not viable");
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_CHECK_EXTENSION, type) <= 0)
		type = VFIO_TYPE1_IOMMU;
	if (ioctl(container, VFIO_SET_IOMMU, type))
		die("VFIO_SET_IOMMU");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		die("VFIO_DEVICE_GET_REGION_INFO config");
	cfg_off = cfg.offset;
}

static uint16_t cmd_read(void)
{
	uint16_t v;

	if (pread(dev, &v, 2, cfg_off + PCI_COMMAND) != 2)
		die("config read PCI_COMMAND");
	return v;
}

static int cmd_write(uint16_t v)
{
	return pwrite(dev, &v, 2, cfg_off + PCI_COMMAND) == 2 ? 0 : -1;
}

static void tdi_bind(uint32_t tdi, uint32_t vm)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .tdi_id = tdi,
				     .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = tdi };

	if (ioctl(tsm, TSMBPF_TDI_BIND, &b))
		die("TSMBPF_TDI_BIND");
	a.nonce = b.nonce;
	if (ioctl(tsm, TSMBPF_TDI_ACCEPT, &a))
		die("TSMBPF_TDI_ACCEPT");
}

/* After the event: true if it left the TDI unbound; unbinds it if not. */
static bool tdi_after(uint32_t tdi)
{
	struct tsmbpf_tdi_info i = { .argsz = sizeof(i), .tdi_id = tdi };
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };

	if (ioctl(tsm, TSMBPF_TDI_INFO, &i))
		die("TSMBPF_TDI_INFO");
	if (i.state == TSMBPF_TDISP_CONFIG_UNLOCKED && !i.vm_id)
		return true;
	if (ioctl(tsm, TSMBPF_TDI_UNBIND, &u))
		die("TSMBPF_TDI_UNBIND");
	return false;
}

int main(int argc, char **argv)
{
	long n = 20, warm = 2, i, tdi = 0, vm = 0, unbound = 0;
	const char *ev = "reset";
	bool mse = false;
	uint64_t *t, sum = 0, t0, t1;
	uint16_t cmd = 0;
	int c;

	while ((c = getopt(argc, argv, "n:w:e:t:V:")) != -1) {
		switch (c) {
		case 'n': n = strtol(optarg, NULL, 0); break;
		case 'w': warm = strtol(optarg, NULL, 0); break;
		case 'e': ev = optarg; break;
		case 't': tdi = strtol(optarg, NULL, 0); break;
		case 'V': vm = strtol(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || n < 1 || warm < 0 || !tdi != !vm)
		usage();
	if (!strcmp(ev, "mse-clear"))
		mse = true;
	else if (strcmp(ev, "reset"))
		usage();
	t = calloc(n, sizeof(*t));
	if (!t)
		die("calloc");
	vfio_open(argv[optind]);
	if (tdi) {
		tsm = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
		if (tsm < 0)
			die("/dev/tsmbpf");
	}
	if (mse) {
		cmd = cmd_read() | PCI_COMMAND_MEMORY;
		if (cmd_write(cmd))
			die("config write PCI_COMMAND");
	}

	for (i = -warm; i < n; i++) {
		int ret;

		if (tdi)
			tdi_bind(tdi, vm);
		if (mse) {
			t0 = now_ns();
			ret = cmd_write(cmd & ~PCI_COMMAND_MEMORY);
			t1 = now_ns();
		} else {
			t0 = now_ns();
			ret = ioctl(dev, VFIO_DEVICE_RESET);
			t1 = now_ns();
		}
		if (ret)
			die(ev);
		if (tdi && tdi_after(tdi) && i >= 0)
			unbound++;
		if (mse && cmd_write(cmd))
			die("config write PCI_COMMAND (MSE back on)");
		if (i >= 0)
			t[i] = t1 - t0;
	}

	for (i = 0; i < n; i++)
		sum += t[i];
	median_u64(t, n); /* sorts */
	printf("{\"bdf\":\"%s\",\"event\":\"%s\",\"bound\":%s,\"events\":%ld,"
	       "\"median_ns\":%llu,\"p90_ns\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,"
	       "\"mean_ns\":%llu",
	       argv[optind], ev, tdi ? "true" : "false", n,
	       (unsigned long long)(n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2),
	       (unsigned long long)t[(n * 9 + 9) / 10 - 1],
	       (unsigned long long)t[0], (unsigned long long)t[n - 1],
	       (unsigned long long)(sum / n));
	if (tdi)
		printf(",\"unbound_by_event\":%ld", unbound);
	printf("}\n");
	return 0;
}
