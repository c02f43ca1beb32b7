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

/* The counters of TSMBPF_STATS, one per line or as a JSON object. */
static void print_stats(const struct tsmbpf_stats *st)
{
	const struct {
		const char *name;
		unsigned long long val;
	} *f, fields[] = {
		{ "vms", st->nr_vms },
		{ "tdis", st->nr_tdis },
		{ "binds", st->binds },
		{ "unbinds", st->unbinds },
		{ "unbinds_native", st->unbinds_native },
		{ "unbinds_policy", st->unbinds_policy },
		{ "policy_ejections", st->policy_ejections },
		{ "fw_calls", st->fw_calls },
		{ "fw_refused", st->fw_refused },
		{ "spt_pages", st->spt_pages },
		{ "faults", st->faults },
		{ "spt_kept_pages", st->spt_kept_pages },
		{ "unbinds_fw_fallback", st->unbinds_fw_fallback },
		{ NULL, 0 },
	};

	if (json_output)
		jsonw_start_object(json_wtr);
	for (f = fields; f->name; f++) {
		if (json_output)
			jsonw_uint_field(json_wtr, f->name, f->val);
		else
			printf("%-18s %llu\n", f->name, f->val);
	}
	if (json_output)
		jsonw_end_object(json_wtr);
}

int do_stats(int argc, char **argv)
{
	struct tsmbpf_stats st = { .argsz = sizeof(st) };
	int fd, err;

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
	print_stats(&st);
	return 0;
}
