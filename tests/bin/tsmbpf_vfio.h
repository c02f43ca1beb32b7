/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VFIO helpers shared by the guest test programs that open PCI functions
 * through the type1 container (tsmbpf_vmm, tsmbpf_fuzz, tsmbpf_failnth):
 * a function's IOMMU group, the group's fd, the IOMMU type, config space
 * and its capability list, SIGBUS on MMIO through a revoked BAR mapping,
 * and the dma-buf uAPI of 6.19.
 */
#ifndef TSMBPF_VFIO_H
#define TSMBPF_VFIO_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

/*
 * The upstream uAPI of 6.19, as kernel/tsmbpf_vfio_pci.c defines it;
 * Debian 12's <linux/vfio.h> (6.12) predates it.
 */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

#define VFIO_GROUP_NOT_VIABLE \
	"group not viable: every function in it must be on a vfio driver"

/* The IOMMU group of PCI function @bdf, from sysfs; -errno if it has none. */
static inline int vfio_group_id(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

/*
 * Opens /dev/vfio/@id and checks that the group is viable.  Returns its fd,
 * or -errno (errno set too) with *@what the step that failed: NULL when
 * /dev/vfio/@id itself did not open.
 */
static inline int vfio_group_open(int id, const char **what)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int fd, err;

	*what = NULL;
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st)) {
		*what = "VFIO_GROUP_GET_STATUS";
		goto err_close;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		*what = VFIO_GROUP_NOT_VIABLE;
		errno = EPERM;
		goto err_close;
	}
	return fd;

err_close:
	err = errno;
	close(fd);
	errno = err;
	return -err;
}

/*
 * Sets the IOMMU type of @container, once its first group is in it:
 * type1v2, else type1.  Returns the type, or -errno.
 */
static inline long vfio_set_iommu(int container)
{
	unsigned long type = VFIO_TYPE1v2_IOMMU;

	if (ioctl(container, VFIO_CHECK_EXTENSION, type) <= 0)
		type = VFIO_TYPE1_IOMMU;
	if (ioctl(container, VFIO_SET_IOMMU, type))
		return -errno;
	return type;
}

/*
 * A config space read of @width bytes at @off, through the config region
 * at @cfg_off of device fd @fd.  0, or -errno (-EIO if short); *@val is 0
 * on failure.
 */
static inline int vfio_cfg_read(int fd, uint64_t cfg_off, unsigned int off,
				int width, uint32_t *val)
{
	uint32_t v = 0;
	ssize_t n;

	*val = 0;
	n = pread(fd, &v, width, cfg_off + off);
	if (n < 0)
		return -errno;
	if (n != width)
		return -EIO;
	*val = v;	/* little-endian host */
	return 0;
}

/*
 * Walks the capability list through VFIO's view of config space: the
 * offset of capability @cap_id, 0 if absent.
 */
static inline int vfio_find_cap(int fd, uint64_t cfg_off, int cap_id)
{
	uint32_t status, pos, id;
	int ttl = 48;

	if (vfio_cfg_read(fd, cfg_off, PCI_STATUS, 2, &status) ||
	    !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (vfio_cfg_read(fd, cfg_off, PCI_CAPABILITY_LIST, 1, &pos))
		return 0;
	for (pos &= ~3U; pos >= 0x40 && ttl--; pos &= ~3U) {
		if (vfio_cfg_read(fd, cfg_off, pos + PCI_CAP_LIST_ID, 1, &id))
			return 0;
		if (id == (uint32_t)cap_id)
			return pos;
		if (vfio_cfg_read(fd, cfg_off, pos + PCI_CAP_LIST_NEXT, 1, &pos))
			return 0;
	}
	return 0;
}

/*
 * MMIO through a BAR mapping faults with SIGBUS while the BAR is revoked
 * (memory disabled, low power, a TSM-bound function).  With on_sigbus() as
 * the SIGBUS handler, an access made after sigsetjmp(bus_jmp, 1) with
 * bus_armed set returns there, with 1, instead of killing the program; any
 * other SIGBUS still does.
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static inline void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

#endif /* TSMBPF_VFIO_H */
