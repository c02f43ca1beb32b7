// SPDX-License-Identifier: GPL-2.0
/*
 * Names of tsmbpf uAPI values, firmware error names with hints, and the
 * parsers of tsmctl arguments.  Host unit tests cover the parsers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/tsmbpf.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char * const platform_names[] = {
	[TSMBPF_PLAT_TDX] = "tdx",
	[TSMBPF_PLAT_SEV_TIO] = "sev-tio",
	[TSMBPF_PLAT_CCA] = "cca",
};

static const char * const state_names[] = {
	[TSMBPF_TDISP_CONFIG_UNLOCKED] = "CONFIG_UNLOCKED",
	[TSMBPF_TDISP_CONFIG_LOCKED] = "CONFIG_LOCKED",
	[TSMBPF_TDISP_RUN] = "RUN",
	[TSMBPF_TDISP_ERROR] = "ERROR",
};

static const char * const viommu_names[] = {
	[TSMBPF_VIOMMU_NONE] = "none",
	[TSMBPF_VIOMMU_TSM_VTD] = "tsm-vtd",
	[TSMBPF_VIOMMU_TSM_NO_VIOMMU] = "tsm-no-viommu",
	[TSMBPF_VIOMMU_SMMUV3] = "smmuv3",
};

static const char * const reason_names[] = {
	[TSMBPF_UNBIND_USER] = "user",
	[TSMBPF_UNBIND_HOST_EVENT] = "host-event",
	[TSMBPF_UNBIND_VM_DESTROY] = "vm-destroy",
	[TSMBPF_UNBIND_ERROR] = "error",
};

static const char * const step_names[] = {
	[TSMBPF_STEP_NONE] = "none",
	[TSMBPF_STEP_TDI_LOCK] = "tdi_lock",
	[TSMBPF_STEP_MMIO_MAP] = "mmio_map",
	[TSMBPF_STEP_DMA_SETUP] = "dma_setup",
	[TSMBPF_STEP_ACCEPT] = "accept",
	[TSMBPF_STEP_TDI_START] = "tdi_start",
	[TSMBPF_STEP_TDI_STOP] = "tdi_stop",
	[TSMBPF_STEP_MMIO_UNMAP] = "mmio_unmap",
	[TSMBPF_STEP_DMA_TEARDOWN] = "dma_teardown",
	[TSMBPF_STEP_TDI_RECLAIM] = "tdi_reclaim",
	[TSMBPF_STEP_MMIO_RECOVER] = "mmio_recover",
	[TSMBPF_STEP_KEY_PURGE] = "key_purge",
	[TSMBPF_STEP_FENCE_CLEAR] = "fence_clear",
};

static const char * const event_names[] = {
	[TSMBPF_EV_MSE_CLEAR] = "mse_clear",
	[TSMBPF_EV_BME_CLEAR] = "bme_clear",
	[TSMBPF_EV_D3HOT] = "d3hot",
	[TSMBPF_EV_FLR] = "flr",
	[TSMBPF_EV_AF_FLR] = "af_flr",
	[TSMBPF_EV_RESET] = "reset",
	[TSMBPF_EV_HOT_RESET] = "hot_reset",
	[TSMBPF_EV_RUNTIME_PM] = "runtime_pm",
	[TSMBPF_EV_CLOSE] = "close",
	[TSMBPF_EV_REMOVE] = "remove",
	[TSMBPF_EV_VM_DESTROY] = "vm_destroy",
};

static const char *lookup(const char * const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

static int parse(const char * const *names, size_t n, const char *s,
		 uint32_t *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i] && !strcmp(names[i], s)) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *platform_name(uint32_t plat)
{
	return lookup(platform_names, ARRAY_SIZE(platform_names), plat);
}

int platform_parse(const char *s, uint32_t *plat)
{
	/* accept the underscore spelling the policies use, too */
	if (!strcmp(s, "sev_tio") || !strcmp(s, "sev"))
		s = "sev-tio";
	return parse(platform_names, ARRAY_SIZE(platform_names), s, plat);
}

const char *event_name(uint32_t event)
{
	return lookup(event_names, ARRAY_SIZE(event_names), event);
}

int event_parse(const char *s, uint32_t *event)
{
	return parse(event_names, ARRAY_SIZE(event_names), s, event);
}

const char *tdisp_state_name(uint32_t state)
{
	return lookup(state_names, ARRAY_SIZE(state_names), state);
}

const char *viommu_name(uint32_t viommu)
{
	return lookup(viommu_names, ARRAY_SIZE(viommu_names), viommu);
}

int viommu_parse(const char *s, uint32_t *viommu)
{
	return parse(viommu_names, ARRAY_SIZE(viommu_names), s, viommu);
}

const char *reason_name(uint32_t reason)
{
	return lookup(reason_names, ARRAY_SIZE(reason_names), reason);
}

int reason_parse(const char *s, uint32_t *reason)
{
	return parse(reason_names, ARRAY_SIZE(reason_names), s, reason);
}

const char *step_name(uint32_t step)
{
	return lookup(step_names, ARRAY_SIZE(step_names), step);
}

int step_parse(const char *s, uint32_t *step)
{
	return parse(step_names, ARRAY_SIZE(step_names), s, step);
}

static const struct {
	uint32_t code;
	const char *name;
	const char *hint;
} fw_errors[] = {
	{ TSMBPF_FW_OK, "OK", "" },
	{ TSMBPF_FW_TDX_DEVIF_INVALID_STATE, "TDX_DEVIF_INVALID_STATE",
	  "stop the interface (tdi_stop) before unmapping MMIO or reclaiming" },
	{ TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO, "TDX_DEVIF_HAS_MAPPED_MMIO",
	  "unmap private MMIO (mmio_unmap) before reclaiming the interface" },
	{ TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_DMA, "TDX_DEVIF_HAS_MAPPED_DMA",
	  "tear the trusted DMA entry down (dma_teardown) before reclaiming" },
	{ TSMBPF_FW_TDX_DEVIF_TDISP_ERROR_STATE, "TDX_DEVIF_TDISP_ERROR_STATE",
	  "the interface is in ERROR: only GET_STATE and STOP are accepted; unbind it" },
	{ TSMBPF_FW_TDX_DEVIF_TDISP_OUT_REQ, "TDX_DEVIF_TDISP_OUT_REQ",
	  "a TDISP request is outstanding on this interface; retry when it completes" },
	{ TSMBPF_FW_TDX_DEVIF_BAD_NONCE, "TDX_DEVIF_BAD_NONCE",
	  "START must echo the nonce LOCK returned (see 'dev bind' output)" },
	{ TSMBPF_FW_TDX_OPERAND_BUSY, "TDX_OPERAND_BUSY",
	  "the TD or interface is busy; retry" },
	{ TSMBPF_FW_SEV_TIO_INVALID_STATE, "SEV_TIO_INVALID_STATE",
	  "the TDI is not in a state that allows this command" },
	{ TSMBPF_FW_SEV_TIO_RMP_IMMUTABLE, "SEV_TIO_RMP_IMMUTABLE",
	  "MMIO RMP entries are immutable while bound: unbind (tdi_stop) first" },
	{ TSMBPF_FW_SEV_TIO_MMIO_IN_USE, "SEV_TIO_MMIO_IN_USE",
	  "reclaim the MMIO RMP entries (mmio_unmap) before TIO_TDI_RECLAIM" },
	{ TSMBPF_FW_SEV_TIO_DMA_IN_USE, "SEV_TIO_DMA_IN_USE",
	  "clear the sDTE (dma_teardown) before TIO_TDI_RECLAIM" },
	{ TSMBPF_FW_SEV_TIO_ASID_FENCED, "SEV_TIO_ASID_FENCED",
	  "the ASID's DMA is fenced after an ERROR: clear the fence (fence_clear) before binding" },
	{ TSMBPF_FW_SEV_TIO_TDISP_ERROR, "SEV_TIO_TDISP_ERROR",
	  "the interface is in ERROR: only unbind is accepted" },
	{ TSMBPF_FW_SEV_TIO_REQUEST_PENDING, "SEV_TIO_REQUEST_PENDING",
	  "a TDISP request is outstanding on this interface; retry" },
	{ TSMBPF_FW_SEV_TIO_BAD_NONCE, "SEV_TIO_BAD_NONCE",
	  "START must echo the nonce LOCK returned" },
	{ TSMBPF_FW_RMI_ERROR_DEVICE_STATE, "RMI_ERROR_DEVICE_STATE",
	  "the VDEV is not in a state that allows this command" },
	{ TSMBPF_FW_RMI_ERROR_DEVICE_MEMORY, "RMI_ERROR_DEVICE_MEMORY",
	  "unmap all device memory (mmio_unmap) before RMI_VDEV_UNLOCK" },
	{ TSMBPF_FW_RMI_ERROR_DEVICE_DMA, "RMI_ERROR_DEVICE_DMA",
	  "remove the realm SMMU STE (dma_teardown) before RMI_VDEV_UNLOCK" },
	{ TSMBPF_FW_RMI_ERROR_DEVICE_BUSY, "RMI_ERROR_DEVICE_BUSY",
	  "a request is outstanding on this VDEV; retry" },
	{ TSMBPF_FW_RMI_ERROR_DEVICE_NONCE, "RMI_ERROR_DEVICE_NONCE",
	  "START must echo the nonce LOCK returned" },
	{ TSMBPF_FW_INJECTED, "TSMBPF_FW_INJECTED",
	  "a failure was injected by the emulator's fault knob; clear it" },
};

const char *fw_error_name(uint32_t code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fw_errors); i++)
		if (fw_errors[i].code == code)
			return fw_errors[i].name;
	return "UNKNOWN_FW_ERROR";
}

const char *fw_error_hint(uint32_t code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fw_errors); i++)
		if (fw_errors[i].code == code)
			return fw_errors[i].hint;
	return "";
}

static int hex_parse(const char *s, size_t len, unsigned long max,
		     unsigned long *v)
{
	char buf[8], *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoul(buf, &end, 16);
	if (*end || errno || *v > max || buf[0] == '-' || buf[0] == '+')
		return -EINVAL;
	return 0;
}

int bdf_parse(const char *s, uint32_t *bdf)
{
	unsigned long seg = 0, bus, dev, fn;
	const char *c1, *c2, *dot;

	c1 = strchr(s, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {
		if (hex_parse(s, c1 - s, 0xffff, &seg))
			return -EINVAL;
		s = c1 + 1;
		c1 = c2;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot || strchr(dot + 1, '.') || strchr(c1 + 1, ':'))
		return -EINVAL;
	if (hex_parse(s, c1 - s, 0xff, &bus) ||
	    hex_parse(c1 + 1, dot - c1 - 1, 0x1f, &dev) ||
	    hex_parse(dot + 1, strlen(dot + 1), 7, &fn))
		return -EINVAL;
	*bdf = TSMBPF_BDF(seg, bus, dev, fn);
	return 0;
}

void bdf_format(uint32_t bdf, char *buf, int len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
}

int size_parse(const char *s, uint64_t *size)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*size = (uint64_t)v << shift;
	return 0;
}

void size_format(uint64_t size, char *buf, int len)
{
	static const char units[] = "KMGT";
	int i = -1;

	while (size >= 1024 && !(size & 1023) && i < 3) {
		size >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)size);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)size, units[i]);
}

int u32_parse(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	if (x > UINT32_MAX)
		return -ERANGE;
	*v = x;
	return 0;
}

size_t setting_enum_prefix_len(const struct setting_type *t)
{
	const char *first;
	size_t len, i, j;

	if (t->kind != SETTING_ENUM || !t->nr_enums)
		return 0;
	first = t->enums[0].name;
	len = strlen(first);
	for (i = 1; i < t->nr_enums; i++) {
		for (j = 0; j < len && t->enums[i].name[j] == first[j]; j++)
			;
		len = j;
	}
	/* whole words: GATE_STRICT and GATE_STOP share GATE_, not GATE_ST */
	while (len && first[len - 1] != '_')
		len--;
	for (i = 0; i < t->nr_enums; i++)
		if (strlen(t->enums[i].name) <= len)
			return 0;
	return len;
}

/* Case-insensitive, and '-' matches '_'. */
static bool setting_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = *a == '-' ? '_' : tolower((unsigned char)*a);
		int cb = *b == '-' ? '_' : tolower((unsigned char)*b);

		if (ca != cb)
			return false;
	}
	return !*a && !*b;
}

static int setting_int_parse(const struct setting_type *t, const char *s,
			     uint64_t *v)
{
	unsigned long long mag;
	bool neg = false;
	int base = 10;
	uint64_t max;
	char *end;

	if (t->size < 1 || t->size > 8)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* no sign, space or empty string past this point */
	if (base == 16 ? !isxdigit((unsigned char)*s) :
			 !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	mag = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (t->is_signed) {
		max = (1ULL << (t->size * 8 - 1)) - 1;
		if (neg ? mag > max + 1 : mag > max)
			return -ERANGE;
		*v = neg ? -(uint64_t)mag : mag;
		return 0;
	}
	max = t->size == 8 ? UINT64_MAX : (1ULL << (t->size * 8)) - 1;
	if ((neg && mag) || mag > max)
		return -ERANGE;
	*v = mag;
	return 0;
}

int setting_value_parse(const struct setting_type *t, const char *s,
			uint64_t *v)
{
	static const struct {
		const char *name;
		bool value;
	} bools[] = {
		{ "true", true }, { "false", false },
		{ "yes", true }, { "no", false },
		{ "1", true }, { "0", false },
	};
	size_t i, pfx;

	switch (t->kind) {
	case SETTING_BOOL:
		for (i = 0; i < ARRAY_SIZE(bools); i++) {
			if (!strcasecmp(s, bools[i].name)) {
				*v = bools[i].value;
				return 0;
			}
		}
		return -EINVAL;
	case SETTING_INT:
		return setting_int_parse(t, s, v);
	case SETTING_ENUM:
		pfx = setting_enum_prefix_len(t);
		for (i = 0; i < t->nr_enums; i++) {
			if (setting_name_eq(s, t->enums[i].name + pfx) ||
			    setting_name_eq(s, t->enums[i].name)) {
				*v = t->enums[i].value;
				return 0;
			}
		}
		return -EINVAL;
	}
	return -EINVAL;
}

/* An enumerator's name as tsmctl prints it: no prefix, lower case. */
static void setting_enum_short(const char *name, size_t pfx, char *buf,
			       size_t len)
{
	size_t i;

	if (!len)
		return;
	name += pfx;
	for (i = 0; name[i] && i < len - 1; i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

void setting_value_format(const struct setting_type *t, uint64_t v,
			  char *buf, size_t len)
{
	size_t i;

	switch (t->kind) {
	case SETTING_BOOL:
		snprintf(buf, len, "%s", v ? "true" : "false");
		return;
	case SETTING_ENUM:
		for (i = 0; i < t->nr_enums; i++) {
			if (t->enums[i].value == v) {
				setting_enum_short(t->enums[i].name,
						   setting_enum_prefix_len(t),
						   buf, len);
				return;
			}
		}
		break;
	case SETTING_INT:
		break;
	}
	if (t->is_signed)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void setting_values_help(const struct setting_type *t, char *buf,
			 size_t len)
{
	size_t i, off = 0, pfx;
	char name[64];
	uint64_t max;

	if (!len)
		return;
	buf[0] = '\0';
	switch (t->kind) {
	case SETTING_BOOL:
		snprintf(buf, len, "true|false");
		return;
	case SETTING_INT:
		if (t->is_signed) {
			max = (1ULL << (t->size * 8 - 1)) - 1;
			snprintf(buf, len, "integer %lld..%lld",
				 -(long long)max - 1, (long long)max);
		} else {
			max = t->size >= 8 ? UINT64_MAX :
					     (1ULL << (t->size * 8)) - 1;
			snprintf(buf, len, "integer 0..%llu",
				 (unsigned long long)max);
		}
		return;
	case SETTING_ENUM:
		pfx = setting_enum_prefix_len(t);
		for (i = 0; i < t->nr_enums && off < len; i++) {
			setting_enum_short(t->enums[i].name, pfx, name,
					   sizeof(name));
			off += snprintf(buf + off, len - off, "%s%s",
					i ? "|" : "", name);
		}
		return;
	}
}

uint64_t setting_value_load(const struct setting_type *t, const void *p)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (t->size) {
	case 1:
		memcpy(&u8, p, 1);
		return t->is_signed ? (uint64_t)(int8_t)u8 : u8;
	case 2:
		memcpy(&u16, p, 2);
		return t->is_signed ? (uint64_t)(int16_t)u16 : u16;
	case 4:
		memcpy(&u32, p, 4);
		return t->is_signed ? (uint64_t)(int32_t)u32 : u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

void setting_value_store(const struct setting_type *t, void *p, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (t->size) {
	case 1:
		memcpy(p, &u8, 1);
		break;
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}
