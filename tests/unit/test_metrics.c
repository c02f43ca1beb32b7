// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of loader/metrics.c on synthetic snapshots: Prometheus
 * exposition (cumulative buckets, le in seconds, +Inf equal to _count,
 * exact _sum, escaped label values), quantiles of log2 histograms, the top
 * screen and its JSON.  TAP output: "ok N - what" / "not ok N - what".
 *
 *   test_metrics          run the tests
 *   test_metrics --prom   print the synthetic snapshot's exposition (for
 *                         promtool check metrics, tests/host/test_dashboards.sh)
 *   test_metrics --top    print its top screen
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/tsmbpf.h>

#include "metrics.h"
#include "names.h"
#include "tap.h"

/* n durations of d ns into h, as the BPF program counts them */
static void hist_add(struct tsmbpf_lat_hist *h, uint64_t d, uint64_t n)
{
	int slot = 0;

	while (slot < TSMBPF_LAT_SLOTS - 1 && (1ULL << slot) <= d)
		slot++;
	h->slots[slot] += n;
	h->count += n;
	h->sum_ns += d * n;
	if (d > h->max_ns)
		h->max_ns = d;
}

static struct lat_tdi tdis[2];

/* A host that ran 10 TDX and 4 CCA cycles, one FLR denied, one swap. */
static void snapshot_fill(struct lat_snapshot *s, uint64_t taken_ns,
			  unsigned int scale)
{
	memset(s, 0, sizeof(*s));
	s->taken_ns = taken_ns;
	/* tdx tdi_lock: 7 x 3000 ns, 2 x 40000 ns, 1 x 5 ms */
	hist_add(&s->step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_LOCK], 3000, 7 * scale);
	hist_add(&s->step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_LOCK], 40000, 2 * scale);
	hist_add(&s->step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_LOCK], 5000000, scale);
	hist_add(&s->step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_STOP], 100, 10 * scale);
	hist_add(&s->step[TSMBPF_PLAT_CCA][TSMBPF_STEP_MMIO_UNMAP], 123456, 4 * scale);
	hist_add(&s->op[TSMBPF_PLAT_TDX][TSMBPF_OP_BIND], 70000, 10 * scale);
	hist_add(&s->op[TSMBPF_PLAT_TDX][TSMBPF_OP_UNBIND], 90000, 10 * scale);
	hist_add(&s->op[TSMBPF_PLAT_CCA][TSMBPF_OP_BIND], 80000, 4 * scale);
	hist_add(&s->event[TSMBPF_PLAT_TDX][TSMBPF_EV_FLR], 20000, 1);
	hist_add(&s->op[TSMBPF_PLAT_TDX][TSMBPF_OP_EVENT], 20000, 1);
	s->verdicts[TSMBPF_PLAT_TDX][TSMBPF_EV_FLR][TSMBPF_VERDICT_DENY] = 1;
	s->verdicts[TSMBPF_PLAT_CCA][TSMBPF_EV_CLOSE][TSMBPF_VERDICT_UNBIND] = 4;
	s->policy_ops[TSMBPF_PLAT_TDX][TSMBPF_POL_ATTACH] = 1;
	s->policy_ops[TSMBPF_PLAT_TDX][TSMBPF_POL_SWAP] = 1;
	s->policy_ops[TSMBPF_PLAT_CCA][TSMBPF_POL_EJECT] = 1;
	s->timeline_drops = 3;
	s->policy[TSMBPF_PLAT_TDX].attached = true;
	snprintf(s->policy[TSMBPF_PLAT_TDX].name, TSMBPF_LAT_NAME_LEN,
		 "tdx_connect");
	s->policy[TSMBPF_PLAT_TDX].generation = 2;
	/* a value to escape: quote, backslash, newline */
	snprintf(s->policy[TSMBPF_PLAT_TDX].settings,
		 sizeof(s->policy[0].settings), "gate=strict note=\"a\\b\nc\"");
	/* a name that fills its array: no NUL */
	s->policy[TSMBPF_PLAT_CCA].attached = true;
	memcpy(s->policy[TSMBPF_PLAT_CCA].name, "cca_sixteen_char", 16);
	s->policy[TSMBPF_PLAT_CCA].generation = 5;

	memset(tdis, 0, sizeof(tdis));
	tdis[0].id = 1;
	tdis[0].platform = TSMBPF_PLAT_TDX;
	snprintf(tdis[0].bdf, sizeof(tdis[0].bdf), "0000:01:00.0");
	hist_add(&tdis[0].op[TSMBPF_OP_BIND], 70000, 10 * scale);
	tdis[1].id = 7;
	tdis[1].platform = TSMBPF_PLAT_CCA;
	snprintf(tdis[1].bdf, sizeof(tdis[1].bdf), "0000:02:00.0");
	hist_add(&tdis[1].op[TSMBPF_OP_UNBIND], 2, 4 * scale);
	s->tdi = tdis;
	s->nr_tdi = 2;
}

static char *render(const struct lat_snapshot *s, bool no_tdi)
{
	struct metrics_opts opts = { .no_tdi = no_tdi };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		exit(2);
	if (metrics_prom_write(f, s, &opts))
		printf("# metrics_prom_write failed\n");
	fclose(f);
	return buf;
}

/* The value of the sample line that starts with `prefix ` in text, or -1. */
static long long sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;

	while ((p = strstr(p, prefix))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static const char *sample_str(const char *text, const char *prefix,
			      char *buf, size_t len)
{
	long long v = sample(text, prefix);
	const char *p = strstr(text, prefix);

	buf[0] = 0;
	if (v < 0 || !p)
		return buf;
	p += strlen(prefix) + 1;
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

static void test_exposition(void)
{
	const char *tl = "tsmbpf_step_seconds_bucket{platform=\"tdx\",step=\"tdi_lock\",le=";
	struct lat_snapshot s;
	char key[256], val[64];
	char *out, *p;
	long long prev = -1, v, inf;
	bool mono = true;
	int lines = 0, i;

	snapshot_fill(&s, 1000000000, 1);
	/* count says 11, the slots add up to 10: a torn read; slots win */
	s.step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_LOCK].count = 11;
	out = render(&s, false);

	/* every bucket line of one series, in order, cumulative */
	for (p = out; (p = strstr(p, tl)); p++) {
		v = strtoll(strchr(p, '}') + 2, NULL, 10);
		if (v < prev)
			mono = false;
		prev = v;
		lines++;
	}
	ok(lines == METRICS_LE_LAST - METRICS_LE_FIRST + 2,
	   "one bucket per le from 2^10 to 2^36 ns, and +Inf");
	ok(mono, "buckets are cumulative (never decrease)");
	snprintf(key, sizeof(key), "%s\"0.000001024\"}", tl);
	ok(sample(out, key) == 0, "le=0.000001024 (2^10 ns) holds no 3 us step");
	snprintf(key, sizeof(key), "%s\"0.000004096\"}", tl);
	ok(sample(out, key) == 7, "le=0.000004096 (2^12 ns) holds the 7 3 us steps");
	snprintf(key, sizeof(key), "%s\"0.000065536\"}", tl);
	ok(sample(out, key) == 9, "le=0.000065536 adds the 2 40 us steps");
	snprintf(key, sizeof(key), "%s\"0.008388608\"}", tl);
	ok(sample(out, key) == 10, "le=0.008388608 adds the 5 ms step");
	snprintf(key, sizeof(key), "%s\"68.719476736\"}", tl);
	ok(sample(out, key) == 10, "last finite le is 68.719476736 (2^36 ns)");
	snprintf(key, sizeof(key), "%s\"+Inf\"}", tl);
	inf = sample(out, key);
	v = sample(out, "tsmbpf_step_seconds_count{platform=\"tdx\",step=\"tdi_lock\"}");
	ok(inf == 10 && v == 10, "+Inf == _count == total of the slots, not the torn count");
	sample_str(out, "tsmbpf_step_seconds_sum{platform=\"tdx\",step=\"tdi_lock\"}",
		   val, sizeof(val));
	ok(!strcmp(val, "0.005101"), "_sum in seconds, exact (5101000 ns = 0.005101)");
	sample_str(out, "tsmbpf_step_seconds_sum{platform=\"cca\",step=\"mmio_unmap\"}",
		   val, sizeof(val));
	ok(!strcmp(val, "0.000493824"), "_sum 4 x 123456 ns = 0.000493824");

	/* slots below the first bucket count in it */
	snprintf(key, sizeof(key),
		 "tsmbpf_step_seconds_bucket{platform=\"tdx\",step=\"tdi_stop\",le=\"0.000001024\"}");
	ok(sample(out, key) == 10, "100 ns steps count in the first bucket");
	ok(sample(out, "tsmbpf_step_seconds_count{platform=\"sev-tio\",step=\"fence_clear\"}") == 0,
	   "every platform and step is exported, zero or not");
	ok(!strstr(out, "step=\"none\""), "no step \"none\"");

	ok(sample(out, "tsmbpf_op_seconds_count{platform=\"tdx\",op=\"bind\"}") == 10,
	   "op histogram per platform and op");
	ok(sample(out, "tsmbpf_op_seconds_count{platform=\"tdx\",op=\"event\",event=\"flr\"}") == 1,
	   "op=event split by host event");
	ok(sample(out, "tsmbpf_op_seconds_count{platform=\"tdx\",op=\"event\"}") < 0,
	   "no unsplit op=event series (sum by op would count events twice)");
	ok(sample(out, "tsmbpf_tdi_op_seconds_count{tdi=\"1\",bdf=\"0000:01:00.0\",platform=\"tdx\",op=\"bind\"}") == 10,
	   "per-TDI histogram with tdi, bdf, platform and op");
	ok(sample(out, "tsmbpf_tdi_op_seconds_count{tdi=\"1\",bdf=\"0000:01:00.0\",platform=\"tdx\",op=\"unbind\"}") < 0,
	   "no per-TDI series for an op the TDI never ran");
	ok(sample(out, "tsmbpf_host_events_total{platform=\"tdx\",event=\"flr\",verdict=\"deny\"}") == 1 &&
	   sample(out, "tsmbpf_host_events_total{platform=\"cca\",event=\"close\",verdict=\"unbind\"}") == 4 &&
	   sample(out, "tsmbpf_host_events_total{platform=\"cca\",event=\"close\",verdict=\"rebind\"}") == 0,
	   "host events per platform, event and verdict");
	ok(sample(out, "tsmbpf_policy_swap_total{platform=\"tdx\"}") == 1 &&
	   sample(out, "tsmbpf_policy_eject_total{platform=\"cca\"}") == 1 &&
	   sample(out, "tsmbpf_policy_attach_total{platform=\"sev-tio\"}") == 0,
	   "policy attach/swap/detach/eject counters per platform");
	ok(sample(out, "tsmbpf_timeline_dropped_total") == 3, "timeline drops");
	ok(sample(out, "tsmbpf_tdis") == 2, "TDI gauge");
	ok(strstr(out, "tsmbpf_policy_info{platform=\"tdx\",policy=\"tdx_connect\","
		       "settings=\"gate=strict note=\\\"a\\\\b\\nc\\\"\"} 1\n") != NULL,
	   "label values escape quote, backslash and newline");
	ok(sample(out, "tsmbpf_policy_generation{platform=\"cca\",policy=\"cca_sixteen_char\"}") == 5,
	   "a policy name filling its array (no NUL) is cut at 16");
	ok(!strstr(out, "platform=\"sev-tio\",policy="), "no policy series for an empty slot");

	/* every family has HELP and TYPE before its first sample */
	{
		static const char * const fam[] = {
			METRIC_STEP, METRIC_OP, METRIC_TDI_OP,
			METRIC_HOST_EVENTS, METRIC_POLICY_ATTACH,
			METRIC_POLICY_SWAP, METRIC_POLICY_DETACH,
			METRIC_POLICY_EJECT, METRIC_TIMELINE_DROPS,
			METRIC_POLICY_INFO, METRIC_POLICY_GEN, METRIC_TDIS,
		};
		bool all = true;

		for (i = 0; i < (int)(sizeof(fam) / sizeof(fam[0])); i++) {
			char help[128], type[128];
			const char *h, *t, *first;

			snprintf(help, sizeof(help), "# HELP %s ", fam[i]);
			snprintf(type, sizeof(type), "# TYPE %s ", fam[i]);
			h = strstr(out, help);
			t = strstr(out, type);
			snprintf(key, sizeof(key), "\n%s", fam[i]);
			first = strstr(out, key);
			if (!h || !t || !first || t < h || first < t)
				all = false;
		}
		ok(all, "every family has # HELP and # TYPE before its samples");
	}
	free(out);

	out = render(&s, true);
	ok(!strstr(out, "tsmbpf_tdi_op_seconds"), "--no-tdi leaves per-TDI histograms out");
	free(out);
}

static void test_le_and_escape(void)
{
	char buf[64];

	metrics_le_format(10, buf, sizeof(buf));
	ok(!strcmp(buf, "0.000001024"), "le of slot 10 = 0.000001024");
	metrics_le_format(30, buf, sizeof(buf));
	ok(!strcmp(buf, "1.073741824"), "le of slot 30 = 1.073741824");
	metrics_le_format(METRICS_LE_LAST + 1, buf, sizeof(buf));
	ok(!strcmp(buf, "+Inf"), "past the last: +Inf");
	metrics_label_escape("a\"b\\c\nd", buf, sizeof(buf));
	ok(!strcmp(buf, "a\\\"b\\\\c\\nd"), "label escape");
	metrics_label_escape("\"\"\"\"", buf, 5);
	ok(!strcmp(buf, "\\\"\\\""), "label escape truncates between escapes");
}

static void test_quantile(void)
{
	struct tsmbpf_lat_hist h;

	memset(&h, 0, sizeof(h));
	ok(lat_hist_quantile(&h, 0.5) == 0, "quantile of an empty histogram is 0");
	/* 100 durations: 50 in slot 10 (512..1023), 49 in slot 12, 1 in slot 20 */
	hist_add(&h, 600, 50);
	hist_add(&h, 3000, 49);
	hist_add(&h, 600000, 1);
	ok(lat_hist_quantile(&h, 0.50) == 1024, "p50: the 50th is in slot 10, bound 1024 ns");
	ok(lat_hist_quantile(&h, 0.51) == 4096, "p51: the 51st is in slot 12, bound 4096 ns");
	ok(lat_hist_quantile(&h, 0.99) == 4096,
	   "p99: the 99th (not the 100th: 0.99 * 100 rounds to 99) is in slot 12");
	ok(lat_hist_quantile(&h, 1.0) == 600000,
	   "p100: slot 20's bound 1048576 clamped to max 600000");
	ok(lat_hist_quantile(&h, 0.0) == 1024, "p0: the first duration's slot");
	ok(lat_hist_quantile(&h, 7) == 600000 && lat_hist_quantile(&h, -1) == 1024,
	   "q out of 0..1 is clamped");
	memset(&h, 0, sizeof(h));
	hist_add(&h, 0, 3);
	ok(lat_hist_quantile(&h, 0.99) == 0, "durations of 0 ns: slot 0, bound 0");
	memset(&h, 0, sizeof(h));
	hist_add(&h, 1ULL << 38, 1);
	h.max_ns = 0;	/* no max recorded: the slot bound */
	ok(lat_hist_quantile(&h, 0.5) == 1ULL << 39, "top slot bound without max");
}

static void test_top(void)
{
	struct lat_snapshot prev, cur;
	struct top_view view = { .interval_s = 2.0, .clock = "12:00:00" };
	char *buf = NULL, *jbuf = NULL, bar[64];
	size_t len = 0, jlen = 0;
	json_writer_t *w;
	FILE *f;

	snapshot_fill(&prev, 1000000000, 1);
	snapshot_fill(&cur, 3000000000, 3);	/* 2 s later, 3x the counts */
	f = open_memstream(&buf, &len);
	metrics_top_render(f, &cur, &prev, &view);
	fclose(f);
	ok(strstr(buf, "tsmctl top  12:00:00  every 2.0s  TDIs 2  timeline drops 3\n") != NULL,
	   "top header: clock, interval, TDIs, drops");
	ok(strstr(buf, "tdx      tdx_connect          2      1     1      0     0  gate=strict note=\"a\\b?c\"\n") != NULL,
	   "top policy row: name, generation, attach/swap/detach/eject, settings");
	ok(strstr(buf, "sev-tio  (native)             -      0     0      0     0\n") != NULL,
	   "top: an empty slot says the native sequence runs");
	/* 30 tdi_lock now, 10 before, 2 s apart: 10.0/s; p50 4.1us, p99 clamped to max */
	ok(strstr(buf, "tdx        tdi_lock           30     10.0   4.1us   5.0ms   5.0ms    @   -      :") != NULL,
	   "top step row: count, rate, p50, p99 (slot bound), max");
	ok(strstr(buf, "tdx      bind                 30     10.0") != NULL,
	   "top op row");
	ok(strstr(buf, "tdx      flr                   0        1        0") != NULL,
	   "top host event row: verdicts");
	ok(!strstr(buf, "sev-tio  bind"), "top: no row for what never ran");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	metrics_top_render(f, &cur, NULL, &view);
	fclose(f);
	ok(strstr(buf, "tdx      bind                 30        -") != NULL,
	   "top without a previous snapshot: no rate");
	free(buf);

	metrics_hist_bar(&cur.step[TSMBPF_PLAT_TDX][TSMBPF_STEP_TDI_LOCK], bar,
			 sizeof(bar));
	/* 21 at slot 12 (col 2), 6 at slot 16 (col 6), 3 at slot 23 (col 13) */
	ok(strlen(bar) == METRICS_BAR_LAST - METRICS_BAR_FIRST + 1 &&
	   bar[2] == '@' && bar[6] == '-' && bar[13] == ':' && bar[0] == ' ',
	   "histogram bar: one column per log2 slot, scaled to the fullest");

	f = open_memstream(&jbuf, &jlen);
	w = jsonw_new(f);
	metrics_top_json(w, &cur, &prev);
	jsonw_destroy(&w);
	fclose(f);
	ok(strstr(jbuf, "\"interval_ns\":2000000000") &&
	   strstr(jbuf, "{\"step\":\"tdi_lock\",\"count\":30,\"delta\":20,"
			"\"sum_ns\":15303000,\"p50_ns\":4096,\"p99_ns\":5000000,"
			"\"max_ns\":5000000}"),
	   "top JSON: interval and a step with count, delta, quantiles");
	ok(strstr(jbuf, "\"policy\":null") && strstr(jbuf, "\"settings\":\"gate=strict note=\\\"a\\\\b\\nc\\\"\""),
	   "top JSON: null policy for an empty slot, settings escaped");
	free(jbuf);
}

int main(int argc, char **argv)
{
	struct lat_snapshot s;

	if (argc > 1) {
		struct top_view view = { .interval_s = 1.0 };

		snapshot_fill(&s, 1000000000, 1);
		if (!strcmp(argv[1], "--prom"))
			return metrics_prom_write(stdout, &s, NULL) ? 1 : 0;
		if (!strcmp(argv[1], "--top")) {
			metrics_top_render(stdout, &s, NULL, &view);
			return 0;
		}
		fprintf(stderr, "usage: %s [--prom|--top]\n", argv[0]);
		return 2;
	}
	test_le_and_escape();
	test_quantile();
	test_exposition();
	test_top();
	return tap_done();
}
