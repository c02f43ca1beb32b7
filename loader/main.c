// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl - control tsmbpf: VMs, device interfaces and BPF policies.
 *
 *   tsmctl [OPTIONS] OBJECT COMMAND [ARGS]
 *
 * Layout follows bpftool: one file per object with a cmds[] table, one
 * JSON-aware error printer.  Explicit help goes to stdout and exits 0;
 * usage errors go to stderr and exit non-zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "main.h"
#include "names.h"

bool json_output;
bool pretty_output;
bool verbose;
json_writer_t *json_wtr;
const char *bin_name = "tsmctl";

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (json_output) {
		char buf[1024];

		vsnprintf(buf, sizeof(buf), fmt, ap);
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "error", buf);
		jsonw_end_object(json_wtr);
	} else {
		fprintf(stderr, "Error: ");
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
	}
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

void p_fw_err(const char *what, int err, uint32_t fw_error)
{
	if (!fw_error) {
		p_err("%s: %s", what, strerror(-err));
		return;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "error", strerror(-err));
		jsonw_string_field(json_wtr, "operation", what);
		jsonw_string_field(json_wtr, "fw_error", fw_error_name(fw_error));
		jsonw_uint_field(json_wtr, "fw_code", fw_error);
		jsonw_string_field(json_wtr, "hint", fw_error_hint(fw_error));
		jsonw_end_object(json_wtr);
		return;
	}
	fprintf(stderr, "Error: %s: %s: firmware returned %s (%#x)\n", what,
		strerror(-err), fw_error_name(fw_error), fw_error);
	if (*fw_error_hint(fw_error))
		fprintf(stderr, "Hint: %s\n", fw_error_hint(fw_error));
}

int tsmbpf_open(void)
{
	int fd = open(TSMBPF_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			p_err("%s not found: is tsmbpf.ko loaded?", TSMBPF_DEV);
		else
			p_err("can't open %s: %s", TSMBPF_DEV, strerror(errno));
		return -1;
	}
	return fd;
}

int tsmbpf_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static const struct cmd main_cmds[];

bool is_prefix(const char *pfx, const char *str)
{
	return *pfx && !strncmp(str, pfx, strlen(pfx));
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv))
{
	const struct cmd *c;

	if (argc < 1)
		return help ? help(argc, argv) : -1;
	for (c = cmds; c->name; c++)
		if (is_prefix(argv[0], c->name))
			return c->func(argc - 1, argv + 1);
	if (cmds == main_cmds)
		p_err("unknown object '%s'; try '%s help'", argv[0], bin_name);
	else
		p_err("unknown command '%s'; try '%s %s help'", argv[0],
		      bin_name, argv[-1]);
	return -1;
}

static int do_help(int argc, char **argv)
{
	printf("Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n"
	       "       %s version\n"
	       "\n"
	       "       OBJECT := { policy | vm | dev | stats | trace | top | serve }\n"
	       "       OPTIONS := { -j|--json [-p|--pretty] | -v|--verbose | -h|--help }\n"
	       "\n"
	       "Run '%s OBJECT help' for the commands of an object.\n",
	       bin_name, bin_name, bin_name);
	return 0;
}

static int do_version(int argc, char **argv)
{
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "version", "0.1");
		jsonw_uint_field(json_wtr, "uapi", TSMBPF_API_VERSION);
		jsonw_end_object(json_wtr);
	} else {
		printf("tsmctl 0.1 (uAPI %d)\n", TSMBPF_API_VERSION);
	}
	return 0;
}

static const struct cmd main_cmds[] = {
	{ "help",	do_help },
	{ "policy",	do_policy },
	{ "vm",		do_vm },
	{ "dev",	do_dev },
	{ "stats",	do_stats },
	{ "top",	do_top },
	{ "serve",	do_serve },
	{ "trace",	do_trace },
	{ "version",	do_version },
	{ 0 }
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json",	no_argument,	NULL,	'j' },
		{ "pretty",	no_argument,	NULL,	'p' },
		{ "verbose",	no_argument,	NULL,	'v' },
		{ "help",	no_argument,	NULL,	'h' },
		{ 0 }
	};
	int opt, ret;

	setlinebuf(stdout);
	while ((opt = getopt_long(argc, argv, "+jpvh", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = true;
			pretty_output = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			return do_help(0, NULL);
		default:
			fprintf(stderr, "Try '%s help'.\n", bin_name);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		do_help(0, NULL);
		return 2;
	}

	if (json_output) {
		json_wtr = jsonw_new(stdout);
		if (!json_wtr) {
			fprintf(stderr, "Error: out of memory\n");
			return 1;
		}
		jsonw_pretty(json_wtr, pretty_output);
	}

	ret = cmd_select(main_cmds, argc, argv, do_help);

	if (json_output)
		jsonw_destroy(&json_wtr);
	return ret ? 1 : 0;
}
