/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host unit tests' TAP output: ok() for each check, tap_done() last
 * (the plan, then the exit status: 1 if any check failed).
 */
#ifndef TSMBPF_UNIT_TAP_H
#define TSMBPF_UNIT_TAP_H

#include <stdio.h>

static int nr, nr_failed;

static void ok(int cond, const char *what)
{
	nr++;
	if (!cond)
		nr_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", nr, what);
}

static int tap_done(void)
{
	printf("1..%d\n", nr);
	return nr_failed ? 1 : 0;
}

#endif
