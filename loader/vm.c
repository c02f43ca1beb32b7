// SPDX-License-Identifier: GPL-2.0
/* tsmctl vm: create, destroy, list and show confidential VMs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/tsmbpf.h>

#include "main.h"
#include "names.h"

static int parse_id(const char *s, const char *what, uint32_t *id)
{
	if (u32_parse(s, id) || !*id) {
		p_err("invalid %s id '%s'", what, s);
		return -EINVAL;
	}
	return 0;
}

static int do_create(int argc, char **argv)
{
	struct tsmbpf_vm_create arg = { .argsz = sizeof(arg) };
	int fd, err;

	if (argc) {
		p_err("'vm create' takes no arguments");
		return -1;
	}
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_VM_CREATE, &arg);
	close(fd);
	if (err) {
		p_err("creating VM: %s", strerror(-err));
		return err;
	}
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "vm", arg.vm_id);
		jsonw_end_object(json_wtr);
	} else {
		printf("%u\n", arg.vm_id);
	}
	return 0;
}

/* "vm destroy all [unbind]": every VM, in one process; see dev destroy all */
static int destroy_all(uint32_t flags)
{
	struct tsmbpf_vm_destroy arg = { .argsz = sizeof(arg), .flags = flags };
	uint32_t *ids = NULL, n = 0, i, done = 0, failed = 0;
	int fd, err;

	fd = list_open(TSMBPF_LIST_VMS, "VMs", &ids, &n);
	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++) {
		arg.vm_id = ids[i];
		err = tsmbpf_ioctl(fd, TSMBPF_VM_DESTROY, &arg);
		if (!err)
			done++;
		else if (err != -ENOENT) {
			p_err("VM %u stays: %s%s", ids[i], strerror(-err),
			      err == -EBUSY && !flags ?
			      " (TDIs bound: 'vm destroy all unbind')" : "");
			failed++;
		}
	}
	close(fd);
	free(ids);
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "destroyed", done);
		jsonw_uint_field(json_wtr, "failed", failed);
		jsonw_end_object(json_wtr);
	} else {
		printf("%u VMs destroyed, %u failed\n", done, failed);
	}
	return failed ? -EIO : 0;
}

static int do_destroy(int argc, char **argv)
{
	struct tsmbpf_vm_destroy arg = { .argsz = sizeof(arg) };
	int fd, err;

	if (!REQ_ARGS(1))
		return -1;
	if (argc == 2 && !strcmp(argv[1], "unbind")) {
		arg.flags |= TSMBPF_VM_DESTROY_UNBIND;
	} else if (argc > 1) {
		p_err("unknown argument '%s'; try '%s vm help'", argv[1],
		      bin_name);
		return -1;
	}
	if (!strcmp(argv[0], "all"))
		return destroy_all(arg.flags);
	if (parse_id(argv[0], "VM", &arg.vm_id))
		return -1;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = tsmbpf_ioctl(fd, TSMBPF_VM_DESTROY, &arg);
	close(fd);
	if (err == -EBUSY && (arg.flags & TSMBPF_VM_DESTROY_UNBIND))
		p_err("VM %u: a device interface could not be unbound (see the kernel log)",
		      arg.vm_id);
	else if (err == -EBUSY)
		p_err("VM %u still has bound device interfaces; unbind them first, or 'vm destroy %u unbind'",
		      arg.vm_id, arg.vm_id);
	else if (err == -ENOENT)
		p_err("no VM %u", arg.vm_id);
	else if (err)
		p_err("destroying VM %u: %s", arg.vm_id, strerror(-err));
	return err;
}

static void print_vm_header(void)
{
	printf("%-6s %-6s %-10s %-10s %-10s %-8s %-8s %-8s %-9s %s\n", "VM",
	       "BOUND", "SPT_PAGES", "LEAVES_4K", "LEAVES_2M", "EPOCH", "KEPT",
	       "IMPORTS", "IMP_PAGES", "OWNER");
}

static void print_vm(const struct tsmbpf_vm_info *vi)
{
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "vm", vi->vm_id);
		jsonw_uint_field(json_wtr, "bound", vi->nr_bound);
		jsonw_uint_field(json_wtr, "spt_pages", vi->spt_pages);
		jsonw_uint_field(json_wtr, "spt_leaves_4k", vi->spt_leaves_4k);
		jsonw_uint_field(json_wtr, "spt_leaves_2m", vi->spt_leaves_2m);
		jsonw_uint_field(json_wtr, "spt_epoch", vi->spt_epoch);
		jsonw_uint_field(json_wtr, "spt_kept_pages", vi->spt_kept_pages);
		jsonw_uint_field(json_wtr, "imports", vi->nr_imports);
		jsonw_uint_field(json_wtr, "import_pages", vi->import_pages);
		jsonw_uint_field(json_wtr, "import_accepted",
				 vi->import_accepted);
		jsonw_uint_field(json_wtr, "owner_pid", vi->owner_pid);
		jsonw_end_object(json_wtr);
	} else {
		char owner[16] = "-";

		if (vi->owner_pid)
			snprintf(owner, sizeof(owner), "pid %u", vi->owner_pid);
		printf("%-6u %-6u %-10llu %-10llu %-10llu %-8llu %-8llu %-8u %-9llu %s\n",
		       vi->vm_id, vi->nr_bound,
		       (unsigned long long)vi->spt_pages,
		       (unsigned long long)vi->spt_leaves_4k,
		       (unsigned long long)vi->spt_leaves_2m,
		       (unsigned long long)vi->spt_epoch,
		       (unsigned long long)vi->spt_kept_pages,
		       vi->nr_imports, (unsigned long long)vi->import_pages,
		       owner);
	}
}

static int vm_info(int fd, uint32_t id, struct tsmbpf_vm_info *vi)
{
	memset(vi, 0, sizeof(*vi));
	vi->argsz = sizeof(*vi);
	vi->vm_id = id;
	return tsmbpf_ioctl(fd, TSMBPF_VM_INFO, vi);
}

/* Fetch the ids of all objects of a kind; caller frees *ids. */
int list_ids(int fd, uint32_t what, uint32_t **ids, uint32_t *count)
{
	struct tsmbpf_list arg = { .argsz = sizeof(arg), .what = what };
	uint32_t *buf = NULL;
	int err;

	for (;;) {
		err = tsmbpf_ioctl(fd, TSMBPF_LIST, &arg);
		if (err) {
			free(buf);
			return err;
		}
		if (buf && arg.count <= *count)
			break;
		free(buf);
		*count = arg.count + 16;
		buf = calloc(*count, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
		arg.ids = (uintptr_t)buf;
		arg.count = *count;
	}
	*ids = buf;
	*count = arg.count;
	return 0;
}

int list_open(uint32_t what, const char *name, uint32_t **ids,
	      uint32_t *count)
{
	int fd, err;

	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = list_ids(fd, what, ids, count);
	if (err) {
		p_err("listing %s: %s", name, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int list_all(uint32_t what, const char *name, void (*header)(void),
	     void (*show)(int fd, uint32_t id))
{
	uint32_t *ids, n, i;
	int fd;

	fd = list_open(what, name, &ids, &n);
	if (fd < 0)
		return fd;
	if (json_output)
		jsonw_start_array(json_wtr);
	else
		header();
	for (i = 0; i < n; i++)
		show(fd, ids[i]);
	if (json_output)
		jsonw_end_array(json_wtr);
	free(ids);
	close(fd);
	return 0;
}

static void show_vm(int fd, uint32_t id)
{
	struct tsmbpf_vm_info vi;

	if (!vm_info(fd, id, &vi))
		print_vm(&vi);
}

static int do_list(int argc, char **argv)
{
	return list_all(TSMBPF_LIST_VMS, "VMs", print_vm_header, show_vm);
}

static int do_show(int argc, char **argv)
{
	struct tsmbpf_vm_info vi;
	uint32_t id;
	int fd, err;

	if (!REQ_ARGS(1) || parse_id(argv[0], "VM", &id))
		return -1;
	fd = tsmbpf_open();
	if (fd < 0)
		return -1;
	err = vm_info(fd, id, &vi);
	close(fd);
	if (err) {
		p_err(err == -ENOENT ? "no VM %u" : "VM %u: %s", id,
		      strerror(-err));
		return err;
	}
	if (!json_output)
		print_vm_header();
	print_vm(&vi);
	return 0;
}

static int do_help(int argc, char **argv)
{
	printf("Usage: %s vm create\n"
	       "       %s vm destroy { VM | all } [unbind]\n"
	       "       %s vm list\n"
	       "       %s vm show VM\n"
	       "       %s vm help\n"
	       "\n"
	       "A VM is a confidential VM (TD, SNP guest, realm).  Destroy is refused\n"
	       "while device interfaces are bound to it, unless 'unbind' is given, as\n"
	       "a VMM's exit does: each is then unbound first, through its platform\n"
	       "policy's gate (a vm_destroy host event, which cannot be refused).\n",
	       bin_name, bin_name, bin_name, bin_name, bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "create",	do_create },
	{ "destroy",	do_destroy },
	{ "list",	do_list },
	{ "show",	do_show },
	{ "help",	do_help },
	{ 0 }
};

int do_vm(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_help);
}
