// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_swap: latency of replacing a running policy through a struct_ops
 * link update (what `tsmctl policy swap` does).
 *
 *   tsmbpf_swap [-l PINNED_LINK] A.bpf.o B.bpf.o [-n SWAPS]
 *
 * With -l, the swaps act on an attached policy's pinned link instead of a
 * link of our own, and the link stays attached (on A's map) at the end.
 * Opens and loads both objects once; each must hold exactly one struct_ops
 * map, and both must serve the same platforms.  Attaches A's map, then
 * alternates bpf_link__update_map() to B's map and back SWAPS times
 * (default 1000), timing each call with CLOCK_MONOTONIC, and detaches at the
 * end.  Prints one JSON object:
 *
 *   {"swaps":N,"failures":F,"median_ns":..,"p99_ns":..,"max_ns":..,
 *    "min_ns":..,"p90_ns":..,"mean_ns":..,"over_1ms":..,"a":"NAME",
 *    "b":"NAME"}
 *
 * (over_1ms: swaps that took longer than 1 ms)
 *
 * With -w N, after each swap (untimed) wait until N more unbinds have
 * completed (/sys/kernel/tsmbpf/unbinds): a swap returns once every
 * operation begun under the old policy is done, so those N ran under the
 * new one; for tests that need both policies to have served a load,
 * whatever the scheduler does.  Gives up after 30 s without one.
 *
 * Exit status 0, 1 if a swap failed or the set-up did, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tsmbpf_test.h"

struct policy {
	const char *path;
	struct bpf_object *obj;
	struct bpf_map *map;
	uint32_t platforms;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The u32 member @name of the struct_ops value of @p's map, from its BTF. */
static int ops_u32(const struct policy *p, const char *name, uint32_t *val)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_member *m;
	const struct btf_type *t;
	size_t size;
	const char *data;
	int i;

	data = bpf_map__initial_value(p->map, &size);
	if (!btf || !data)
		return -ENOENT;
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(p->map));
	if (!t || !btf_is_struct(t))
		return -ENOENT;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i) / 8;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		if (off + sizeof(*val) > size)
			return -ERANGE;
		memcpy(val, data + off, sizeof(*val));
		return 0;
	}
	return -ENOENT;
}

static int policy_open(struct policy *p)
{
	struct bpf_map *map;
	int n = 0, err;

	p->obj = bpf_object__open_file(p->path, NULL);
	if (!p->obj) {
		fprintf(stderr, "%s: open: %s\n", p->path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, p->obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		p->map = map;
		n++;
	}
	if (n != 1) {
		fprintf(stderr, "%s: %d struct_ops maps, need exactly one\n",
			p->path, n);
		return -1;
	}
	err = ops_u32(p, "platforms", &p->platforms);
	if (err) {
		fprintf(stderr, "%s: no platforms in map %s: %s\n", p->path,
			bpf_map__name(p->map), strerror(-err));
		return -1;
	}
	err = bpf_object__load(p->obj);
	if (err) {
		fprintf(stderr, "%s: load: %s\n", p->path, strerror(-err));
		return -1;
	}
	return 0;
}

/* 0 once @n unbinds completed after @from, -1 after 30 s without one */
static int wait_unbinds(long long from, int n)
{
	long long last = from, v;
	uint64_t since = now_ns();
	struct timespec ts = { 0, 100000 };

	while ((v = read_counter("unbinds")) >= 0 && v < from + n) {
		if (v != last) {
			last = v;
			since = now_ns();
		} else if (now_ns() - since > 30000000000ULL) {
			break;
		}
		nanosleep(&ts, NULL);
	}
	return v >= from + n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct policy pol[2] = {};
	struct bpf_link *link = NULL;
	uint64_t *lat = NULL, t0, sum = 0;
	int n = 1000, failures = 0, slow = 0, opt, i, ret = 1, err, wait_n = 0;
	long long u0;
	const char *pin = NULL;

	while ((opt = getopt(argc, argv, "l:n:w:h")) != -1) {
		switch (opt) {
		case 'l':
			pin = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'w':
			wait_n = atoi(optarg);
			break;
		default:
			printf("usage: %s [-l PINNED_LINK] [-w UNBINDS] A.bpf.o B.bpf.o [-n SWAPS]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 2 || n < 1 || n > 10000000 || wait_n < 0) {
		fprintf(stderr, "usage: %s A.bpf.o B.bpf.o [-n SWAPS]\n",
			argv[0]);
		return 2;
	}
	pol[0].path = argv[optind];
	pol[1].path = argv[optind + 1];
	libbpf_set_print(libbpf_print);

	lat = calloc(n, sizeof(*lat));
	if (!lat) {
		perror("calloc");
		return 1;
	}
	if (policy_open(&pol[0]) || policy_open(&pol[1]))
		goto out;
	if (pol[0].platforms != pol[1].platforms) {
		fprintf(stderr, "%s serves platforms %#x, %s %#x: not the same\n",
			pol[0].path, pol[0].platforms, pol[1].path,
			pol[1].platforms);
		goto out;
	}

	if (pin) {
		link = bpf_link__open(pin);
		if (!link) {
			fprintf(stderr, "%s: %s\n", pin, strerror(errno));
			goto out;
		}
		/* leave the operator's link attached when we are done */
		bpf_link__disconnect(link);
	} else {
		link = bpf_map__attach_struct_ops(pol[0].map);
	}
	if (!link) {
		fprintf(stderr, "%s: attach: %s\n", pol[0].path,
			strerror(errno));
		goto out;
	}
	/* swap i installs B for even i, A for odd i */
	for (i = 0; i < n; i++) {
		u0 = wait_n ? read_counter("unbinds") : 0;
		t0 = now_ns();
		err = bpf_link__update_map(link, pol[(i + 1) % 2].map);
		lat[i] = now_ns() - t0;
		sum += lat[i];
		slow += lat[i] > 1000000;
		if (err) {
			if (!failures)
				fprintf(stderr, "swap %d: %s\n", i,
					strerror(-err));
			failures++;
		}
		if (wait_n && (u0 < 0 || wait_unbinds(u0, wait_n))) {
			fprintf(stderr, "swap %d: no %d unbinds in 30 s\n", i,
				wait_n);
			failures++;
			break;
		}
	}
	n = i < n ? i + 1 : n;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("{\"swaps\":%d,\"failures\":%d,\"median_ns\":%llu,\"p99_ns\":%llu,"
	       "\"max_ns\":%llu,\"min_ns\":%llu,\"p90_ns\":%llu,\"mean_ns\":%llu,"
	       "\"over_1ms\":%d,\"a\":\"%s\",\"b\":\"%s\"}\n",
	       n, failures,
	       (unsigned long long)(n % 2 ? lat[n / 2] :
				    (lat[n / 2 - 1] + lat[n / 2]) / 2),
	       (unsigned long long)lat[(uint64_t)(n - 1) * 99 / 100],
	       (unsigned long long)lat[n - 1], (unsigned long long)lat[0],
	       (unsigned long long)lat[(uint64_t)(n - 1) * 90 / 100],
	       (unsigned long long)(sum / n), slow, bpf_map__name(pol[0].map),
	       bpf_map__name(pol[1].map));
	ret = failures ? 1 : 0;

out:
	bpf_link__destroy(link);
	bpf_object__close(pol[1].obj);
	bpf_object__close(pol[0].obj);
	free(lat);
	return ret;
}
