#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of what tsmctl serve exports and of dashboards/: promtool
# (Debian's prometheus package, installed by make deps) checks the
# exposition loader/metrics.c renders for a synthetic snapshot
# (tests/unit/test_metrics --prom), the scrape config and every query of the
# Grafana dashboard; jq checks the dashboard's structure and that each
# metric a panel queries is one serve exports.  The real endpoint, scraped
# by a real Prometheus, is tests/guest/45_dashboards.bats.
#
# Usage: tests/host/test_dashboards.sh   (TSMBPF_BUILD: the build directory,
#        default build/; scripts/tap-count.sh sets it)
# Prints TAP ("ok N - desc" / "not ok N - desc"); exits 1 if any case fails.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TSMBPF_BUILD:-$TOP/build}
DASH=$TOP/dashboards/tsmbpf-grafana.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=tests/host/tap.bash
. "$(dirname "$0")/tap.bash"

command -v promtool >/dev/null
ok $? "promtool is installed (make deps: Debian package prometheus)"

prom=$TMP/metrics.prom
out=$("$BUILD/tests/unit/test_metrics" --prom 2>&1 >"$prom")
ok $? "tests/unit/test_metrics --prom renders an exposition" "$out"

out=$(promtool check metrics <"$prom" 2>&1)
ok $? "promtool check metrics passes on the exposition" "$out"

# promtool must be able to fail here: a counter without _total and a
# histogram with a bad le are what a broken exporter would emit.
{
	echo '# HELP tsmbpf_broken Broken.'
	echo '# TYPE tsmbpf_broken counter'
	echo 'tsmbpf_broken{platform="tdx"} 1'
	echo '# HELP tsmbpf_bad_seconds Bad.'
	echo '# TYPE tsmbpf_bad_seconds histogram'
	echo 'tsmbpf_bad_seconds_bucket{le="one"} 1'
} >"$TMP/broken.prom"
! promtool check metrics <"$TMP/broken.prom" >/dev/null 2>&1
ok $? "promtool check metrics refuses a broken exposition (the check can fail)"

out=$(promtool check config "$TOP/dashboards/prometheus.yml" 2>&1)
ok $? "promtool check config passes on dashboards/prometheus.yml" "$out"

grep -q "targets: \['127.0.0.1:9464'\]" "$TOP/dashboards/prometheus.yml"
ok $? "prometheus.yml scrapes serve's default address 127.0.0.1:9464"

jq -e . "$DASH" >/dev/null 2>&1
ok $? "the dashboard is JSON"

jq -e '.__inputs | any(.name == "DS_PROMETHEUS" and .type == "datasource" and .pluginId == "prometheus")' \
	"$DASH" >/dev/null
ok $? "the data source is an import input, DS_PROMETHEUS"

out=$(jq -r '[.panels[] | select(.type != "row") |
	(.datasource.uid, (.targets[]? | .datasource.uid))] |
	map(select(. != "${DS_PROMETHEUS}")) | .[]' "$DASH")
[ -z "$out" ]
ok $? "every panel and query uses \${DS_PROMETHEUS}" "$out"

jq -e '[.templating.list[].name] | (index("platform") != null and index("bdf") != null)' \
	"$DASH" >/dev/null
ok $? "template variables platform and bdf"

jq -r '.panels[] | .targets[]? | .expr' "$DASH" >"$TMP/exprs"
[ -s "$TMP/exprs" ]
ok $? "the panels have queries"

# Each expression with Grafana's variables filled in, as a recording rule:
# promtool check rules parses it as PromQL.
{
	echo 'groups:'
	echo '  - name: dashboard'
	echo '    rules:'
	i=0
	while read -r e; do
		i=$((i + 1))
		e=${e//\$__rate_interval/1m}
		e=${e//\$__range/1h}
		e=${e//\$platform/.*}
		e=${e//\$bdf/.*}
		printf "      - record: dashboard_expr_%d\n        expr: '%s'\n" "$i" "${e//\'/\'\'}"
	done <"$TMP/exprs"
} >"$TMP/rules.yml"
out=$(promtool check rules "$TMP/rules.yml" 2>&1)
ok $? "every query is valid PromQL (promtool check rules)" "$out"

# Every metric a query names, without _bucket/_sum/_count, is a family of
# the exposition.
missing=
for m in $(grep -oE 'tsmbpf_[a-z_]+' "$TMP/exprs" | sort -u); do
	fam=$m
	case $m in
	*_seconds_bucket | *_seconds_sum | *_seconds_count) fam=${m%_*} ;;
	esac
	grep -q "^# TYPE $fam " "$prom" || missing+=" $m"
done
[ -z "$missing" ]
ok $? "every metric the panels query is exported by serve" "missing:$missing"

has() { grep -qE -- "$1" "$TMP/exprs"; }
has 'histogram_quantile\(0\.5, sum by \(le, [^)]*step[^)]*\) \(rate\(tsmbpf_step_seconds_bucket' &&
	has 'histogram_quantile\(0\.99, sum by \(le, [^)]*step[^)]*\) \(rate\(tsmbpf_step_seconds_bucket'
ok $? "p50 and p99 per step with histogram_quantile"
has 'rate\(tsmbpf_op_seconds_count'
ok $? "operations per second"
has 'by \([^)]*verdict[^)]*\) \(rate\(tsmbpf_host_events_total'
ok $? "host events by verdict"
has 'tsmbpf_policy_swap_total' && has 'tsmbpf_policy_eject_total'
ok $? "swaps and ejections"
has 'bdf=~"\$bdf"' && has 'platform=~"\$platform"'
ok $? "the variables filter the queries"

echo "1..$n"
[ "$failed" -eq 0 ]
