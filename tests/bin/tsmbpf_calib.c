// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_calib: how much slower the guest runs code than the host does.
 *
 *   tsmbpf_calib [-r ROUNDS] [-n ITERS]
 *
 * The same binary runs on the host (make bench, before the guest boots)
 * and in the guest (bench.sh trace), and bench.sh's summary divides the
 * two.  Under QEMU TCG the guest's CPU work is several times slower than
 * the host's, while the emulated firmware's latency (tsmbpf_emu
 * latency_us) is wall-clock time: a firmware call of L us in the guest
 * weighs against the tracing as one of L / factor us would on the host's
 * CPU.  Three loops, each the kind of work a traced cycle adds:
 *
 *   clock  clock_gettime(CLOCK_MONOTONIC) through the vDSO (the guest's
 *          kernel reads the same counter for each timed step)
 *   hist   one log2 histogram add per duration, the work
 *          bpf/tsmbpf_lat.bpf.c does per step (slot, count, sum, max),
 *          of 16 histograms and durations of 8 magnitudes in turn
 *   call   an indirect call of a function that is not inlined
 *
 * Each loop runs ITERS times (default 200000) per round, ROUNDS rounds
 * (default 7); the figure is the median round's ns per iteration.  Prints
 * one JSON object.  Exit status 0, 2 on usage.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <linux/types.h>

#include "tsmbpf_test.h"
#include "../../bpf/tsmbpf_lat.h"

#define MAX_ROUNDS	101

static struct tsmbpf_lat_hist hists[16];
static volatile uint64_t sink;

static uint64_t loop_clock(unsigned long iters)
{
	struct timespec ts;
	uint64_t s = 0;
	unsigned long i;

	for (i = 0; i < iters; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s += ts.tv_nsec;
	}
	return s;
}

static uint64_t loop_hist(unsigned long iters)
{
	uint64_t x = 88172645463325252ULL;
	unsigned long i;

	for (i = 0; i < iters; i++) {
		struct tsmbpf_lat_hist *h = &hists[i & 15];
		uint64_t d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* a step's durations: a few magnitudes, jitter within */
		d = (1ULL << (12 + (i & 7))) + (x & 0xfff);
		h->slots[tsmbpf_lat_slot(d)]++;
		h->sum_ns += d;
		if (d > h->max_ns)
			h->max_ns = d;
		h->count++;
	}
	return hists[0].count;
}

static __attribute__((noinline)) uint64_t callee(uint64_t a)
{
	return a * 2654435761ULL + 1;
}

static uint64_t (*volatile call_ptr)(uint64_t) = callee;

static uint64_t loop_call(unsigned long iters)
{
	uint64_t s = 0;
	unsigned long i;

	for (i = 0; i < iters; i++)
		s = call_ptr(s);
	return s;
}

static const struct {
	const char *name;
	uint64_t (*fn)(unsigned long iters);
} loops[] = {
	{ "clock", loop_clock },
	{ "hist", loop_hist },
	{ "call", loop_call },
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [-r ROUNDS] [-n ITERS]\n", prog);
}

static int parse_pos(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || !*s || *s == '-' || !*v || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 7, iters = 200000;
	uint64_t ns[MAX_ROUNDS], t;
	unsigned long r;
	size_t l;
	int opt;

	while ((opt = getopt(argc, argv, "r:n:h")) != -1) {
		switch (opt) {
		case 'r':
			if (parse_pos(optarg, MAX_ROUNDS, &rounds)) {
				fprintf(stderr, "%s: -r takes 1 to %d rounds, not '%s'\n",
					argv[0], MAX_ROUNDS, optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_pos(optarg, 1000000000UL, &iters)) {
				fprintf(stderr, "%s: -n takes 1 to 1000000000 iterations, not '%s'\n",
					argv[0], optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}

	printf("{\"rounds\":%lu,\"iters\":%lu", rounds, iters);
	for (l = 0; l < sizeof(loops) / sizeof(loops[0]); l++) {
		sink += loops[l].fn(iters / 10 + 1);	/* warm-up */
		for (r = 0; r < rounds; r++) {
			t = now_ns();
			sink += loops[l].fn(iters);
			ns[r] = now_ns() - t;
		}
		printf(",\"%s_ns\":%.2f", loops[l].name,
		       (double)median_u64(ns, rounds) / iters);
	}
	printf("}\n");
	return 0;
}
