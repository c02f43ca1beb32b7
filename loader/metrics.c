// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl: snapshots of the latency maps made into Prometheus text
 * exposition (serve), the top screen and its JSON (top), and quantiles of
 * log2 histograms.  No I/O but the FILE given; see metrics.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/tsmbpf.h>

#include "metrics.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC ((uint64_t)1000000000)

static const char * const lat_op_names[] = {
	[TSMBPF_OP_BIND] = "bind",
	[TSMBPF_OP_ACCEPT] = "accept",
	[TSMBPF_OP_UNBIND] = "unbind",
	[TSMBPF_OP_EVENT] = "event",
};

static const char * const verdict_names[] = {
	[TSMBPF_VERDICT_UNBIND] = "unbind",
	[TSMBPF_VERDICT_DENY] = "deny",
	[TSMBPF_VERDICT_REBIND] = "rebind",
};

static const char * const policy_what_names[] = {
	[TSMBPF_POL_ATTACH] = "attach",
	[TSMBPF_POL_SWAP] = "swap",
	[TSMBPF_POL_DETACH] = "detach",
	[TSMBPF_POL_EJECT] = "eject",
};

const char *lat_op_name(uint32_t op)
{
	return op < ARRAY_SIZE(lat_op_names) ? lat_op_names[op] : "unknown";
}

const char *verdict_name(uint32_t verdict)
{
	return verdict < ARRAY_SIZE(verdict_names) ? verdict_names[verdict] :
						     "unknown";
}

const char *policy_what_name(uint32_t what)
{
	return what < ARRAY_SIZE(policy_what_names) ? policy_what_names[what] :
						       "unknown";
}

uint64_t lat_hist_total(const struct tsmbpf_lat_hist *h)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < TSMBPF_LAT_SLOTS; i++)
		total += h->slots[i];
	return total;
}

/*
 * The smallest slot bound b with at least ceil(q * total) durations below
 * it; slot 0 (d == 0) has bound 0.  Clamped to max_ns, which no quantile
 * exceeds: the bound of the top slot can be twice the largest duration.
 */
uint64_t lat_hist_quantile(const struct tsmbpf_lat_hist *h, double q)
{
	uint64_t total = lat_hist_total(h), rank, cum = 0, bound;
	double r;
	int i;

	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* ceil(q * total), forgiving the rounding of 0.99 * 100 */
	r = q * (double)total - 1e-9;
	rank = r > 0 ? (uint64_t)r : 0;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < TSMBPF_LAT_SLOTS - 1; i++) {
		cum += h->slots[i];
		if (cum >= rank)
			break;
	}
	bound = i ? 1ULL << i : 0;
	if (h->max_ns && bound > h->max_ns)
		bound = h->max_ns;
	return bound;
}

/* ------------------------------------------------ Prometheus exposition -- */

/* ns as seconds, exactly: "0.000001024", "68.719476736", "3". */
static void ns_to_seconds(uint64_t ns, char *buf, size_t len)
{
	uint64_t frac = ns % NSEC_PER_SEC;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%" PRIu64, ns / NSEC_PER_SEC);
		return;
	}
	while (!(frac % 10)) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, ns / NSEC_PER_SEC,
		 digits, frac);
}

void metrics_le_format(unsigned int slot, char *buf, size_t len)
{
	if (slot > METRICS_LE_LAST) {
		snprintf(buf, len, "+Inf");
		return;
	}
	ns_to_seconds(1ULL << slot, buf, len);
}

void metrics_label_escape(const char *in, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	for (; *in; in++) {
		const char *rep = NULL;
		char c[2] = { *in, 0 };
		size_t n;

		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = c;
		n = strlen(rep);
		if (o + n >= len)
			break;
		memcpy(buf + o, rep, n);
		o += n;
	}
	buf[o] = 0;
}

/* A fixed-size char array of the snapshot as a C string. */
static void field_str(const char *field, size_t size, char *buf, size_t len)
{
	size_t n = strnlen(field, size);

	if (n >= len)
		n = len - 1;
	memcpy(buf, field, n);
	buf[n] = 0;
}

static const char *le_str[METRICS_LE_LAST + 2];
static char le_buf[METRICS_LE_LAST + 2][24];

static void le_init(void)
{
	unsigned int i;

	if (le_str[0])
		return;
	for (i = 0; i <= METRICS_LE_LAST + 1; i++) {
		metrics_le_format(i, le_buf[i], sizeof(le_buf[i]));
		le_str[i] = le_buf[i];
	}
}

static void prom_family(FILE *f, const char *name, const char *type,
			const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One histogram series; labels are "a=\"x\",b=\"y\"", already escaped.
 * A bucket every @stride slots (1: every log2 bucket); the counts are
 * cumulative over all of them whatever the stride.
 */
static void prom_hist_stride(FILE *f, const char *name, const char *labels,
			     const struct tsmbpf_lat_hist *h, int stride)
{
	uint64_t cum = 0, total = lat_hist_total(h);
	char sum[32];
	int i;

	for (i = 0; i <= METRICS_LE_FIRST && i < TSMBPF_LAT_SLOTS; i++)
		cum += h->slots[i];
	fprintf(f, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", name, labels,
		le_str[METRICS_LE_FIRST], cum);
	for (i = METRICS_LE_FIRST + 1; i <= METRICS_LE_LAST; i++) {
		if (i < TSMBPF_LAT_SLOTS)
			cum += h->slots[i];
		if ((i - METRICS_LE_FIRST) % stride)
			continue;
		fprintf(f, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", name,
			labels, le_str[i], cum);
	}
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", name, labels,
		total);
	ns_to_seconds(h->sum_ns, sum, sizeof(sum));
	fprintf(f, "%s_sum{%s} %s\n%s_count{%s} %" PRIu64 "\n", name, labels,
		sum, name, labels, total);
}

static void prom_hist(FILE *f, const char *name, const char *labels,
		      const struct tsmbpf_lat_hist *h)
{
	prom_hist_stride(f, name, labels, h, 1);
}

static const char * const policy_metric[TSMBPF_POL_NR] = {
	[TSMBPF_POL_ATTACH] = METRIC_POLICY_ATTACH,
	[TSMBPF_POL_SWAP] = METRIC_POLICY_SWAP,
	[TSMBPF_POL_DETACH] = METRIC_POLICY_DETACH,
	[TSMBPF_POL_EJECT] = METRIC_POLICY_EJECT,
};

static const char * const policy_help[TSMBPF_POL_NR] = {
	[TSMBPF_POL_ATTACH] = "Policies attached to a platform slot.",
	[TSMBPF_POL_SWAP] = "Policies replaced in place (tsmctl policy swap).",
	[TSMBPF_POL_DETACH] = "Policies detached from a platform slot.",
	[TSMBPF_POL_EJECT] = "Policies ejected by the core for leaving a TDI half torn down.",
};

int metrics_prom_write(FILE *f, const struct lat_snapshot *s,
		       const struct metrics_opts *opts)
{
	char labels[512], name[64], bdf[32], raw[256], esc[600];
	uint32_t p, i, e, v;
	size_t t;

	le_init();

	prom_family(f, METRIC_STEP, "histogram",
		    "Latency of one firmware step of bind or unbind, per platform and step.");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (i = TSMBPF_STEP_NONE + 1; i < TSMBPF_STEP_NR; i++) {
			snprintf(labels, sizeof(labels),
				 "platform=\"%s\",step=\"%s\"",
				 platform_name(p), step_name(i));
			prom_hist(f, METRIC_STEP, labels, &s->step[p][i]);
		}
	}

	prom_family(f, METRIC_OP, "histogram",
		    "Latency of bind, accept, unbind and gated host events (receipt to completion), per platform.");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (i = 0; i < TSMBPF_OP_EVENT; i++) {
			snprintf(labels, sizeof(labels),
				 "platform=\"%s\",op=\"%s\"",
				 platform_name(p), lat_op_name(i));
			prom_hist(f, METRIC_OP, labels, &s->op[p][i]);
		}
		for (e = 0; e < TSMBPF_EV_NR; e++) {
			snprintf(labels, sizeof(labels),
				 "platform=\"%s\",op=\"event\",event=\"%s\"",
				 platform_name(p), event_name(e));
			prom_hist(f, METRIC_OP, labels, &s->event[p][e]);
		}
	}

	if (!opts || !opts->no_tdi) {
		prom_family(f, METRIC_TDI_OP, "histogram",
			    "Latency of bind, accept, unbind and host events per TDI.");
		for (t = 0; t < s->nr_tdi; t++) {
			const struct lat_tdi *d = &s->tdi[t];

			field_str(d->bdf, sizeof(d->bdf), name, sizeof(name));
			metrics_label_escape(name, bdf, sizeof(bdf));
			for (i = 0; i < TSMBPF_OP_NR; i++) {
				if (!lat_hist_total(&d->op[i]))
					continue;
				snprintf(labels, sizeof(labels),
					 "tdi=\"%u\",bdf=\"%s\",platform=\"%s\",op=\"%s\"",
					 d->id, bdf, platform_name(d->platform),
					 lat_op_name(i));
				/* 9 buckets, one per factor of 8: 4,096 TDIs
				 * scrape in a third of the time */
				prom_hist_stride(f, METRIC_TDI_OP, labels,
						 &d->op[i], METRICS_TDI_STRIDE);
			}
		}
	}

	prom_family(f, METRIC_HOST_EVENTS, "counter",
		    "Host events that revoke MMIO, per platform, event and the gate's verdict.");
	for (p = 0; p < TSMBPF_PLAT_NR; p++)
		for (e = 0; e < TSMBPF_EV_NR; e++)
			for (v = 0; v < TSMBPF_VERDICT_NR; v++)
				fprintf(f, "%s{platform=\"%s\",event=\"%s\",verdict=\"%s\"} %" PRIu64 "\n",
					METRIC_HOST_EVENTS, platform_name(p),
					event_name(e), verdict_name(v),
					s->verdicts[p][e][v]);

	for (i = 0; i < TSMBPF_POL_NR; i++) {
		prom_family(f, policy_metric[i], "counter", policy_help[i]);
		for (p = 0; p < TSMBPF_PLAT_NR; p++)
			fprintf(f, "%s{platform=\"%s\"} %" PRIu64 "\n",
				policy_metric[i], platform_name(p),
				s->policy_ops[p][i]);
	}

	prom_family(f, METRIC_TIMELINE_DROPS, "counter",
		    "Timeline records the BPF ring buffer had no room for.");
	fprintf(f, "%s %" PRIu64 "\n", METRIC_TIMELINE_DROPS, s->timeline_drops);

	prom_family(f, METRIC_POLICY_INFO, "gauge",
		    "The policy attached to each platform slot, with its settings (1).");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		const struct lat_policy *pol = &s->policy[p];

		if (!pol->attached)
			continue;
		field_str(pol->name, sizeof(pol->name), name, sizeof(name));
		metrics_label_escape(name, labels, sizeof(labels));
		field_str(pol->settings, sizeof(pol->settings), raw,
			  sizeof(raw));
		metrics_label_escape(raw, esc, sizeof(esc));
		fprintf(f, "%s{platform=\"%s\",policy=\"%s\",settings=\"%s\"} 1\n",
			METRIC_POLICY_INFO, platform_name(p), labels, esc);
	}
	prom_family(f, METRIC_POLICY_GEN, "gauge",
		    "Generation of the policy attached to each platform slot.");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		const struct lat_policy *pol = &s->policy[p];

		if (!pol->attached)
			continue;
		field_str(pol->name, sizeof(pol->name), name, sizeof(name));
		metrics_label_escape(name, labels, sizeof(labels));
		fprintf(f, "%s{platform=\"%s\",policy=\"%s\"} %" PRIu64 "\n",
			METRIC_POLICY_GEN, platform_name(p), labels,
			pol->generation);
	}

	prom_family(f, METRIC_TDIS, "gauge", "TDIs that exist.");
	fprintf(f, "%s %zu\n", METRIC_TDIS, s->nr_tdi);

	fflush(f);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------ top screen -- */

void metrics_dur_format(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void metrics_hist_bar(const struct tsmbpf_lat_hist *h, char *buf, size_t len)
{
	static const char ramp[] = " .:-=+*#%@";
	uint64_t col[METRICS_BAR_LAST - METRICS_BAR_FIRST + 1] = { 0 }, top = 0;
	size_t n = ARRAY_SIZE(col), i;
	int s;

	for (s = 0; s < TSMBPF_LAT_SLOTS; s++) {
		int c = s - METRICS_BAR_FIRST;

		if (c < 0)
			c = 0;
		if (c >= (int)n)
			c = n - 1;
		col[c] += h->slots[s];
	}
	for (i = 0; i < n; i++)
		if (col[i] > top)
			top = col[i];
	for (i = 0; i < n && i + 1 < len; i++) {
		uint64_t lvl = 0;

		if (col[i])	/* 1..9: anything at all shows */
			lvl = 1 + col[i] * 8 / top;
		buf[i] = ramp[lvl];
	}
	buf[i] = 0;
}

/* The screen is ASCII, one line per row: control bytes become '?'. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static void dur_or_dash(const struct tsmbpf_lat_hist *h, double q, char *buf,
			size_t len)
{
	if (!lat_hist_total(h))
		snprintf(buf, len, "-");
	else
		metrics_dur_format(lat_hist_quantile(h, q), buf, len);
}

static double dt_s(const struct lat_snapshot *cur,
		   const struct lat_snapshot *prev)
{
	if (!prev || cur->taken_ns <= prev->taken_ns)
		return 0;
	return (cur->taken_ns - prev->taken_ns) / 1e9;
}

#define ROW_FMT "%-8s %-14s %8s %8s %7s %7s %7s  %s\n"

static void top_row(FILE *f, const char *plat, const char *what,
		    const struct tsmbpf_lat_hist *h,
		    const struct tsmbpf_lat_hist *ph, double dt)
{
	char count[24], rate[24], p50[16], p99[16], max[16], bar[40];
	uint64_t total = lat_hist_total(h);

	snprintf(count, sizeof(count), "%" PRIu64, total);
	if (ph && dt > 0)
		snprintf(rate, sizeof(rate), "%.1f",
			 (double)(total - lat_hist_total(ph)) / dt);
	else
		snprintf(rate, sizeof(rate), "-");
	metrics_dur_format(lat_hist_quantile(h, 0.50), p50, sizeof(p50));
	metrics_dur_format(lat_hist_quantile(h, 0.99), p99, sizeof(p99));
	metrics_dur_format(h->max_ns, max, sizeof(max));
	metrics_hist_bar(h, bar, sizeof(bar));
	fprintf(f, ROW_FMT, plat, what, count, rate, p50, p99, max, bar);
}

void metrics_top_render(FILE *f, const struct lat_snapshot *cur,
			const struct lat_snapshot *prev,
			const struct top_view *view)
{
	double dt = dt_s(cur, prev);
	char name[TSMBPF_LAT_NAME_LEN + 1], settings[256], gen[24], evname[32];
	uint64_t nr_ev = 0;
	bool any = false;
	uint32_t p, i, e, v;

	fprintf(f, "tsmctl top%s%s  every %.1fs  TDIs %zu  timeline drops %" PRIu64 "\n",
		view && view->clock ? "  " : "",
		view && view->clock ? view->clock : "",
		view ? view->interval_s : 0, cur->nr_tdi, cur->timeline_drops);
	fprintf(f, "\n%-8s %-16s %5s %6s %5s %6s %5s  %s\n", "PLATFORM",
		"POLICY", "GEN", "ATTACH", "SWAP", "DETACH", "EJECT",
		"SETTINGS");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		const struct lat_policy *pol = &cur->policy[p];
		const uint64_t *po = cur->policy_ops[p];

		if (pol->attached) {
			field_str(pol->name, sizeof(pol->name), name,
				  sizeof(name));
			field_str(pol->settings, sizeof(pol->settings),
				  settings, sizeof(settings));
			snprintf(gen, sizeof(gen), "%" PRIu64, pol->generation);
			printable(name);
			printable(settings);
		} else {
			snprintf(name, sizeof(name), "(native)");
			settings[0] = 0;
			snprintf(gen, sizeof(gen), "-");
		}
		fprintf(f, "%-8s %-16s %5s %6" PRIu64 " %5" PRIu64 " %6" PRIu64
			" %5" PRIu64 "%s%s\n", platform_name(p), name, gen,
			po[TSMBPF_POL_ATTACH], po[TSMBPF_POL_SWAP],
			po[TSMBPF_POL_DETACH], po[TSMBPF_POL_EJECT],
			*settings ? "  " : "", settings);
	}

	fprintf(f, "\n" ROW_FMT, "PLATFORM", "OP / STEP", "COUNT", "RATE/s",
		"P50", "P99", "MAX", "|1us      |1ms      |1s");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (i = 0; i < TSMBPF_OP_EVENT; i++) {
			if (!lat_hist_total(&cur->op[p][i]))
				continue;
			top_row(f, platform_name(p), lat_op_name(i),
				&cur->op[p][i], prev ? &prev->op[p][i] : NULL,
				dt);
			any = true;
		}
		for (i = TSMBPF_STEP_NONE + 1; i < TSMBPF_STEP_NR; i++) {
			char what[32];

			if (!lat_hist_total(&cur->step[p][i]))
				continue;
			snprintf(what, sizeof(what), "  %s", step_name(i));
			top_row(f, platform_name(p), what, &cur->step[p][i],
				prev ? &prev->step[p][i] : NULL, dt);
			any = true;
		}
	}
	if (!any)
		fprintf(f, "(no bind, accept or unbind yet)\n");

	for (p = 0; p < TSMBPF_PLAT_NR; p++)
		for (e = 0; e < TSMBPF_EV_NR; e++)
			for (v = 0; v < TSMBPF_VERDICT_NR; v++)
				nr_ev += cur->verdicts[p][e][v];
	fprintf(f, "\n%-8s %-14s %8s %8s %8s %7s %7s  %s\n", "PLATFORM",
		"HOST EVENT", "UNBIND", "DENY", "REBIND", "P50", "P99",
		"(receipt to completion)");
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (e = 0; e < TSMBPF_EV_NR; e++) {
			const uint64_t *vc = cur->verdicts[p][e];
			const struct tsmbpf_lat_hist *h = &cur->event[p][e];
			char p50[16], p99[16];

			if (!vc[0] && !vc[1] && !vc[2] && !lat_hist_total(h))
				continue;
			dur_or_dash(h, 0.50, p50, sizeof(p50));
			dur_or_dash(h, 0.99, p99, sizeof(p99));
			snprintf(evname, sizeof(evname), "%s", event_name(e));
			fprintf(f, "%-8s %-14s %8" PRIu64 " %8" PRIu64 " %8"
				PRIu64 " %7s %7s\n", platform_name(p), evname,
				vc[TSMBPF_VERDICT_UNBIND], vc[TSMBPF_VERDICT_DENY],
				vc[TSMBPF_VERDICT_REBIND], p50, p99);
		}
	}
	if (!nr_ev)
		fprintf(f, "(no host events yet)\n");
	if (view && view->footer)
		fprintf(f, "\nq quit   counts since tsmctl top started\n");
}

static void json_hist(json_writer_t *w, const struct tsmbpf_lat_hist *h,
		      const struct tsmbpf_lat_hist *ph)
{
	uint64_t total = lat_hist_total(h);

	jsonw_uint_field(w, "count", total);
	if (ph)
		jsonw_uint_field(w, "delta", total - lat_hist_total(ph));
	jsonw_uint_field(w, "sum_ns", h->sum_ns);
	jsonw_uint_field(w, "p50_ns", lat_hist_quantile(h, 0.50));
	jsonw_uint_field(w, "p99_ns", lat_hist_quantile(h, 0.99));
	jsonw_uint_field(w, "max_ns", h->max_ns);
}

void metrics_top_json(json_writer_t *w, const struct lat_snapshot *cur,
		      const struct lat_snapshot *prev)
{
	char buf[256];
	uint32_t p, i, e, v;

	jsonw_start_object(w);
	if (prev && cur->taken_ns > prev->taken_ns)
		jsonw_uint_field(w, "interval_ns", cur->taken_ns - prev->taken_ns);
	jsonw_uint_field(w, "tdis", cur->nr_tdi);
	jsonw_uint_field(w, "timeline_drops", cur->timeline_drops);
	jsonw_name(w, "platforms");
	jsonw_start_array(w);
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		const struct lat_policy *pol = &cur->policy[p];

		jsonw_start_object(w);
		jsonw_string_field(w, "platform", platform_name(p));
		jsonw_name(w, "policy");
		if (pol->attached) {
			jsonw_start_object(w);
			field_str(pol->name, sizeof(pol->name), buf, sizeof(buf));
			jsonw_string_field(w, "name", buf);
			jsonw_uint_field(w, "generation", pol->generation);
			field_str(pol->settings, sizeof(pol->settings), buf,
				  sizeof(buf));
			jsonw_string_field(w, "settings", buf);
			jsonw_end_object(w);
		} else {
			jsonw_null(w);
		}
		jsonw_name(w, "policy_ops");
		jsonw_start_object(w);
		for (i = 0; i < TSMBPF_POL_NR; i++)
			jsonw_uint_field(w, policy_what_name(i),
					 cur->policy_ops[p][i]);
		jsonw_end_object(w);

		jsonw_name(w, "ops");
		jsonw_start_array(w);
		for (i = 0; i < TSMBPF_OP_EVENT; i++) {
			if (!lat_hist_total(&cur->op[p][i]))
				continue;
			jsonw_start_object(w);
			jsonw_string_field(w, "op", lat_op_name(i));
			json_hist(w, &cur->op[p][i], prev ? &prev->op[p][i] : NULL);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);

		jsonw_name(w, "steps");
		jsonw_start_array(w);
		for (i = TSMBPF_STEP_NONE + 1; i < TSMBPF_STEP_NR; i++) {
			if (!lat_hist_total(&cur->step[p][i]))
				continue;
			jsonw_start_object(w);
			jsonw_string_field(w, "step", step_name(i));
			json_hist(w, &cur->step[p][i],
				  prev ? &prev->step[p][i] : NULL);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);

		jsonw_name(w, "events");
		jsonw_start_array(w);
		for (e = 0; e < TSMBPF_EV_NR; e++) {
			const uint64_t *vc = cur->verdicts[p][e];

			if (!vc[0] && !vc[1] && !vc[2] &&
			    !lat_hist_total(&cur->event[p][e]))
				continue;
			jsonw_start_object(w);
			jsonw_string_field(w, "event", event_name(e));
			for (v = 0; v < TSMBPF_VERDICT_NR; v++)
				jsonw_uint_field(w, verdict_name(v), vc[v]);
			json_hist(w, &cur->event[p][e],
				  prev ? &prev->event[p][e] : NULL);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}
