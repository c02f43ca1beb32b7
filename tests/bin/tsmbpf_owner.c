// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_owner: a VMM's life on fd-owned objects, to be killed at any
 * point.  It opens /dev/tsmbpf, creates a VM and TDIs owned by that open
 * file (TSMBPF_VM_CREATE_OWNED, TSMBPF_TDI_CREATE_OWNED), then loops over
 * the TDIs: bind (every other one lazily), accept, fault-in and map
 * private MMIO, unbind.  A SIGKILL anywhere must leave nothing behind: the
 * file's release unbinds and destroys what it owns.
 *
 *   tsmbpf_owner [-p PLATFORM|mix] [-n TDIS] [-i ROUNDS] [-s SEED] [-c] [-g] [-q]
 *
 * -i 0 (the default) loops until killed; -c exits once the objects exist
 * (bulk teardown by close); -g makes the objects global (not owned), the
 * contrast case; -s seeds the order of the TDIs in a round.
 * Prints "ready vm=ID tdis=FIRST..LAST" once the objects exist, then, at
 * the end of a bounded run, one JSON object with the counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "tsmbpf_test.h"

static int fd;

static int call(unsigned long req, void *arg, const char *what, uint32_t id)
{
	if (!ioctl(fd, req, arg))
		return 0;
	fprintf(stderr, "tsmbpf_owner: %s %u: %s\n", what, id, strerror(errno));
	return -1;
}

/* One bind, accept, fault or map, unbind of @tdi; lazy binds fault in. */
static int round_one(uint32_t tdi, uint32_t vm, bool lazy)
{
	struct tsmbpf_tdi_bind b = { .argsz = sizeof(b), .tdi_id = tdi,
				     .vm_id = vm,
				     .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU };
	struct tsmbpf_tdi_accept a = { .argsz = sizeof(a), .tdi_id = tdi };
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = tdi };
	struct tsmbpf_tdi_info ti = { .argsz = sizeof(ti), .tdi_id = tdi };
	struct tsmbpf_tdi_fault f = { .argsz = sizeof(f), .tdi_id = tdi };

	if (lazy)
		b.flags = TSMBPF_BIND_LAZY_MMIO;
	if (call(TSMBPF_TDI_BIND, &b, "bind", tdi))
		return -1;
	a.nonce = b.nonce;
	if (call(TSMBPF_TDI_ACCEPT, &a, "accept", tdi))
		return -1;
	if (lazy) {
		if (call(TSMBPF_TDI_INFO, &ti, "info", tdi))
			return -1;
		f.gpa = ti.bar_gpa[0];
		if (call(TSMBPF_TDI_FAULT, &f, "fault", tdi))
			return -1;
	}
	return call(TSMBPF_TDI_UNBIND, &u, "unbind", tdi);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsmbpf_owner [-p PLATFORM|mix] [-n TDIS] [-i ROUNDS] [-s SEED] [-c] [-g] [-q]\n");
}

int main(int argc, char **argv)
{
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc),
				       .flags = TSMBPF_VM_CREATE_OWNED };
	int plat = -1, n = 4, rounds = 0, opt, i, r, bad = 0;
	bool owned = true, quiet = false, create_only = false;
	unsigned int seed = 1;
	uint64_t ops = 0;
	uint32_t *tdis;

	while ((opt = getopt(argc, argv, "p:n:i:s:cgqh")) != -1) {
		switch (opt) {
		case 'p':
			if (strcmp(optarg, "mix")) {
				plat = plat_parse(optarg);
				if (plat < 0) {
					fprintf(stderr, "tsmbpf_owner: unknown platform '%s'\n",
						optarg);
					return 2;
				}
			}
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'i':
			rounds = atoi(optarg);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			create_only = true;
			break;
		case 'g':
			owned = false;
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
	if (n < 1 || n > 8191 || rounds < 0) {
		fprintf(stderr, "tsmbpf_owner: -n takes 1..8191 TDIs, -i 0 or more rounds\n");
		return 2;
	}
	srandom(seed);
	fd = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tsmbpf_owner: /dev/tsmbpf");
		return 1;
	}
	tdis = calloc(n, sizeof(*tdis));
	if (!tdis)
		return 1;
	if (!owned)
		vc.flags = 0;
	if (call(TSMBPF_VM_CREATE, &vc, "vm create", 0))
		return 1;
	for (i = 0; i < n; i++) {
		struct tsmbpf_tdi_create tc = { .argsz = sizeof(tc) };

		tc.flags = owned ? TSMBPF_TDI_CREATE_OWNED : 0;
		tc.platform = plat >= 0 ? plat : i % TSMBPF_PLAT_NR;
		tc.bdf = TSMBPF_BDF(0, 0xc0 + i / 256, (i / 8) % 32, i % 8);
		tc.nr_bars = 2;
		tc.bar_size[0] = 2 << 20;	/* a 2 MiB leaf when not lazy */
		tc.bar_size[1] = 16 << 10;
		if (call(TSMBPF_TDI_CREATE, &tc, "tdi create", i))
			return 1;
		tdis[i] = tc.tdi_id;
	}
	if (!quiet) {
		printf("ready vm=%u tdis=%u..%u\n", vc.vm_id, tdis[0], tdis[n - 1]);
		fflush(stdout);
	}
	for (r = 0; !create_only && (!rounds || r < rounds); r++) {
		for (i = 0; i < n; i++) {
			int k = random() % n;

			if (round_one(tdis[k], vc.vm_id, (r + k) % 2))
				bad++;
			ops += 4;
		}
	}
	printf("{\"vm\":%u,\"tdis\":%d,\"rounds\":%d,\"ops\":%llu,\"failures\":%d}\n",
	       vc.vm_id, n, rounds, (unsigned long long)ops, bad);
	/* the objects go with the file: no destroy here */
	return bad ? 1 : 0;
}
