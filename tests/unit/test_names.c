// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tsmctl's argument parsers and name tables.
 * TAP output: "ok N - what" / "not ok N - what".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/tsmbpf.h>

#include "names.h"
#include "tap.h"

static void test_bdf(void)
{
	uint32_t bdf = 0;
	char buf[32];

	ok(!bdf_parse("0000:3a:00.0", &bdf) && bdf == TSMBPF_BDF(0, 0x3a, 0, 0),
	   "bdf with segment");
	ok(!bdf_parse("3a:1f.7", &bdf) && bdf == TSMBPF_BDF(0, 0x3a, 0x1f, 7),
	   "bdf without segment, max device and function");
	ok(!bdf_parse("ffff:ff:1f.7", &bdf) && bdf == 0xffffffff,
	   "bdf all ones");
	bdf_format(TSMBPF_BDF(1, 2, 3, 4), buf, sizeof(buf));
	ok(!strcmp(buf, "0001:02:03.4"), "bdf format");
	ok(bdf_parse("00:20.0", &bdf) == -EINVAL, "device 0x20 refused");
	ok(bdf_parse("00:00.8", &bdf) == -EINVAL, "function 8 refused");
	ok(bdf_parse("100:00.0", &bdf) == -EINVAL, "bus 0x100 refused");
	ok(bdf_parse("10000:00:00.0", &bdf) == -EINVAL, "segment 0x10000 refused");
	ok(bdf_parse("00:00", &bdf) == -EINVAL, "missing function refused");
	ok(bdf_parse("0:0:0:0.0", &bdf) == -EINVAL, "extra colon refused");
	ok(bdf_parse("zz:00.0", &bdf) == -EINVAL, "non-hex refused");
	ok(bdf_parse("", &bdf) == -EINVAL, "empty refused");
	ok(bdf_parse("-1:00.0", &bdf) == -EINVAL, "negative refused");
}

static void test_size(void)
{
	uint64_t sz = 0;
	char buf[32];

	ok(!size_parse("4096", &sz) && sz == 4096, "size plain");
	ok(!size_parse("4K", &sz) && sz == 4096, "size K");
	ok(!size_parse("2M", &sz) && sz == 2ULL << 20, "size M");
	ok(!size_parse("64G", &sz) && sz == 64ULL << 30, "size G");
	ok(!size_parse("1T", &sz) && sz == 1ULL << 40, "size T");
	ok(!size_parse("16KiB", &sz) && sz == 16384, "size KiB");
	ok(size_parse("4X", &sz) == -EINVAL, "unknown unit refused");
	ok(size_parse("-4K", &sz) == -EINVAL, "negative size refused");
	ok(size_parse("", &sz) == -EINVAL, "empty size refused");
	ok(size_parse("99999999999T", &sz) == -ERANGE, "overflow refused");
	size_format(64ULL << 30, buf, sizeof(buf));
	ok(!strcmp(buf, "64G"), "size format G");
	size_format(12345, buf, sizeof(buf));
	ok(!strcmp(buf, "12345"), "size format odd bytes");
}

static void test_names(void)
{
	uint32_t v = 99;

	ok(!platform_parse("tdx", &v) && v == TSMBPF_PLAT_TDX, "platform tdx");
	ok(!platform_parse("sev-tio", &v) && v == TSMBPF_PLAT_SEV_TIO,
	   "platform sev-tio");
	ok(!platform_parse("sev_tio", &v) && v == TSMBPF_PLAT_SEV_TIO,
	   "platform sev_tio alias");
	ok(!platform_parse("cca", &v) && v == TSMBPF_PLAT_CCA, "platform cca");
	ok(platform_parse("cove", &v) == -EINVAL, "unknown platform refused");
	ok(!strcmp(platform_name(7), "unknown"), "out-of-range platform name");
	ok(!viommu_parse("smmuv3", &v) && v == TSMBPF_VIOMMU_SMMUV3, "viommu");
	ok(viommu_parse("vtd", &v) == -EINVAL, "unknown viommu refused");
	ok(!reason_parse("host-event", &v) && v == TSMBPF_UNBIND_HOST_EVENT,
	   "reason");
	ok(!step_parse("mmio_unmap", &v) && v == TSMBPF_STEP_MMIO_UNMAP, "step");
	ok(!strcmp(tdisp_state_name(TSMBPF_TDISP_RUN), "RUN"), "state name");
	ok(!strcmp(fw_error_name(TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO),
		   "TDX_DEVIF_HAS_MAPPED_MMIO"), "fw error name");
	ok(strstr(fw_error_hint(TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO),
		  "mmio_unmap") != NULL, "fw error hint names the fix");
	ok(!strcmp(fw_error_name(0xdead), "UNKNOWN_FW_ERROR"),
	   "unknown fw error");
}

static void test_u32(void)
{
	uint32_t v;

	ok(!u32_parse("4294967295", &v) && v == 4294967295U, "u32 max");
	ok(u32_parse("4294967296", &v) == -ERANGE, "u32 overflow");
	ok(u32_parse("12a", &v) == -EINVAL, "u32 junk");
	ok(u32_parse("-1", &v) == -EINVAL, "u32 negative");
}

int main(void)
{
	test_bdf();
	test_size();
	test_names();
	test_u32();
	return tap_done();
}
