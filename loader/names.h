/* SPDX-License-Identifier: GPL-2.0 */
/* Names of tsmbpf uAPI values and parsers for command-line arguments. */
#ifndef TSMCTL_NAMES_H
#define TSMCTL_NAMES_H

#include <stdbool.h>
#include <stdint.h>

const char *platform_name(uint32_t plat);
int platform_parse(const char *s, uint32_t *plat);
const char *tdisp_state_name(uint32_t state);
const char *viommu_name(uint32_t viommu);
int viommu_parse(const char *s, uint32_t *viommu);
const char *reason_name(uint32_t reason);
int reason_parse(const char *s, uint32_t *reason);
const char *step_name(uint32_t step);
const char *event_name(uint32_t event);
int event_parse(const char *s, uint32_t *event);
int step_parse(const char *s, uint32_t *step);

/* Firmware error code: its platform name and what would fix it. */
const char *fw_error_name(uint32_t code);
const char *fw_error_hint(uint32_t code);

/* "ssss:bb:dd.f" or "bb:dd.f" -> TSMBPF_BDF(); -EINVAL on bad input. */
int bdf_parse(const char *s, uint32_t *bdf);
void bdf_format(uint32_t bdf, char *buf, int len);

/* "4096", "4K", "2M", "64G", "1T" (binary units); -EINVAL/-ERANGE. */
int size_parse(const char *s, uint64_t *size);
void size_format(uint64_t size, char *buf, int len);

/* decimal u32; -EINVAL on junk, -ERANGE when too big. */
int u32_parse(const char *s, uint32_t *v);

/*
 * Settings of a policy: its `const volatile` globals in .rodata, which
 * tsmctl writes before load ("set NAME=VALUE").  A setting is a bool, an
 * integer of 1, 2, 4 or 8 bytes, or an enum declared in the policy.  An
 * enum value is named by an enumerator without the prefix all the
 * enumerators share (up to its last '_'), in any case, '-' for '_':
 * enum tsmbpf_gate { TSMBPF_GATE_DEFAULT, TSMBPF_GATE_STRICT } takes
 * "default" and "strict" (and the full names).  The parsers are pure, so
 * that the host unit tests cover them; loader/settings.c builds the types
 * from BTF.
 */
enum setting_kind {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_ENUM,
};

struct setting_enumerator {
	const char *name;
	uint64_t value;		/* sign-extended if the enum is signed */
};

struct setting_type {
	enum setting_kind kind;
	uint32_t size;		/* bytes: 1, 2, 4 or 8 */
	bool is_signed;
	const struct setting_enumerator *enums;
	uint32_t nr_enums;
};

/* Length of the prefix the enumerators share, cut after its last '_'. */
size_t setting_enum_prefix_len(const struct setting_type *t);
/*
 * "true"/"false"/"yes"/"no"/"1"/"0"; decimal or 0x hex integers in the
 * type's range; enumerator names.  -EINVAL on a bad value, -ERANGE out of
 * range.  *v is the value sign-extended to 64 bits.
 */
int setting_value_parse(const struct setting_type *t, const char *s,
			uint64_t *v);
/* "true", "-3", "strict" (an enum value no enumerator has: the number) */
void setting_value_format(const struct setting_type *t, uint64_t v,
			  char *buf, size_t len);
/* The values a setting takes: "true|false", "default|strict|rebind",
 * "integer 0..255"; for error messages and help. */
void setting_values_help(const struct setting_type *t, char *buf,
			 size_t len);
/* Read or write the setting's bytes, native byte order. */
uint64_t setting_value_load(const struct setting_type *t, const void *p);
void setting_value_store(const struct setting_type *t, void *p, uint64_t v);

#endif
