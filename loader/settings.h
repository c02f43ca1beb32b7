/* SPDX-License-Identifier: GPL-2.0 */
/* tsmctl: settings of policies, the `const volatile` globals in .rodata. */
#ifndef TSMCTL_SETTINGS_H
#define TSMCTL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>
#include <linux/tsmbpf.h>

/*
 * Write "NAME=VALUE" assignments into the .rodata of @obj, opened and not
 * loaded yet.  On an unknown name or a bad value, prints an error that
 * lists the settings of @file and their values, and returns -EINVAL.
 */
int settings_apply(struct bpf_object *obj, const char *file,
		   char * const *assigns, int nr);

/* What the kernel holds for the struct_ops map of an attached policy. */
struct attached_ops {
	uint32_t map_id;
	char name[TSMBPF_NAME_LEN];	/* tsmbpf_ops.name */
	uint32_t platforms;		/* tsmbpf_ops.platforms */
	uint32_t rodata_id;		/* its programs' .rodata map, 0: none */
};

/* Read the ops of struct_ops map @map_id; 0 or -errno. */
int attached_ops_get(uint32_t map_id, struct attached_ops *ao);

/*
 * The settings in force, read from the .rodata map @rodata_id (0: the
 * policy has none): in JSON the value {"gate": "strict",
 * "rebind_after_reset": false}, null when they cannot be read; in text
 * "gate=strict rebind_after_reset=false", "" when there are none or they
 * cannot be read.
 */
void settings_print_json(uint32_t rodata_id);
void settings_format(uint32_t rodata_id, char *buf, size_t len);

/* Free the kernel BTF that attached_ops_get() keeps between calls. */
void settings_cleanup(void);

#endif
