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

#endif
