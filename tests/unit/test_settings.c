// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the parsers of policy settings ("set NAME=VALUE"):
 * bools, integers in the range of their type, enumerators without their
 * common prefix, and the printed forms.  TAP output.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "tap.h"

static const struct setting_type t_bool = { SETTING_BOOL, 1, false };
static const struct setting_type t_u8 = { SETTING_INT, 1, false };
static const struct setting_type t_s8 = { SETTING_INT, 1, true };
static const struct setting_type t_u32 = { SETTING_INT, 4, false };
static const struct setting_type t_s32 = { SETTING_INT, 4, true };
static const struct setting_type t_u64 = { SETTING_INT, 8, false };
static const struct setting_type t_s64 = { SETTING_INT, 8, true };

static const struct setting_enumerator gates[] = {
	{ "TSMBPF_GATE_DEFAULT", 0 },
	{ "TSMBPF_GATE_STRICT", 1 },
	{ "TSMBPF_GATE_REBIND", 2 },
};
static const struct setting_type t_gate = {
	SETTING_ENUM, 4, false, gates, 3,
};

/* STRICT and STOP share "GATE_ST": the prefix stops at a whole word */
static const struct setting_enumerator words[] = {
	{ "GATE_STRICT", 1 },
	{ "GATE_STOP", 7 },
	{ "GATE_RATE_LIMIT", 9 },
};
static const struct setting_type t_words = {
	SETTING_ENUM, 4, false, words, 3,
};

/* "A" is all the others share and is a name by itself: no prefix */
static const struct setting_enumerator short_names[] = {
	{ "A_X", 0 },
	{ "A_", 1 },
};
static const struct setting_type t_short = {
	SETTING_ENUM, 4, false, short_names, 2,
};

static const struct setting_enumerator signed_enums[] = {
	{ "LEVEL_LOW", (uint64_t)-1 },
	{ "LEVEL_HIGH", 1 },
};
static const struct setting_type t_signed_enum = {
	SETTING_ENUM, 4, true, signed_enums, 2,
};

static int parses(const struct setting_type *t, const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;

	return !setting_value_parse(t, s, &v) && v == want;
}

static int formats(const struct setting_type *t, uint64_t v, const char *want)
{
	char buf[64];

	setting_value_format(t, v, buf, sizeof(buf));
	return !strcmp(buf, want);
}

static void test_bool(void)
{
	uint64_t v;

	ok(parses(&t_bool, "true", 1) && parses(&t_bool, "yes", 1) &&
	   parses(&t_bool, "1", 1), "bool: true, yes, 1");
	ok(parses(&t_bool, "false", 0) && parses(&t_bool, "no", 0) &&
	   parses(&t_bool, "0", 0), "bool: false, no, 0");
	ok(parses(&t_bool, "TRUE", 1) && parses(&t_bool, "No", 0),
	   "bool: any case");
	ok(setting_value_parse(&t_bool, "2", &v) == -EINVAL, "bool: 2 refused");
	ok(setting_value_parse(&t_bool, "", &v) == -EINVAL,
	   "bool: empty refused");
	ok(setting_value_parse(&t_bool, "truex", &v) == -EINVAL,
	   "bool: junk refused");
	ok(formats(&t_bool, 1, "true") && formats(&t_bool, 0, "false"),
	   "bool: printed as true/false");
}

static void test_int(void)
{
	uint64_t v;

	ok(parses(&t_u32, "4294967295", 4294967295ULL), "u32: max");
	ok(parses(&t_u32, "0x10", 16) && parses(&t_u32, "0XfF", 255),
	   "u32: hex");
	ok(parses(&t_u32, "010", 10), "u32: leading zero is decimal");
	ok(setting_value_parse(&t_u32, "4294967296", &v) == -ERANGE,
	   "u32: max + 1 out of range");
	ok(setting_value_parse(&t_u32, "-1", &v) == -ERANGE,
	   "u32: negative out of range");
	ok(parses(&t_u32, "-0", 0), "u32: -0 is 0");
	ok(parses(&t_u8, "255", 255) &&
	   setting_value_parse(&t_u8, "256", &v) == -ERANGE, "u8: range");
	ok(parses(&t_s8, "-128", (uint64_t)-128) && parses(&t_s8, "127", 127),
	   "s8: both ends, sign-extended");
	ok(setting_value_parse(&t_s8, "128", &v) == -ERANGE &&
	   setting_value_parse(&t_s8, "-129", &v) == -ERANGE,
	   "s8: one past either end out of range");
	ok(parses(&t_s32, "-0x10", (uint64_t)-16), "s32: negative hex");
	ok(parses(&t_u64, "18446744073709551615", UINT64_MAX),
	   "u64: max");
	ok(setting_value_parse(&t_u64, "18446744073709551616", &v) == -ERANGE,
	   "u64: overflow out of range");
	ok(parses(&t_s64, "-9223372036854775808", (uint64_t)INT64_MIN),
	   "s64: min");
	ok(setting_value_parse(&t_s64, "9223372036854775808", &v) == -ERANGE,
	   "s64: max + 1 out of range");
	ok(setting_value_parse(&t_u32, "12a", &v) == -EINVAL &&
	   setting_value_parse(&t_u32, "0x", &v) == -EINVAL &&
	   setting_value_parse(&t_u32, "", &v) == -EINVAL &&
	   setting_value_parse(&t_u32, " 1", &v) == -EINVAL &&
	   setting_value_parse(&t_u32, "+1", &v) == -EINVAL &&
	   setting_value_parse(&t_u32, "--1", &v) == -EINVAL,
	   "int: junk, bare 0x, empty, space and signs refused");
	ok(formats(&t_s32, (uint64_t)-5, "-5") &&
	   formats(&t_u32, 4294967295ULL, "4294967295"),
	   "int: printed signed or unsigned");
}

static void test_enum(void)
{
	uint64_t v;

	ok(setting_enum_prefix_len(&t_gate) == strlen("TSMBPF_GATE_"),
	   "enum: common prefix TSMBPF_GATE_");
	ok(parses(&t_gate, "default", 0) && parses(&t_gate, "strict", 1) &&
	   parses(&t_gate, "rebind", 2), "enum: names without the prefix");
	ok(parses(&t_gate, "STRICT", 1) && parses(&t_gate, "Rebind", 2),
	   "enum: any case");
	ok(parses(&t_gate, "TSMBPF_GATE_STRICT", 1) &&
	   parses(&t_gate, "tsmbpf_gate_rebind", 2), "enum: full names");
	ok(setting_value_parse(&t_gate, "lax", &v) == -EINVAL,
	   "enum: unknown name refused");
	ok(setting_value_parse(&t_gate, "1", &v) == -EINVAL,
	   "enum: numbers refused");
	ok(setting_value_parse(&t_gate, "gate_strict", &v) == -EINVAL,
	   "enum: part of the prefix refused");
	ok(formats(&t_gate, 1, "strict") && formats(&t_gate, 0, "default"),
	   "enum: printed without the prefix, lower case");
	ok(formats(&t_gate, 9, "9"), "enum: a value no enumerator has");
	ok(setting_enum_prefix_len(&t_words) == strlen("GATE_"),
	   "enum: prefix cut after a whole word");
	ok(parses(&t_words, "stop", 7) && parses(&t_words, "rate-limit", 9) &&
	   parses(&t_words, "rate_limit", 9), "enum: '-' for '_'");
	ok(setting_enum_prefix_len(&t_short) == 0 && parses(&t_short, "a_", 1),
	   "enum: no prefix when it would leave a name empty");
	ok(parses(&t_signed_enum, "low", (uint64_t)-1) &&
	   formats(&t_signed_enum, (uint64_t)-1, "low"),
	   "enum: signed enumerators");
}

static void test_help(void)
{
	char buf[128];

	setting_values_help(&t_gate, buf, sizeof(buf));
	ok(!strcmp(buf, "default|strict|rebind"), "help: enum values");
	setting_values_help(&t_bool, buf, sizeof(buf));
	ok(!strcmp(buf, "true|false"), "help: bool values");
	setting_values_help(&t_s8, buf, sizeof(buf));
	ok(!strcmp(buf, "integer -128..127"), "help: s8 range");
	setting_values_help(&t_u32, buf, sizeof(buf));
	ok(!strcmp(buf, "integer 0..4294967295"), "help: u32 range");
	setting_values_help(&t_gate, buf, 8);
	ok(strlen(buf) == 7, "help: truncated to the buffer");
}

static void test_load_store(void)
{
	uint8_t img[16];

	memset(img, 0xaa, sizeof(img));
	setting_value_store(&t_s8, img + 3, (uint64_t)-2);
	ok(img[2] == 0xaa && img[3] == 0xfe && img[4] == 0xaa,
	   "store: one byte, neighbours untouched");
	ok(setting_value_load(&t_s8, img + 3) == (uint64_t)-2,
	   "load: s8 sign-extended");
	ok(setting_value_load(&t_u8, img + 3) == 0xfe, "load: u8 zero-extended");
	setting_value_store(&t_gate, img + 8, 2);
	ok(setting_value_load(&t_gate, img + 8) == 2 && img[12] == 0xaa,
	   "store and load: four bytes");
	setting_value_store(&t_u64, img + 8, UINT64_MAX - 1);
	ok(setting_value_load(&t_u64, img + 8) == UINT64_MAX - 1,
	   "store and load: eight bytes");
}

int main(void)
{
	test_bool();
	test_int();
	test_enum();
	test_help();
	test_load_store();
	return tap_done();
}
