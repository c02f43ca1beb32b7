/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf benchmarks and self-checks in debugfs: /sys/kernel/debug/tsmbpf/
 * spt_bench and spt_check.
 */
#ifndef _TSMBPF_BENCH_H
#define _TSMBPF_BENCH_H

/**
 * tsmbpf_bench_init() - create /sys/kernel/debug/tsmbpf/{spt_bench,spt_check}
 *
 * Context: process context, module init.
 * Return: 0, or a negative errno if debugfs is missing or refused; the
 * module works without it.
 */
int tsmbpf_bench_init(void);

/**
 * tsmbpf_bench_exit() - remove the debugfs files; waits for a running bench
 *
 * Safe if tsmbpf_bench_init() failed or never ran.
 *
 * Context: process context, module exit.
 */
void tsmbpf_bench_exit(void);

#endif /* _TSMBPF_BENCH_H */
