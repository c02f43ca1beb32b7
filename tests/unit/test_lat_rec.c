// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of bpf/tsmbpf_lat_rec.h: a TDI's latency log, as one
 * timeline batch, turned back into the records it stands for (kinds, ops,
 * times, durations, policy names, BDF).  TAP output: "ok N - what" /
 * "not ok N - what".
 */
#include <stdio.h>
#include <string.h>

#include "../../bpf/tsmbpf_lat_rec.h"
#include "tap.h"

static void entry(struct tsmbpf_rec_batch *b, __u16 what, int timed,
		  int in_policy, __s32 ret, __u64 ns, __u64 end_ns,
		  __u32 fw_error, __u32 arg)
{
	struct tsmbpf_lat_entry *e = &b->e[b->n++];

	e->what = what;
	e->timed = timed;
	e->in_policy = in_policy;
	e->ret = ret;
	e->ns = ns;
	e->end_ns = end_ns;
	e->fw_error = fw_error;
	e->arg = arg;
}

/* tsmbpf_lat_slot() at each slot's two ends, as bpf/tsmbpf_lat.h says */
static int slots_ok(void)
{
	__u32 i;

	if (tsmbpf_lat_slot(0) != 0)
		return 0;
	for (i = 1; i < TSMBPF_LAT_SLOTS; i++) {
		if (tsmbpf_lat_slot(1ULL << (i - 1)) != i ||
		    tsmbpf_lat_slot((1ULL << i) - 1) != i) {
			printf("# slot of 2^%u or 2^%u - 1 is not %u\n", i - 1, i, i);
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	struct tsmbpf_rec_batch b;
	struct tsmbpf_rec plain = { .kind = TSMBPF_REC_EJECT };
	struct tsmbpf_rec r;

	memset(&b, 0, sizeof(b));
	b.kind = TSMBPF_REC_BATCH;
	b.tdi = 7;
	b.ts_ns = 5000;
	b.gen = 3;
	b.platform = TSMBPF_PLAT_CCA;
	b.bdf = TSMBPF_BDF(1, 0x42, 0x1f, 5);
	strcpy(b.policy, "cca");
	/* a policy's bind: a state change made by its first step */
	entry(&b, TSMBPF_LAT_BATCH_STATE, 0, 0, 0, 0, 0,
	      TSMBPF_TDISP_CONFIG_UNLOCKED, TSMBPF_TDISP_CONFIG_LOCKED);
	entry(&b, TSMBPF_STEP_TDI_LOCK, 1, 1, 0, 100, 1000, 0, 0);
	entry(&b, TSMBPF_STEP_MMIO_MAP, 1, 1, -16, 200, 1300, 0x42, 0);
	entry(&b, TSMBPF_LAT_BATCH_BIND + TSMBPF_OP_BIND, 1, 1, -16, 900, 1400, 0, 0);
	/* begun before tracing attached; a state change at the end */
	entry(&b, TSMBPF_LAT_BATCH_BIND + TSMBPF_OP_UNBIND, 0, 0, 0, 0, 1500, 0, 0);
	entry(&b, TSMBPF_LAT_BATCH_STATE, 0, 0, 0, 0, 0,
	      TSMBPF_TDISP_CONFIG_LOCKED, TSMBPF_TDISP_ERROR);
	entry(&b, 0x1ff, 1, 0, 0, 1, 1600, 0, 0);

	ok(!tsmbpf_lat_batch_rec(&b, 0, &r) && r.kind == TSMBPF_REC_STATE &&
	   r.arg0 == TSMBPF_TDISP_CONFIG_UNLOCKED &&
	   r.arg1 == TSMBPF_TDISP_CONFIG_LOCKED && r.dur_ns == 0 &&
	   !r.policy[0], "a state change: old and new state, no duration, no policy");
	ok(r.ts_ns == 1000, "a state change ends with the step after it");
	ok(r.tdi == 7 && r.gen == 3 && r.platform == TSMBPF_PLAT_CCA &&
	   !strcmp(r.bdf, "0001:42:1f.5"), "every record has the batch's TDI, generation, platform and BDF");
	ok(!tsmbpf_lat_batch_rec(&b, 1, &r) && r.kind == TSMBPF_REC_STEP &&
	   r.step == TSMBPF_STEP_TDI_LOCK && r.ts_ns == 1000 && r.dur_ns == 100 &&
	   r.arg0 == 1 && !strcmp(r.policy, "cca"), "a policy's step: its name, time, duration, by_policy");
	ok(!tsmbpf_lat_batch_rec(&b, 2, &r) && r.ret == -16 && r.fw_error == 0x42,
	   "a refused step keeps its errno and firmware code");
	ok(!tsmbpf_lat_batch_rec(&b, 3, &r) && r.kind == TSMBPF_REC_OP &&
	   r.step == TSMBPF_OP_BIND && r.dur_ns == 900 && r.ret == -16 &&
	   r.fw_error == 0 && !strcmp(r.policy, "cca"), "an operation: bind, its duration and result");
	ok(!tsmbpf_lat_batch_rec(&b, 4, &r) && r.kind == TSMBPF_REC_OP &&
	   r.step == TSMBPF_OP_UNBIND && r.dur_ns == 0 && r.ts_ns == 1500 &&
	   !strcmp(r.policy, "native"), "an operation not timed: no duration; native");
	ok(!tsmbpf_lat_batch_rec(&b, 5, &r) && r.ts_ns == 1600,
	   "a state change before an unknown entry takes that entry's end");
	ok(tsmbpf_lat_batch_rec(&b, 6, &r) == -1, "an entry of an unknown kind is skipped");
	b.n = 6;
	ok(!tsmbpf_lat_batch_rec(&b, 5, &r) && r.ts_ns == 5000,
	   "a state change last in the log ends with the hold");

	/* the record's size: room for the n entries, as the program sizes it */
	ok(tsmbpf_lat_is_batch(&b, TSMBPF_LAT_BATCH_SIZE(8)) &&
	   !tsmbpf_lat_is_batch(&plain, sizeof(plain)) &&
	   !tsmbpf_lat_is_batch(&b, 2), "a batch is told from a record by its kind");
	ok(tsmbpf_lat_batch_n(&b, TSMBPF_LAT_BATCH_SIZE(8)) == 6 &&
	   tsmbpf_lat_batch_n(&b, TSMBPF_LAT_BATCH_SIZE(6)) == 6 &&
	   tsmbpf_lat_batch_n(&b, sizeof(b)) == 6, "a record with room for its entries gives them all");
	ok(tsmbpf_lat_batch_n(&b, TSMBPF_LAT_BATCH_SIZE(5)) == 0 &&
	   tsmbpf_lat_batch_n(&b, TSMBPF_LAT_BATCH_SIZE(0) - 1) == 0,
	   "a record too short for its entries gives none");
	b.n = TSMBPF_LAT_BATCH_MAX + 1;
	ok(tsmbpf_lat_batch_n(&b, sizeof(b) + 64) == 0, "more entries than a log holds: none");

	ok(slots_ok(), "slot i holds 2^(i-1) <= d < 2^i ns, 0 holds 0");
	ok(tsmbpf_lat_slot(1ULL << 39) == TSMBPF_LAT_SLOTS - 1 &&
	   tsmbpf_lat_slot(1ULL << 63) == TSMBPF_LAT_SLOTS - 1 &&
	   tsmbpf_lat_slot(~0ULL) == TSMBPF_LAT_SLOTS - 1,
	   "durations past the last slot's range land in it");

	return tap_done();
}
