// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl dev: device interfaces (TDIs): create, destroy, list, show, bind,
 * accept, unbind.  Arguments are keyword/value pairs in bpftool's manner.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "main.h"
#include "names.h"

static int parse_tdi(const char *s, uint32_t *id)
{
	if (u32_parse(s, id) || !*id) {
		p_err("invalid device interface id '%s'", s);
		return -EINVAL;
	}
	return 0;
}

static int do_create(int argc, char **argv)
{
	struct tsmbpf_tdi_create arg = { .argsz = sizeof(arg) };
	bool have_plat = false, have_bdf = false;
	uint64_t size;
	char bdf[32];
	int fd, err;

	while (argc) {
		if (!REQ_ARGS(2))
			return -1;
		if (!strcmp(argv[0], "platform")) {
			if (platform_parse(argv[1], &arg.platform)) {
				p_err("unknown platform '%s' (tdx, sev-tio, cca)",
				      argv[1]);
				return -1;
			}
			have_plat = true;
		} else if (!strcmp(argv[0], "bdf")) {
			if (bdf_parse(argv[1], &arg.bdf)) {
				p_err("invalid BDF '%s' (want [ssss:]bb:dd.f, device <= 1f, function <= 7)",
				      argv[1]);
				return -1;
			}
			have_bdf = true;
		} else if (!strcmp(argv[0], "pci")) {
			if (bdf_parse(argv[1], &arg.bdf)) {
				p_err("invalid PCI address '%s' (want [ssss:]bb:dd.f)",
				      argv[1]);
				return -1;
			}
			arg.flags |= TSMBPF_TDI_CREATE_PCI;
			have_bdf = true;
		} else if (!strcmp(argv[0], "devset")) {
			if (u32_parse(argv[1], &arg.devset)) {
				p_err("invalid devset '%s'", argv[1]);
				return -1;
			}
		} else if (!strcmp(argv[0], "bar")) {
			if (arg.nr_bars == TSMBPF_MAX_BARS) {
				p_err("at most %d BARs", TSMBPF_MAX_BARS);
				return -1;
			}
			if (size_parse(argv[1], &size)) {
				p_err("invalid BAR size '%s'", argv[1]);
				return -1;
			}
			arg.bar_size[arg.nr_bars++] = size;
		} else {
			p_err("unknown keyword '%s'; try '%s dev help'",
			      argv[0], bin_name);
			return -1;
		}
		argc -= 2;
		argv += 2;
	}
	if (arg.flags & TSMBPF_TDI_CREATE_PCI) {
		if (!have_plat || arg.nr_bars || arg.devset) {
			p_err("'dev create ... pci BDF' needs a platform and takes BARs and device set from the function: no 'bar', 'bdf' or 'devset'");
			return -1;
		}
	} else if (!have_plat || !have_bdf || !arg.nr_bars) {
		p_err("'dev create' needs platform, bdf and at least one bar, or platform and pci");
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_CREATE, &arg);
	close(fd);
	bdf_format(arg.bdf, bdf, sizeof(bdf));
	if (err == -EEXIST) {
		p_err("a device interface at %s already exists", bdf);
		return err;
	} else if (err == -ERANGE) {
		p_err("device interface refused: BAR sizes must be powers of two from 4K to 64G");
		return err;
	} else if (err == -ENODEV) {
		p_err("no %s firmware: load tsmbpf_emu.ko (or a platform driver)",
		      platform_name(arg.platform));
		return err;
	} else if ((arg.flags & TSMBPF_TDI_CREATE_PCI) && err == -ENXIO) {
		p_err("no host driver for PCI functions: load tsmbpf_vfio_pci.ko");
		return err;
	} else if ((arg.flags & TSMBPF_TDI_CREATE_PCI) && err == -ENOENT) {
		p_err("no PCI function %s on tsmbpf_vfio_pci (bind it: echo tsmbpf_vfio_pci > /sys/bus/pci/devices/%s/driver_override)",
		      bdf, bdf);
		return err;
	} else if ((arg.flags & TSMBPF_TDI_CREATE_PCI) && err == -EBUSY) {
		p_err("PCI function %s has a device interface already", bdf);
		return err;
	} else if ((arg.flags & TSMBPF_TDI_CREATE_PCI) && err == -EINVAL) {
		p_err("PCI function %s has no memory BAR to make private", bdf);
		return err;
	} else if (err == -ENOSPC) {
		p_err("too many device interfaces");
		return err;
	} else if (err) {
		p_err("creating device interface %s: %s", bdf, strerror(-err));
		return err;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "tdi", arg.tdi_id);
		jsonw_end_object(json_wtr);
	} else {
		printf("%u\n", arg.tdi_id);
	}
	return 0;
}

/*
 * "dev destroy all": every TDI, a bound one unbound first, in one process
 * (thousands in seconds, where a tsmctl call per TDI takes minutes).  Goes
 * on past a failure, says which, and fails at the end.
 */
static int destroy_all(void)
{
	struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d) };
	struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u) };
	uint32_t *ids = NULL, n = 0, i, done = 0, unbound = 0, failed = 0;
	int fd, err;

	fd = list_open(TSMBPF_LIST_TDIS, "device interfaces", &ids, &n);
	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++) {
		d.tdi_id = ids[i];
		err = tsmbpf_ioctl(fd, TSMBPF_TDI_DESTROY, &d);
		if (err == -EBUSY) {
			u.tdi_id = ids[i];
			err = tsmbpf_ioctl(fd, TSMBPF_TDI_UNBIND, &u);
			if (!err || err == -ENOTCONN) {
				unbound += !err;
				err = tsmbpf_ioctl(fd, TSMBPF_TDI_DESTROY, &d);
			} else {
				p_fw_err("unbind", err, u.fw_error);
			}
		}
		if (!err)
			done++;
		else if (err != -ENOENT) {	/* gone meanwhile: fine */
			p_err("device interface %u stays: %s", ids[i], strerror(-err));
			failed++;
		}
	}
	close(fd);
	free(ids);
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "destroyed", done);
		jsonw_uint_field(json_wtr, "unbound", unbound);
		jsonw_uint_field(json_wtr, "failed", failed);
		jsonw_end_object(json_wtr);
	} else {
		printf("%u device interfaces destroyed (%u unbound first), %u failed\n",
		       done, unbound, failed);
	}
	return failed ? -EIO : 0;
}

static int do_destroy(int argc, char **argv)
{
	struct tsmbpf_tdi_destroy arg = { .argsz = sizeof(arg) };
	int fd, err;

	if (argc == 1 && !strcmp(argv[0], "all"))
		return destroy_all();
	if (!REQ_ARGS(1) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_DESTROY, &arg);
	close(fd);
	if (err == -EBUSY)
		p_err("device interface %u is bound; unbind it first", arg.tdi_id);
	else if (err == -ENOENT)
		p_err("no device interface %u", arg.tdi_id);
	else if (err)
		p_err("destroying device interface %u: %s", arg.tdi_id,
		      strerror(-err));
	return err;
}

static int tdi_info(int fd, uint32_t id, struct tsmbpf_tdi_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->argsz = sizeof(*ti);
	ti->tdi_id = id;
	return tsmbpf_ioctl(fd, TSMBPF_TDI_INFO, ti);
}

static void print_res_plain(uint32_t res)
{
	printf("%s%s%s%s%s",
	       res & TSMBPF_RES_METADATA ? "meta," : "",
	       res & TSMBPF_RES_DMA ? "dma," : "",
	       res & TSMBPF_RES_SHARED_MMIO ? "shared," : "",
	       res & TSMBPF_RES_ACCEPTED ? "accepted," : "",
	       res & TSMBPF_RES_FENCED ? "fenced," : "");
}

static void print_tdi(const struct tsmbpf_tdi_info *ti, bool detail)
{
	char bdf[32], vbdf[32], sz[32];
	uint32_t i;

	bdf_format(ti->bdf, bdf, sizeof(bdf));
	bdf_format(ti->vbdf, vbdf, sizeof(vbdf));
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "tdi", ti->tdi_id);
		jsonw_string_field(json_wtr, "platform", platform_name(ti->platform));
		jsonw_string_field(json_wtr, "bdf", bdf);
		jsonw_uint_field(json_wtr, "devset", ti->devset);
		jsonw_string_field(json_wtr, "state", tdisp_state_name(ti->state));
		if (ti->vm_id) {
			jsonw_uint_field(json_wtr, "vm", ti->vm_id);
			jsonw_string_field(json_wtr, "vbdf", vbdf);
			jsonw_string_field(json_wtr, "viommu", viommu_name(ti->viommu));
		} else {
			jsonw_name(json_wtr, "vm");
			jsonw_null(json_wtr);
		}
		jsonw_bool_field(json_wtr, "metadata", ti->res & TSMBPF_RES_METADATA);
		jsonw_bool_field(json_wtr, "dma", ti->res & TSMBPF_RES_DMA);
		jsonw_bool_field(json_wtr, "shared_mmio", ti->res & TSMBPF_RES_SHARED_MMIO);
		jsonw_bool_field(json_wtr, "accepted", ti->res & TSMBPF_RES_ACCEPTED);
		jsonw_bool_field(json_wtr, "fenced", ti->res & TSMBPF_RES_FENCED);
		jsonw_uint_field(json_wtr, "mmio_pages", ti->mmio_pages);
		if (ti->host_flags & TSMBPF_TDI_HOST_PCI) {
			jsonw_string_field(json_wtr, "driver", ti->driver);
			jsonw_bool_field(json_wtr, "host_access",
					 !(ti->host_flags & TSMBPF_TDI_HOST_PRIVATE));
			jsonw_bool_field(json_wtr, "gone",
					 ti->host_flags & TSMBPF_TDI_HOST_GONE);
		} else {
			jsonw_name(json_wtr, "driver");
			jsonw_null(json_wtr);
		}
		jsonw_uint_field(json_wtr, "host_events", ti->host_events);
		jsonw_bool_field(json_wtr, "owned", ti->host_flags & TSMBPF_TDI_OWNED);
		jsonw_name(json_wtr, "bars");
		jsonw_start_array(json_wtr);
		for (i = 0; i < ti->nr_bars && i < TSMBPF_MAX_BARS; i++) {
			jsonw_start_object(json_wtr);
			jsonw_uint_field(json_wtr, "size", ti->bar_size[i]);
			jsonw_uint_field(json_wtr, "gpa", ti->bar_gpa[i]);
			jsonw_uint_field(json_wtr, "hpa", ti->bar_hpa[i]);
			if (ti->host_flags & TSMBPF_TDI_HOST_PCI)
				jsonw_uint_field(json_wtr, "pci_bar", ti->pci_bar[i]);
			jsonw_end_object(json_wtr);
		}
		jsonw_end_array(json_wtr);
		jsonw_uint_field(json_wtr, "binds", ti->binds);
		jsonw_uint_field(json_wtr, "unbinds", ti->unbinds);
		jsonw_string_field(json_wtr, "last_fw_error",
				   fw_error_name(ti->last_fw_error));
		jsonw_end_object(json_wtr);
		return;
	}
	if (!detail) {
		char vm[16] = "-";

		if (ti->vm_id)
			snprintf(vm, sizeof(vm), "%u", ti->vm_id);
		printf("%-5u %-8s %-13s %-16s %-5s %-10llu %s\n", ti->tdi_id,
		       platform_name(ti->platform), bdf,
		       tdisp_state_name(ti->state), vm,
		       (unsigned long long)ti->mmio_pages,
		       ti->host_flags & TSMBPF_TDI_HOST_PCI ? ti->driver : "-");
		return;
	}
	printf("tdi %u: %s %s devset %u%s\n", ti->tdi_id,
	       platform_name(ti->platform), bdf, ti->devset,
	       ti->host_flags & TSMBPF_TDI_OWNED ?
	       ", owned by an open file of /dev/tsmbpf" : "");
	if (ti->host_flags & TSMBPF_TDI_HOST_PCI)
		printf("\tPCI function on %s%s, host access to its BARs %s, %u host events\n",
		       ti->driver,
		       ti->host_flags & TSMBPF_TDI_HOST_GONE ? " (removed)" : "",
		       ti->host_flags & TSMBPF_TDI_HOST_PRIVATE ? "revoked" : "allowed",
		       ti->host_events);
	printf("\tstate %s  resources ", tdisp_state_name(ti->state));
	print_res_plain(ti->res);
	printf("\n\tprivate mmio pages %llu\n", (unsigned long long)ti->mmio_pages);
	if (ti->vm_id)
		printf("\tbound to vm %u as %s, viommu %s\n", ti->vm_id, vbdf,
		       viommu_name(ti->viommu));
	else
		printf("\tnot bound\n");
	for (i = 0; i < ti->nr_bars && i < TSMBPF_MAX_BARS; i++) {
		size_format(ti->bar_size[i], sz, sizeof(sz));
		printf("\tbar %u: %s hpa %#llx", i, sz,
		       (unsigned long long)ti->bar_hpa[i]);
		if (ti->host_flags & TSMBPF_TDI_HOST_PCI)
			printf(" (PCI BAR %u)", ti->pci_bar[i]);
		if (ti->vm_id)
			printf(" gpa %#llx", (unsigned long long)ti->bar_gpa[i]);
		printf("\n");
	}
	printf("\tbinds %llu unbinds %llu last firmware error %s\n",
	       (unsigned long long)ti->binds, (unsigned long long)ti->unbinds,
	       fw_error_name(ti->last_fw_error));
}

static void print_tdi_header(void)
{
	printf("%-5s %-8s %-13s %-16s %-5s %-10s %s\n", "TDI", "PLATFORM",
	       "BDF", "STATE", "VM", "MMIO_PAGES", "DRIVER");
}

static void show_tdi(int fd, uint32_t id)
{
	struct tsmbpf_tdi_info ti;

	if (!tdi_info(fd, id, &ti))
		print_tdi(&ti, false);
}

static int do_list(int argc, char **argv)
{
	return list_all(TSMBPF_LIST_TDIS, "device interfaces", print_tdi_header,
			show_tdi);
}

static int do_show(int argc, char **argv)
{
	struct tsmbpf_tdi_info ti;
	uint32_t id;
	int fd, err;

	if (!REQ_ARGS(1) || parse_tdi(argv[0], &id))
		return -1;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tdi_info(fd, id, &ti);
	close(fd);
	if (err) {
		if (err == -ENOENT)
			p_err("no device interface %u", id);
		else
			p_err("device interface %u: %s", id, strerror(-err));
		return err;
	}
	print_tdi(&ti, true);
	return 0;
}

static int tdi_accept(int fd, uint32_t id, uint64_t nonce)
{
	struct tsmbpf_tdi_accept arg = {
		.argsz = sizeof(arg), .tdi_id = id, .nonce = nonce,
	};
	int err;

	err = tsmbpf_ioctl(fd, TSMBPF_TDI_ACCEPT, &arg);
	if (err == -ENOTCONN)
		p_err("device interface %u is not bound", id);
	else if (err == -ENOENT)
		p_err("no device interface %u", id);
	else if (err)
		p_fw_err("accept", err, arg.fw_error);
	return err;
}

static int do_bind(int argc, char **argv)
{
	struct tsmbpf_tdi_bind arg = {
		.argsz = sizeof(arg), .viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU,
	};
	bool accept = false;
	char nonce[24];
	int fd, err;

	if (!REQ_ARGS(1) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	NEXT_ARG();
	while (argc) {
		if (!strcmp(argv[0], "accept")) {
			accept = true;
			NEXT_ARG();
			continue;
		}
		if (!strcmp(argv[0], "lazy")) {
			arg.flags |= TSMBPF_BIND_LAZY_MMIO;
			NEXT_ARG();
			continue;
		}
		if (!REQ_ARGS(2))
			return -1;
		if (!strcmp(argv[0], "vm")) {
			if (u32_parse(argv[1], &arg.vm_id)) {
				p_err("invalid VM id '%s'", argv[1]);
				return -1;
			}
		} else if (!strcmp(argv[0], "vbdf")) {
			if (bdf_parse(argv[1], &arg.vbdf)) {
				p_err("invalid guest BDF '%s'", argv[1]);
				return -1;
			}
		} else if (!strcmp(argv[0], "viommu")) {
			if (viommu_parse(argv[1], &arg.viommu)) {
				p_err("unknown vIOMMU type '%s' (none, tsm-vtd, tsm-no-viommu, smmuv3)",
				      argv[1]);
				return -1;
			}
		} else {
			p_err("unknown keyword '%s'; try '%s dev help'",
			      argv[0], bin_name);
			return -1;
		}
		argc -= 2;
		argv += 2;
	}
	if (!arg.vm_id) {
		p_err("'dev bind' needs 'vm VM'");
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_BIND, &arg);
	if (err == -EOPNOTSUPP) {
		p_err("vIOMMU type %s cannot carry a TSM device interface; use tsm-vtd or tsm-no-viommu",
		      viommu_name(arg.viommu));
	} else if (err == -ENOENT) {
		p_err("no device interface %u or no VM %u", arg.tdi_id,
		      arg.vm_id);
	} else if (err == -EBUSY && !arg.fw_error) {
		p_err("device interface %u is already bound", arg.tdi_id);
	} else if (err == -ENOSPC) {
		p_err("VM %u has no room for another device interface", arg.vm_id);
	} else if (err == -ERANGE) {
		p_err("guest BDF out of range (segment must be 0)");
	} else if (err) {
		p_fw_err("bind", err, arg.fw_error);
	} else if (accept) {
		err = tdi_accept(fd, arg.tdi_id, arg.nonce);
	}
	close(fd);
	if (err)
		return err;
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "tdi", arg.tdi_id);
		jsonw_uint_field(json_wtr, "vm", arg.vm_id);
		/* hex string: JSON readers lose u64 precision in numbers */
		snprintf(nonce, sizeof(nonce), "%#" PRIx64, (uint64_t)arg.nonce);
		jsonw_string_field(json_wtr, "nonce", nonce);
		jsonw_bool_field(json_wtr, "accepted", accept);
		jsonw_end_object(json_wtr);
	} else {
		printf("tdi %u bound to vm %u%s, nonce %#" PRIx64 "\n",
		       arg.tdi_id, arg.vm_id, accept ? " and running" : "",
		       (uint64_t)arg.nonce);
	}
	return 0;
}

static int do_accept(int argc, char **argv)
{
	unsigned long long nonce;
	uint32_t id;
	char *end;
	int fd, err;

	if (!REQ_ARGS(3) || parse_tdi(argv[0], &id))
		return -1;
	if (strcmp(argv[1], "nonce")) {
		p_err("usage: dev accept TDI nonce NONCE");
		return -1;
	}
	errno = 0;
	nonce = strtoull(argv[2], &end, 0);
	if (*end || errno || argv[2][0] == '-') {
		p_err("invalid nonce '%s'", argv[2]);
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tdi_accept(fd, id, nonce);
	close(fd);
	if (!err && !json_output)
		printf("tdi %u accepted and running\n", id);
	else if (!err)
		jsonw_start_object(json_wtr), jsonw_uint_field(json_wtr, "tdi", id),
		jsonw_end_object(json_wtr);
	return err;
}

static int do_unbind(int argc, char **argv)
{
	struct tsmbpf_tdi_unbind arg = { .argsz = sizeof(arg) };
	int fd, err;

	if (!REQ_ARGS(1) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	NEXT_ARG();
	if (argc) {
		if (argc != 2 || strcmp(argv[0], "reason") ||
		    reason_parse(argv[1], &arg.reason)) {
			p_err("usage: dev unbind TDI [reason { user | host-event | vm-destroy | error }]");
			return -1;
		}
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_UNBIND, &arg);
	close(fd);
	if (err == -ENOTCONN) {
		p_err("device interface %u is not bound", arg.tdi_id);
		return err;
	} else if (err == -ENOENT) {
		p_err("no device interface %u", arg.tdi_id);
		return err;
	} else if (err) {
		p_fw_err("unbind", err, arg.fw_error);
		return err;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "tdi", arg.tdi_id);
		jsonw_string_field(json_wtr, "last_fw_error",
				   fw_error_name(arg.fw_error));
		jsonw_end_object(json_wtr);
	} else {
		printf("tdi %u unbound, shared again\n", arg.tdi_id);
	}
	return 0;
}

static int parse_u64(const char *s, const char *what, uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-') {
		p_err("invalid %s '%s'", what, s);
		return -EINVAL;
	}
	*v = x;
	return 0;
}

static int do_fault(int argc, char **argv)
{
	struct tsmbpf_tdi_fault arg = { .argsz = sizeof(arg) };
	uint64_t gpa;
	int fd, err;

	if (!REQ_ARGS(3) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	if (strcmp(argv[1], "gpa") || parse_u64(argv[2], "GPA", &gpa)) {
		p_err("usage: dev fault TDI gpa GPA");
		return -1;
	}
	arg.gpa = gpa;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_FAULT, &arg);
	close(fd);
	if (err == -EFAULT)
		p_err("GPA %#llx is not in a private MMIO BAR of device interface %u",
		      (unsigned long long)gpa, arg.tdi_id);
	else if (err == -EBADFD)
		p_err("device interface %u has no private MMIO to map (not locked or running)",
		      arg.tdi_id);
	else if (err == -ENOTCONN)
		p_err("device interface %u is not bound", arg.tdi_id);
	else if (err)
		p_err("fault on %u: %s", arg.tdi_id, strerror(-err));
	if (err)
		return err;
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "gpa", gpa);
		jsonw_uint_field(json_wtr, "mapped", arg.mapped);
		jsonw_end_object(json_wtr);
	} else {
		printf("gpa %#llx: mapped %llu bytes\n", (unsigned long long)gpa,
		       (unsigned long long)arg.mapped);
	}
	return 0;
}

static int do_map(int argc, char **argv)
{
	struct tsmbpf_tdi_map arg = { .argsz = sizeof(arg) };
	uint64_t v;
	int fd, err;

	if (!REQ_ARGS(1) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	NEXT_ARG();
	while (argc) {
		if (!strcmp(argv[0], "4k")) {
			arg.flags |= TSMBPF_MAP_4K;
			NEXT_ARG();
			continue;
		}
		if (!REQ_ARGS(2))
			return -1;
		if (!strcmp(argv[0], "bar")) {
			if (u32_parse(argv[1], &arg.bar)) {
				p_err("invalid BAR '%s'", argv[1]);
				return -1;
			}
		} else if (!strcmp(argv[0], "offset")) {
			if (size_parse(argv[1], &v)) {
				p_err("invalid offset '%s'", argv[1]);
				return -1;
			}
			arg.offset = v;
		} else if (!strcmp(argv[0], "size")) {
			if (size_parse(argv[1], &v)) {
				p_err("invalid size '%s'", argv[1]);
				return -1;
			}
			arg.size = v;
		} else {
			p_err("unknown keyword '%s'", argv[0]);
			return -1;
		}
		argc -= 2;
		argv += 2;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_MAP, &arg);
	close(fd);
	if (err == -EEXIST)
		p_err("part of the range is already mapped; nothing was mapped");
	else if (err == -ERANGE)
		p_err("range is outside BAR %u", arg.bar);
	else if (err == -EINVAL)
		p_err("offset and size must be 4K aligned and size non-zero");
	else if (err)
		p_err("map: %s", strerror(-err));
	if (!err && !json_output)
		printf("mapped bar %u offset %#llx size %#llx\n", arg.bar,
		       (unsigned long long)arg.offset,
		       (unsigned long long)arg.size);
	return err;
}

static int do_step(int argc, char **argv)
{
	struct tsmbpf_tdi_step arg = { .argsz = sizeof(arg) };
	uint64_t nonce = 0;
	int fd, err;

	if (!REQ_ARGS(2) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	if (!strcmp(argv[1], "device_error"))
		arg.step = TSMBPF_STEP_DEVICE_ERROR;
	else if (step_parse(argv[1], &arg.step) || !arg.step) {
		p_err("unknown step '%s'", argv[1]);
		return -1;
	}
	if (argc == 4 && !strcmp(argv[2], "nonce")) {
		if (parse_u64(argv[3], "nonce", &nonce))
			return -1;
	} else if (argc != 2) {
		p_err("usage: dev step TDI STEP [nonce NONCE]");
		return -1;
	}
	arg.arg = nonce;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_TDI_STEP, &arg);
	close(fd);
	if (err == -EPERM && !arg.fw_error) {
		p_err("single steps need tsmbpf.ko loaded with step_ioctl=1");
		return err;
	}
	if (err) {
		p_fw_err(argv[1], err, arg.fw_error);
		return err;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "step", argv[1]);
		jsonw_string_field(json_wtr, "fw_error", "OK");
		jsonw_end_object(json_wtr);
	} else {
		printf("tdi %u: %s done\n", arg.tdi_id, argv[1]);
	}
	return 0;
}

static int do_gate(int argc, char **argv)
{
	struct tsmbpf_revoke_gate arg = { .argsz = sizeof(arg) };
	static const char * const verdicts[] = { "unbind", "deny", "rebind" };
	int fd, err;

	if (!REQ_ARGS(3) || parse_tdi(argv[0], &arg.tdi_id))
		return -1;
	if (strcmp(argv[1], "event") || event_parse(argv[2], &arg.event)) {
		p_err("usage: dev gate TDI event EVENT");
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_REVOKE_GATE, &arg);
	close(fd);
	if (err == -EPERM) {
		p_err("the gate test entry needs tsmbpf.ko loaded with step_ioctl=1");
		return err;
	} else if (err == -ENOTCONN) {
		p_err("device interface %u is not bound", arg.tdi_id);
		return err;
	} else if (err) {
		p_err("gate: %s", strerror(-err));
		return err;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "event", argv[2]);
		jsonw_string_field(json_wtr, "verdict", arg.verdict < 3 ?
				   verdicts[arg.verdict] : "?");
		jsonw_bool_field(json_wtr, "by_policy", arg.by_policy);
		jsonw_end_object(json_wtr);
	} else {
		printf("%s on tdi %u: %s (%s)\n", argv[2], arg.tdi_id,
		       arg.verdict < 3 ? verdicts[arg.verdict] : "?",
		       arg.by_policy ? "policy" : "native default");
	}
	return 0;
}

static int do_help(int argc, char **argv)
{
	printf("Usage: %s dev create platform PLATFORM bdf BDF bar SIZE [bar SIZE]... [devset N]\n"
	       "       %s dev create platform PLATFORM pci BDF\n"
	       "       %s dev destroy { TDI | all }\n"
	       "       %s dev list\n"
	       "       %s dev show TDI\n"
	       "       %s dev bind TDI vm VM [vbdf BDF] [viommu VIOMMU] [lazy] [accept]\n"
	       "       %s dev accept TDI nonce NONCE\n"
	       "       %s dev unbind TDI [reason REASON]\n"
	       "       %s dev fault TDI gpa GPA\n"
	       "       %s dev map TDI bar N offset OFF size SIZE [4k]\n"
	       "       %s dev step TDI STEP [nonce NONCE]\n"
	       "       %s dev gate TDI event EVENT\n"
	       "       %s dev help\n"
	       "\n"
	       "       PLATFORM := { tdx | sev-tio | cca }\n"
	       "       BDF := [segment:]bus:device.function, hexadecimal\n"
	       "       SIZE := power of two, 4K .. 64G (K, M, G suffixes)\n"
	       "       VIOMMU := { none | tsm-vtd | tsm-no-viommu | smmuv3 }\n"
	       "       REASON := { user | host-event | vm-destroy | error }\n"
	       "       STEP := { tdi_lock | mmio_map | dma_setup | accept | tdi_start |\n"
	       "                 tdi_stop | mmio_unmap | dma_teardown | tdi_reclaim |\n"
	       "                 mmio_recover | key_purge | fence_clear | device_error }\n"
	       "       EVENT := { mse_clear | bme_clear | d3hot | flr | af_flr | reset |\n"
	       "                  hot_reset | runtime_pm | close | remove | vm_destroy }\n"
	       "\n"
	       "bind locks the interface, maps its MMIO private (pending) and sets up\n"
	       "trusted DMA; 'accept' (or 'dev accept' with the nonce bind printed)\n"
	       "models the guest's accept and starts the interface.  'lazy' leaves the\n"
	       "private MMIO to be mapped by faults ('dev fault') or 'dev map'.\n"
	       "'dev step' runs one firmware step in any order (tsmbpf.ko step_ioctl=1),\n"
	       "to exercise the platform's ordering rules.\n"
	       "'pci BDF' makes a device interface of a real PCI function bound to\n"
	       "tsmbpf_vfio_pci, with the function's memory BARs: host events on it\n"
	       "(config writes, resets, power changes, close, removal) are then\n"
	       "gated by the platform's policy.\n",
	       bin_name, bin_name, bin_name, bin_name, bin_name, bin_name,
	       bin_name, bin_name, bin_name, bin_name, bin_name, bin_name,
	       bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "create",	do_create },
	{ "destroy",	do_destroy },
	{ "list",	do_list },
	{ "show",	do_show },
	{ "bind",	do_bind },
	{ "accept",	do_accept },
	{ "unbind",	do_unbind },
	{ "fault",	do_fault },
	{ "map",	do_map },
	{ "step",	do_step },
	{ "gate",	do_gate },
	{ "help",	do_help },
	{ 0 }
};

int do_dev(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
