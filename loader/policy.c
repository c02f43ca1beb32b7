// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl policy: load, swap, unload, list and show struct_ops policies.
 *
 * A policy object holds one or more struct tsmbpf_ops maps.  Each is
 * attached through a struct_ops link pinned at /sys/fs/bpf/tsmbpf/<map>,
 * the same place `bpftool struct_ops register OBJ /sys/fs/bpf/tsmbpf`
 * pins it, so either tool can list or unload what the other loaded.
 * A swap replaces the map behind a pinned link atomically
 * (bpf_link__update_map); the kernel's .update callback does the rest.
 * Load and swap take "set SETTING=VALUE" settings, written into the
 * object's .rodata before load (loader/settings.c); list and show print
 * the settings in force.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/tsmbpf.h>

#include "main.h"
#include "names.h"
#include "settings.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * The kernel explains a refused policy (init_member, validate, a taken
 * slot) in its log.  Remember where the log ends before an attach and
 * print the tsmbpf lines that appeared after it.
 */
static int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static void kmsg_report(int fd)
{
	char buf[1024];
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n < 0)
			continue;
		buf[n] = '\0';
		msg = strchr(buf, ';');
		if (!msg || !strstr(msg, "tsmbpf"))
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		if (json_output)
			continue;
		fprintf(stderr, "kernel: %s\n", msg);
	}
	close(fd);
}

static int pin_path(char *buf, size_t len, const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		p_err("invalid policy name '%s'", name);
		return -EINVAL;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", TSMBPF_PIN_DIR, name) >= len) {
		p_err("policy name '%s' too long", name);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int ensure_pin_dir(void)
{
	if (mkdir(TSMBPF_PIN_DIR, 0700) && errno != EEXIST) {
		p_err("can't create %s: %s (is bpffs mounted on /sys/fs/bpf?)",
		      TSMBPF_PIN_DIR, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * [set SETTING=VALUE]...: *assigns gets the SETTING=VALUE strings (in argv),
 * *nr their number.  The caller frees *assigns.
 */
static int settings_args(int argc, char **argv, const char *usage,
			 char ***assigns, int *nr)
{
	char **a;
	int i;

	*assigns = NULL;
	*nr = 0;
	a = calloc(argc / 2 + 1, sizeof(*a));
	if (!a) {
		p_err("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < argc; i += 2) {
		if (strcmp(argv[i], "set") || i + 1 == argc ||
		    !strchr(argv[i + 1], '=') || argv[i + 1][0] == '=') {
			p_err("expected 'set SETTING=VALUE' at '%s'; usage: %s",
			      strcmp(argv[i], "set") || i + 1 == argc ?
			      argv[i] : argv[i + 1], usage);
			free(a);
			return -EINVAL;
		}
		a[(*nr)++] = argv[i + 1];
	}
	*assigns = a;
	return 0;
}

static struct bpf_object *open_and_load(const char *file, char **assigns,
					int nr)
{
	struct bpf_object *obj;
	int err;

	obj = bpf_object__open_file(file, NULL);
	if (!obj) {
		p_err("can't open %s: %s", file, strerror(errno));
		return NULL;
	}
	/* before load: the kernel freezes .rodata and the verifier reads it */
	err = settings_apply(obj, file, assigns, nr);
	if (err) {
		bpf_object__close(obj);
		return NULL;
	}
	err = bpf_object__load(obj);
	if (err) {
		p_err("loading %s failed: %s (the verifier's log is above)",
		      file, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static int do_load(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_map *map;
	char path[PATH_MAX];
	char **assigns;
	int err = 0, n = 0, nr, kfd;

	if (!REQ_ARGS(1))
		return -1;
	err = settings_args(argc - 1, argv + 1,
			    "policy load OBJ [set SETTING=VALUE]...", &assigns,
			    &nr);
	if (err)
		return err;
	obj = open_and_load(argv[0], assigns, nr);
	if (!obj) {
		err = -1;
		goto out_free;
	}
	err = ensure_pin_dir();
	if (err)
		goto out_obj;

	if (json_output)
		jsonw_start_array(json_wtr);
	bpf_object__for_each_map(map, obj) {
		struct bpf_link *link;

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		err = pin_path(path, sizeof(path), bpf_map__name(map));
		if (err)
			break;
		if (!access(path, F_OK)) {
			p_err("policy '%s' is already loaded (%s); unload or swap it",
			      bpf_map__name(map), path);
			err = -EEXIST;
			break;
		}
		kfd = kmsg_mark();
		link = bpf_map__attach_struct_ops(map);
		if (!link) {
			err = -errno;
			p_err("attaching policy '%s' failed: %s",
			      bpf_map__name(map), strerror(-err));
			kmsg_report(kfd);
			break;
		}
		if (kfd >= 0)
			close(kfd);
		err = bpf_link__pin(link, path);
		if (err) {
			p_err("pinning %s failed: %s", path, strerror(-err));
			bpf_link__destroy(link);
			break;
		}
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "name", bpf_map__name(map));
			jsonw_string_field(json_wtr, "pinned", path);
			jsonw_end_object(json_wtr);
		} else {
			printf("loaded policy %s, link pinned at %s\n",
			       bpf_map__name(map), path);
		}
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		n++;
	}
	if (json_output)
		jsonw_end_array(json_wtr);
	if (!err && !n) {
		p_err("%s has no struct_ops policy", argv[0]);
		err = -ENOENT;
	}
out_obj:
	bpf_object__close(obj);
out_free:
	free(assigns);
	return err;
}

static int do_unload(int argc, char **argv)
{
	char path[PATH_MAX];
	int fd, err;

	if (!REQ_ARGS(1))
		return -1;
	err = pin_path(path, sizeof(path), argv[0]);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		p_err("policy '%s' is not loaded (%s: %s)", argv[0], path,
		      strerror(errno));
		return -1;
	}
	/* detach now, even if someone else holds the link open */
	if (bpf_link_detach(fd) && errno != EINVAL)
		p_info("warning: detaching %s: %s", argv[0], strerror(errno));
	close(fd);
	if (unlink(path)) {
		p_err("can't remove %s: %s", path, strerror(errno));
		return -1;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "unloaded", argv[0]);
		jsonw_end_object(json_wtr);
	} else {
		printf("unloaded policy %s\n", argv[0]);
	}
	return 0;
}

static int do_swap(int argc, char **argv)
{
	char path[PATH_MAX], newpath[PATH_MAX];
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map, *found = NULL;
	char **assigns;
	int err, nr, kfd;

	if (!REQ_ARGS(2))
		return -1;
	err = pin_path(path, sizeof(path), argv[0]);
	if (err)
		return err;
	err = settings_args(argc - 2, argv + 2,
			    "policy swap NAME OBJ [set SETTING=VALUE]...",
			    &assigns, &nr);
	if (err)
		return err;
	link = bpf_link__open(path);
	if (!link) {
		p_err("policy '%s' is not loaded (%s)", argv[0], path);
		free(assigns);
		return -1;
	}
	obj = open_and_load(argv[1], assigns, nr);
	if (!obj) {
		err = -1;
		goto out_link;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (found) {
			p_err("%s has more than one policy; swap takes one",
			      argv[1]);
			err = -EINVAL;
			goto out_obj;
		}
		found = map;
	}
	if (!found) {
		p_err("%s has no struct_ops policy", argv[1]);
		err = -ENOENT;
		goto out_obj;
	}
	err = pin_path(newpath, sizeof(newpath), bpf_map__name(found));
	if (err)
		goto out_obj;
	if (strcmp(path, newpath) && !access(newpath, F_OK)) {
		p_err("policy '%s' is already loaded", bpf_map__name(found));
		err = -EEXIST;
		goto out_obj;
	}
	kfd = kmsg_mark();
	err = bpf_link__update_map(link, found);
	if (err) {
		p_err("swapping %s -> %s failed: %s", argv[0],
		      bpf_map__name(found), strerror(-err));
		kmsg_report(kfd);
		goto out_obj;
	}
	if (kfd >= 0)
		close(kfd);
	if (strcmp(path, newpath) && rename(path, newpath))
		p_info("warning: link stays pinned at %s: %s", path,
		       strerror(errno));
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "old", argv[0]);
		jsonw_string_field(json_wtr, "new", bpf_map__name(found));
		jsonw_end_object(json_wtr);
	} else {
		printf("swapped policy %s -> %s\n", argv[0],
		       bpf_map__name(found));
	}
out_obj:
	bpf_object__close(obj);
out_link:
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	free(assigns);
	return err;
}

struct policy_info {
	char name[NAME_MAX + 1];
	uint32_t link_id;
	uint32_t map_id;
	char map_name[BPF_OBJ_NAME_LEN];
};

static int policy_info_get(const char *name, struct policy_info *pi)
{
	struct bpf_link_info linfo = {};
	struct bpf_map_info minfo = {};
	uint32_t len;
	char path[PATH_MAX];
	int fd, mfd, err;

	memset(pi, 0, sizeof(*pi));
	snprintf(pi->name, sizeof(pi->name), "%s", name);
	err = pin_path(path, sizeof(path), name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	len = sizeof(linfo);
	err = bpf_link_get_info_by_fd(fd, &linfo, &len);
	close(fd);
	if (err)
		return -errno;
	pi->link_id = linfo.id;
	if (linfo.type != BPF_LINK_TYPE_STRUCT_OPS)
		return -EINVAL;
	pi->map_id = linfo.struct_ops.map_id;
	mfd = bpf_map_get_fd_by_id(pi->map_id);
	if (mfd < 0)
		return 0;	/* detached link */
	len = sizeof(minfo);
	if (!bpf_map_get_info_by_fd(mfd, &minfo, &len))
		snprintf(pi->map_name, sizeof(pi->map_name), "%s", minfo.name);
	close(mfd);
	return 0;
}

/*
 * The struct_ops map behind the slot of @plat held by policy @name: the
 * pinned link whose ops have that name and platform.  -ENOENT when no
 * link under TSMBPF_PIN_DIR has it (attached by a program that did not
 * pin its link there).
 */
static int slot_ops_get(uint32_t plat, const char *name,
			struct attached_ops *ao)
{
	struct policy_info pi;
	struct dirent *de;
	int err = -ENOENT;
	DIR *dir;

	dir = opendir(TSMBPF_PIN_DIR);
	while (dir && err && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (policy_info_get(de->d_name, &pi) || !pi.map_id ||
		    attached_ops_get(pi.map_id, ao))
			continue;
		if ((ao->platforms & (1U << plat)) &&
		    !strcmp(ao->name, name))
			err = 0;
	}
	if (dir)
		closedir(dir);
	return err;
}

int policy_slot_settings(uint32_t plat, const char *name, char *buf,
			 size_t len)
{
	struct attached_ops ao;
	int err;

	buf[0] = '\0';
	err = slot_ops_get(plat, name, &ao);
	if (!err)
		settings_format(ao.rodata_id, buf, len);
	return err;
}

static void print_slots(void)
{
	char line[256], plat[32], name[64];
	unsigned long long gen;
	FILE *f;

	f = fopen(TSMBPF_SYSFS "/policies", "r");
	if (!f)
		return;
	if (json_output) {
		jsonw_name(json_wtr, "slots");
		jsonw_start_array(json_wtr);
	} else {
		printf("%-10s %-24s\n", "PLATFORM", "POLICY");
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %63s %llu", plat, name, &gen) != 3)
			continue;
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "platform", plat);
			if (strcmp(name, "-"))
				jsonw_string_field(json_wtr, "policy", name);
			else
				jsonw_name(json_wtr, "policy"), jsonw_null(json_wtr);
			jsonw_uint_field(json_wtr, "generation", gen);
			jsonw_end_object(json_wtr);
		} else {
			printf("%-10s %-24s\n", plat,
			       strcmp(name, "-") ? name : "(native fallback)");
		}
	}
	fclose(f);
	if (json_output)
		jsonw_end_array(json_wtr);
}

static int do_list(int argc, char **argv)
{
	struct attached_ops ao;
	struct policy_info pi;
	char settings[512];
	struct dirent *de;
	bool have_ops;
	DIR *dir;

	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_name(json_wtr, "policies");
		jsonw_start_array(json_wtr);
	} else {
		printf("%-24s %-8s %-8s %s\n", "PINNED", "LINK", "MAP",
		       "SETTINGS");
	}
	dir = opendir(TSMBPF_PIN_DIR);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (policy_info_get(de->d_name, &pi))
			continue;
		have_ops = pi.map_id && !attached_ops_get(pi.map_id, &ao);
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "name", pi.name);
			jsonw_uint_field(json_wtr, "link_id", pi.link_id);
			jsonw_uint_field(json_wtr, "map_id", pi.map_id);
			jsonw_name(json_wtr, "settings");
			if (have_ops)
				settings_print_json(ao.rodata_id);
			else
				jsonw_null(json_wtr);
			jsonw_end_object(json_wtr);
		} else {
			settings[0] = '\0';
			if (have_ops)
				settings_format(ao.rodata_id, settings,
						sizeof(settings));
			printf("%-24s %-8u %-8u %s\n", pi.name, pi.link_id,
			       pi.map_id, settings[0] ? settings : "-");
		}
	}
	if (dir)
		closedir(dir);
	if (json_output)
		jsonw_end_array(json_wtr);
	else
		printf("\n");
	print_slots();
	if (json_output)
		jsonw_end_object(json_wtr);
	return 0;
}

static const char *exit_kind_name(uint32_t kind)
{
	static const char * const names[] = {
		[TSMBPF_EXIT_NONE] = "none",
		[TSMBPF_EXIT_UNREG] = "unregistered",
		[TSMBPF_EXIT_ERROR] = "error",
		[TSMBPF_EXIT_INVARIANT] = "invariant",
		[TSMBPF_EXIT_TIMEOUT] = "timeout",
		[TSMBPF_EXIT_BAD_RETURN] = "bad-return",
		[TSMBPF_EXIT_INIT] = "init",
		[TSMBPF_EXIT_SWAP] = "swapped",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static void print_exit(const struct tsmbpf_exit_info *e)
{
	if (json_output) {
		jsonw_name(json_wtr, "exit");
		if (e->kind == TSMBPF_EXIT_NONE) {
			jsonw_null(json_wtr);
			return;
		}
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "kind", exit_kind_name(e->kind));
		jsonw_string_field(json_wtr, "policy", e->policy);
		jsonw_uint_field(json_wtr, "generation", e->generation);
		jsonw_string_field(json_wtr, "callback", e->callback);
		jsonw_uint_field(json_wtr, "tdi", e->tdi);
		jsonw_int_field(json_wtr, "ret", e->ret);
		jsonw_string_field(json_wtr, "missing_step", step_name(e->step));
		jsonw_string_field(json_wtr, "fw_error", fw_error_name(e->fw_error));
		jsonw_uint_field(json_wtr, "duration_ns", e->duration_ns);
		jsonw_string_field(json_wtr, "msg", e->msg);
		jsonw_end_object(json_wtr);
		return;
	}
	if (e->kind == TSMBPF_EXIT_NONE)
		return;
	/* like sched_ext's loaders: one EXIT line, then the details */
	printf("  EXIT: %s (policy %s, generation %llu)\n",
	       exit_kind_name(e->kind), e->policy,
	       (unsigned long long)e->generation);
	if (e->kind == TSMBPF_EXIT_UNREG)
		return;
	printf("    in %s() on tdi %u, returned %d after %llu us\n",
	       e->callback[0] ? e->callback : "?", e->tdi, e->ret,
	       (unsigned long long)e->duration_ns / 1000);
	if (e->step)
		printf("    missing step: %s (the native sequence finished it)\n",
		       step_name(e->step));
	if (e->fw_error)
		printf("    last firmware error: %s\n", fw_error_name(e->fw_error));
	if (e->msg[0])
		printf("    message: %s\n", e->msg);
}

static int do_show(int argc, char **argv)
{
	struct tsmbpf_policy_info pi;
	struct attached_ops ao;
	char settings[512];
	bool have_ops;
	uint32_t plat, first = 0, last = TSMBPF_PLAT_NR - 1;
	int fd, err = 0;

	if (argc > 1) {
		p_err("usage: policy show [PLATFORM]");
		return -1;
	}
	if (argc == 1) {
		if (platform_parse(argv[0], &plat)) {
			p_err("unknown platform '%s' (tdx, sev-tio, cca)", argv[0]);
			return -1;
		}
		first = last = plat;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	if (json_output)
		jsonw_start_array(json_wtr);
	for (plat = first; plat <= last; plat++) {
		memset(&pi, 0, sizeof(pi));
		pi.argsz = sizeof(pi);
		pi.platform = plat;
		err = tsmbpf_ioctl(fd, TSMBPF_POLICY_INFO, &pi);
		if (err) {
			p_err("policy slot %s: %s", platform_name(plat),
			      strerror(-err));
			break;
		}
		have_ops = pi.attached && !slot_ops_get(plat, pi.name, &ao);
		if (json_output) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "platform", platform_name(plat));
			jsonw_name(json_wtr, "policy");
			if (pi.attached)
				jsonw_string(json_wtr, pi.name);
			else
				jsonw_null(json_wtr);
			jsonw_uint_field(json_wtr, "generation", pi.generation);
			jsonw_uint_field(json_wtr, "calls", pi.calls);
			jsonw_name(json_wtr, "settings");
			if (have_ops)
				settings_print_json(ao.rodata_id);
			else
				jsonw_null(json_wtr);
			print_exit(&pi.exit);
			jsonw_end_object(json_wtr);
			continue;
		}
		printf("%s: %s", platform_name(plat),
		       pi.attached ? pi.name : "native fallback");
		if (pi.attached)
			printf(" (generation %llu)",
			       (unsigned long long)pi.generation);
		printf(", %llu policy calls\n", (unsigned long long)pi.calls);
		if (have_ops) {
			settings_format(ao.rodata_id, settings,
					sizeof(settings));
			if (settings[0])
				printf("  settings: %s\n", settings);
		}
		print_exit(&pi.exit);
	}
	if (json_output)
		jsonw_end_array(json_wtr);
	close(fd);
	return err;
}

static int do_help(int argc, char **argv)
{
	printf("Usage: %s policy load OBJ [set SETTING=VALUE]...\n"
	       "       %s policy swap NAME OBJ [set SETTING=VALUE]...\n"
	       "       %s policy unload NAME\n"
	       "       %s policy list\n"
	       "       %s policy show [PLATFORM]\n"
	       "       %s policy help\n"
	       "\n"
	       "       VALUE := { true | false | yes | no | 1 | 0 | INTEGER | ENUMERATOR }\n"
	       "\n"
	       "OBJ is a compiled policy (e.g. policies/tdx_connect.bpf.o); NAME is\n"
	       "the policy's struct_ops map name, pinned under %s/.\n"
	       "\n"
	       "A SETTING is a read-only global of the policy, 'const volatile' in\n"
	       ".rodata: a bool, an integer or an enum the policy declares.  'set'\n"
	       "writes it before load and the verifier sees it as a constant.  An\n"
	       "INTEGER is decimal or 0x hex, in the range of its type; an ENUMERATOR\n"
	       "is named without the prefix all the enum's enumerators share, in any\n"
	       "case ('strict' for TSMBPF_GATE_STRICT).  An unknown setting or a bad\n"
	       "value is refused with the list of valid ones, and nothing is loaded.\n"
	       "The platform policies (tdx_connect, sev_tio, cca) take\n"
	       "gate=default|strict|rebind, the verdict of revoke_gate() on a host\n"
	       "event that revokes MMIO:\n"
	       "  default  unbind first, for every event\n"
	       "  strict   deny D3hot and runtime-PM low-power entry while the TDI is\n"
	       "           RUN; other events as default\n"
	       "  rebind   unbind, then bind again after FLR, AF FLR, VFIO reset and\n"
	       "           hot reset; other events as default\n"
	       "tdx_connect also takes rebind_after_reset=BOOL (re-bind after resets\n"
	       "under any gate) and cca purge_keys=BOOL (drop the IDE keys at unbind).\n"
	       "\n"
	       "'list' and 'show' print the settings in force.  'show' prints each\n"
	       "platform's slot and the exit record of the last policy that left it\n"
	       "(ejected or detached).\n",
	       bin_name, bin_name, bin_name, bin_name, bin_name, bin_name,
	       TSMBPF_PIN_DIR);
	return 0;
}

static const struct cmd cmds[] = {
	{ "load",	do_load },
	{ "swap",	do_swap },
	{ "unload",	do_unload },
	{ "list",	do_list },
	{ "show",	do_show },
	{ "help",	do_help },
	{ 0 }
};

int do_policy(int argc, char **argv)
{
	int err;

	libbpf_set_print(libbpf_print);
	err = cmd_select(cmds, argc, argv, do_help);
	settings_cleanup();
	return err;
}
