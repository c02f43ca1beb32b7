// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_fill: fill one VM with bound TDIs, to find its limit (256 bound
 * TDIs per VM, kernel/README.md "Private MMIO layout").  Used by
 * tests/guest/70_promises.bats, where one process does what 500 tsmctl
 * runs would do slowly under TCG.
 *
 *   tsmbpf_fill [-n TDIS] [-b BUS] [-p tdx|sev-tio|cca]
 *
 * Creates a global VM and TDIS global TDIs (one 4 KiB BAR each, BDFs from
 * BUS:00.0 on), then binds each to the VM, lazily (nothing mapped), in
 * order, and stops at the first bind that fails.  Everything stays for
 * the caller to inspect and destroy (tsmctl dev destroy all).  Prints one
 * JSON object: {"vm":V,"tdis":N,"first":ID,"bound":B,"errno":E} where E
 * is the errno of the failed bind, 0 if all bound.  Exits 1 if a create
 * failed, else 0.
 */
#include "tsmbpf_test.h"

int main(int argc, char **argv)
{
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	int n = 257, bus = 0x70, plat = TSMBPF_PLAT_TDX, opt, i, bound = 0;
	int err = 0, fd;
	uint32_t first = 0;

	while ((opt = getopt(argc, argv, "n:b:p:h")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'b':
			bus = strtol(optarg, NULL, 0);
			break;
		case 'p':
			plat = !strcmp(optarg, "tdx") ? TSMBPF_PLAT_TDX :
			       !strcmp(optarg, "sev-tio") ? TSMBPF_PLAT_SEV_TIO :
			       !strcmp(optarg, "cca") ? TSMBPF_PLAT_CCA : -1;
			if (plat < 0) {
				fprintf(stderr, "unknown platform '%s'\n", optarg);
				return 2;
			}
			break;
		default:
			printf("usage: %s [-n TDIS] [-b BUS] [-p tdx|sev-tio|cca]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	/* BDFs: 256 per bus, on up to 8 buses */
	if (n < 1 || n > 2048 || bus < 0 || bus + (n - 1) / 256 > 0xff) {
		fprintf(stderr, "bad -n or -b\n");
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
	uint32_t *tdis = calloc(n, sizeof(*tdis));

	if (!tdis)
		return 1;
	for (i = 0; i < n; i++) {
		struct tsmbpf_tdi_create c = {
			.argsz = sizeof(c), .platform = plat,
			.bdf = TSMBPF_BDF(0, bus + i / 256, (i / 8) % 32, i % 8),
			.nr_bars = 1,
		};

		c.bar_size[0] = 4096;
		if (ioctl(fd, TSMBPF_TDI_CREATE, &c)) {
			fprintf(stderr, "TDI_CREATE %d: %s\n", i, strerror(errno));
			return 1;
		}
		tdis[i] = c.tdi_id;
	}
	first = tdis[0];
	for (i = 0; i < n; i++) {
		struct tsmbpf_tdi_bind b = {
			.argsz = sizeof(b), .flags = TSMBPF_BIND_LAZY_MMIO,
			.tdi_id = tdis[i], .vm_id = vc.vm_id,
			.viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU,
		};

		if (ioctl(fd, TSMBPF_TDI_BIND, &b)) {
			err = errno;
			break;
		}
		bound++;
	}
	printf("{\"vm\":%u,\"tdis\":%d,\"first\":%u,\"bound\":%d,\"errno\":%d}\n",
	       vc.vm_id, n, first, bound, err);
	free(tdis);
	return 0;
}
