/* SPDX-License-Identifier: GPL-2.0 */
/* tsmctl: shared declarations of the object files. */
#ifndef TSMCTL_MAIN_H
#define TSMCTL_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_writer.h"

#define TSMBPF_DEV		"/dev/tsmbpf"
#define TSMBPF_SYSFS		"/sys/kernel/tsmbpf"
#define TSMBPF_PIN_DIR		"/sys/fs/bpf/tsmbpf"

extern bool json_output;
extern bool pretty_output;
extern bool verbose;
extern json_writer_t *json_wtr;
extern const char *bin_name;

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv));

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a firmware refusal: errno text, platform code name and a hint. */
void p_fw_err(const char *what, int err, uint32_t fw_error);

/* Open /dev/tsmbpf; on failure prints why (module not loaded?). */
int tsmbpf_open(void);
/* ioctl with argsz/flags set by the caller; returns 0 or -errno. */
int tsmbpf_ioctl(int fd, unsigned long req, void *arg);

/* ids of all VMs or TDIs (TSMBPF_LIST_*); caller frees *ids */
int list_ids(int fd, uint32_t what, uint32_t **ids, uint32_t *count);
/*
 * /dev/tsmbpf opened and list_ids() of it: the fd, which the caller closes
 * (and frees *ids); on failure says why ("listing @name: ...") and returns
 * -1 or -errno.
 */
int list_open(uint32_t what, const char *name, uint32_t **ids,
	      uint32_t *count);
/*
 * The "list" commands: @show(fd, id) for each object of @what, in a JSON
 * array, else under the table header that @header prints.
 */
int list_all(uint32_t what, const char *name, void (*header)(void),
	     void (*show)(int fd, uint32_t id));

bool is_prefix(const char *pfx, const char *str);
#define NEXT_ARG()	({ argc--; argv++; })
#define REQ_ARGS(cnt)							\
	({								\
		int _cnt = (cnt);					\
		bool _res;						\
		if (argc < _cnt) {					\
			p_err("'%s' needs at least %d more argument(s)", \
			      argc ? argv[-1] : "command", _cnt - argc); \
			_res = false;					\
		} else {						\
			_res = true;					\
		}							\
		_res;							\
	})

/*
 * The settings in force of policy @name in the slot of @plat, as
 * "gate=strict timeout_ms=..." ("" when it has none); -ENOENT when its
 * link is not pinned under TSMBPF_PIN_DIR.  In policy.c.
 */
int policy_slot_settings(uint32_t plat, const char *name, char *buf,
			 size_t len);

int do_policy(int argc, char **argv);
int do_vm(int argc, char **argv);
int do_dev(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_top(int argc, char **argv);
int do_serve(int argc, char **argv);
int do_trace(int argc, char **argv);

#endif
