// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_cycle: bind -> accept -> unbind cycles on many TDIs through the
 * raw uAPI, checking after every unbind that the TDI is CONFIG_UNLOCKED,
 * shared, with no private MMIO, no DMA entry and no metadata.  Used by the
 * guest tests (correctness at volume) and by make bench (cycle time).
 *
 *   tsmbpf_cycle [-p PLATFORM] [-n TDIS] [-i ITERS] [-b BUS] [-k] [-q]
 *
 * -k keeps the VM and TDIs (ids printed) instead of destroying them.
 * SIGINT/SIGTERM end the loop after the current round; -i 0 loops until then.
 * Prints one JSON object: cycles, failures, ns per cycle.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "tsmbpf_test.h"

static int fd;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int plat = TSMBPF_PLAT_TDX, n = 32, iters = 100, bus = 0x80, opt;
	int failures = 0, bad = 0, keep = 0, quiet = 0, rounds = 0, i, k;
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	uint32_t *tdis;
	uint64_t t0, t1;

	while ((opt = getopt(argc, argv, "p:n:i:b:kqh")) != -1) {
		switch (opt) {
		case 'p':
			plat = plat_parse(optarg);
			if (plat < 0) {
				fprintf(stderr, "unknown platform %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'i':
			iters = atoi(optarg);
			break;
		case 'b':
			bus = strtol(optarg, NULL, 0);
			break;
		case 'k':
			keep = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			printf("usage: %s [-p tdx|sev-tio|cca] [-n TDIS] [-i ITERS] [-b BUS] [-k] [-q]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || n > 256 || iters < 0 || bus < 0 || bus > 0xff) {
		fprintf(stderr, "bad -n, -i or -b\n");
		return 2;
	}
	fd = open("/dev/tsmbpf", O_RDWR);
	if (fd < 0) {
		perror("/dev/tsmbpf");
		return 2;
	}
	if (ioctl(fd, TSMBPF_VM_CREATE, &vc)) {
		perror("VM_CREATE");
		return 1;
	}
	tdis = calloc(n, sizeof(*tdis));
	for (i = 0; i < n; i++) {
		struct tsmbpf_tdi_create c = { .argsz = sizeof(c),
					       .platform = plat,
					       .bdf = TSMBPF_BDF(0, bus, i / 8, i % 8),
					       .devset = i / 4, .nr_bars = 2 };

		c.bar_size[0] = 2 << 20;
		c.bar_size[1] = 16 << 10;
		if (ioctl(fd, TSMBPF_TDI_CREATE, &c)) {
			perror("TDI_CREATE");
			return 1;
		}
		tdis[i] = c.tdi_id;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_ns();
	for (k = 0; (!iters || k < iters) && !stop; k++) {
		for (i = 0; i < n; i++) {
			int r = tsmbpf_test_cycle(fd, tdis[i], vc.vm_id);

			failures += r < 0;
			bad += r > 0;
		}
		rounds++;
		if (!quiet && iters >= 10 && (k + 1) % (iters / 10) == 0)
			fprintf(stderr, "  %d/%d rounds\n", k + 1, iters);
	}
	t1 = now_ns();

	if (!keep) {
		for (i = 0; i < n; i++) {
			struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d),
							.tdi_id = tdis[i] };

			if (ioctl(fd, TSMBPF_TDI_DESTROY, &d))
				failures++;
		}
		struct tsmbpf_vm_destroy vd = { .argsz = sizeof(vd),
						.vm_id = vc.vm_id };
		if (ioctl(fd, TSMBPF_VM_DESTROY, &vd))
			failures++;
	}
	printf("{\"cycles\":%d,\"failures\":%d,\"not_torn_down\":%d,\"ns_per_cycle\":%llu,\"vm\":%u}\n",
	       n * rounds, failures, bad,
	       (unsigned long long)(rounds ? (t1 - t0) / ((uint64_t)n * rounds) : 0),
	       vc.vm_id);
	free(tdis);
	return failures || bad ? 1 : 0;
}
