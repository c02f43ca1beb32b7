// SPDX-License-Identifier: GPL-2.0
/*
 * bad_double_stop - SEV-TIO teardown that stops the interface twice
 *
 * A broken policy for the tests: the second TIO_TDI_UNBIND is refused and the policy reports it with tsmbpf_error(), which must eject it with its message (kind error).
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(double_stop_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	int ret;

	tsmbpf_tdi_stop(tdi);
	ret = tsmbpf_tdi_stop(tdi);
	if (ret) {
		tsmbpf_error("double stop of tdi %u: ret %d fw %x", tdi->id,
			     ret, tsmbpf_tdi_last_fw_error(tdi));
		return ret;
	}
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_double_stop = {
	.unbind		= (void *)double_stop_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "bad_double_stop",
};
