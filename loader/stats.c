// SPDX-License-Identifier: GPL-2.0
/* tsmctl stats: the core's counters, and firmware calls per step. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "main.h"

/*
 * tsmctl stats steps: /sys/kernel/tsmbpf/steps, one line per platform and
 * step the firmware was asked for: "PLATFORM STEP CALLS REFUSED".
 */
static int do_steps(void)
{
	char plat[32], step[32];
	unsigned long long calls, refused;
	int n, lines = 0;
	FILE *f;

	f = fopen(TSMBPF_SYSFS "/steps", "r");
	if (!f) {
		p_err("cannot read %s/steps: %s (is tsmbpf loaded?)",
		      TSMBPF_SYSFS, strerror(errno));
		return -1;
	}
	if (json_output)
		jsonw_start_array(json_wtr);
	else
		printf("%-8s %-13s %12s %10s\n", "PLATFORM", "STEP", "CALLS",
		       "REFUSED");
	while ((n = fscanf(f, "%31s %31s %llu %llu", plat, step, &calls,
			   &refused)) == 4) {
		lines++;
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "platform", plat);
			jsonw_string_field(json_wtr, "step", step);
			jsonw_uint_field(json_wtr, "calls", calls);
			jsonw_uint_field(json_wtr, "refused", refused);
			jsonw_end_object(json_wtr);
		} else {
			printf("%-8s %-13s %12llu %10llu\n", plat, step, calls,
			       refused);
		}
	}
	fclose(f);
	if (json_output)
		jsonw_end_array(json_wtr);
	if (n != EOF) {
		p_err("%s/steps: unexpected line %d", TSMBPF_SYSFS, lines + 1);
		return -1;
	}
	return 0;
}

int do_stats(int argc, char **argv)
{
	struct tsmbpf_stats st = { .argsz = sizeof(st) };
	const struct {
		const char *name;
		unsigned long long val;
	} *f, fields[] = {
		{ "vms", 0 }, { "tdis", 0 }, { "binds", 0 }, { "unbinds", 0 },
		{ "unbinds_native", 0 }, { "unbinds_policy", 0 },
		{ "policy_ejections", 0 }, { "fw_calls", 0 },
		{ "fw_refused", 0 }, { "spt_pages", 0 }, { "faults", 0 },
		{ "spt_kept_pages", 0 }, { NULL, 0 },
	};
	unsigned long long vals[12];
	int fd, err, i;

	if (argc > 1) {
		p_err("unexpected argument '%s'; try '%s stats help'", argv[1],
		      bin_name);
		return -1;
	}
	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: %s stats [show]\n"
		       "       %s stats steps\n"
		       "\n"
		       "show: the core's counters; steps: firmware calls and refusals\n"
		       "per platform and step.\n", bin_name, bin_name);
		return 0;
	}
	if (argc && !strcmp(argv[0], "steps"))
		return do_steps();
	if (argc && strcmp(argv[0], "show")) {
		p_err("unknown command '%s'; try '%s stats help'", argv[0],
		      bin_name);
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_STATS, &st);
	close(fd);
	if (err) {
		p_err("reading stats: %s", strerror(-err));
		return err;
	}
	vals[0] = st.nr_vms;
	vals[1] = st.nr_tdis;
	vals[2] = st.binds;
	vals[3] = st.unbinds;
	vals[4] = st.unbinds_native;
	vals[5] = st.unbinds_policy;
	vals[6] = st.policy_ejections;
	vals[7] = st.fw_calls;
	vals[8] = st.fw_refused;
	vals[9] = st.spt_pages;
	vals[10] = st.faults;
	vals[11] = st.spt_kept_pages;
	if (json_output)
		jsonw_start_object(json_wtr);
	for (f = fields, i = 0; f->name; f++, i++) {
		if (json_output)
			jsonw_uint_field(json_wtr, f->name, vals[i]);
		else
			printf("%-18s %llu\n", f->name, vals[i]);
	}
	if (json_output)
		jsonw_end_object(json_wtr);
	return 0;
}
