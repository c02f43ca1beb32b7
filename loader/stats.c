// SPDX-License-Identifier: GPL-2.0
/* tsmctl stats: the core's counters. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "main.h"

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
		{ NULL, 0 },
	};
	unsigned long long vals[11];
	int fd, err, i;

	if (argc && strcmp(argv[0], "show")) {
		if (!strcmp(argv[0], "help")) {
			printf("Usage: %s stats [show]\n", bin_name);
			return 0;
		}
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
