#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of the bench's calibration: tsmbpf_calib (its JSON and
# its usage errors), bench.sh host-calib, and the summary's guest/host
# factor and the firmware latencies it weighs, from made-up runs.
#
# Usage: tests/host/test_bench.sh   (TSMBPF_BUILD: the build directory)
# Prints TAP ("ok N - desc" / "not ok N - desc"); exits 1 if any case fails.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TSMBPF_BUILD:-$TOP/build}
CALIB=$BUILD/tests/bin/tsmbpf_calib
BENCH=$TOP/tests/bench.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=tests/host/tap.bash
. "$(dirname "$0")/tap.bash"

# ------------------------------------------------------- tsmbpf_calib --

out=$("$CALIB" -r 3 -n 20000 2>&1)
ok "$(jq -e '.rounds == 3 and .iters == 20000 and
	     ([.clock_ns, .hist_ns, .call_ns] | all(type == "number" and . > 0))' \
	<<<"$out" >/dev/null 2>&1; echo $?)" \
	"tsmbpf_calib prints its rounds, iterations and three positive figures" "$out"

for args in "-r 0" "-r 102" "-n 0" "-n 12x" "-n -5" "-x" "extra"; do
	# shellcheck disable=SC2086 # the options split
	"$CALIB" $args >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ok "$([ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && [ -s "$TMP/err" ]; echo $?)" \
		"tsmbpf_calib $args: exit 2, a message on stderr, nothing on stdout" \
		"exit $rc; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
done
"$CALIB" -h >"$TMP/out" 2>&1
rc=$?
ok "$([ "$rc" = 0 ] && grep -q '^usage: ' "$TMP/out"; echo $?)" \
	"tsmbpf_calib -h: the usage on stdout, exit 0" "exit $rc: $(cat "$TMP/out")"

# ------------------------------------------------ bench.sh host-calib --

out=$(bash "$BENCH" host-calib "$CALIB" 2>&1)
ok "$(grep '^BENCH-JSON ' <<<"$out" | cut -d' ' -f2- |
	jq -e '.mode == "host" and .host_calib.hist_ns > 0' >/dev/null 2>&1; echo $?)" \
	"bench.sh host-calib: a BENCH-JSON line of mode host with the figures" "$out"

bash "$BENCH" host-calib /bin/false >"$TMP/out" 2>&1
rc=$?
ok "$([ "$rc" != 0 ] && ! grep -q '^BENCH-JSON' "$TMP/out"; echo $?)" \
	"bench.sh host-calib: a failing program gives no run and a non-zero exit" \
	"exit $rc: $(cat "$TMP/out")"

# ------------------------------------------------------------ summary --

# trace_row PLATFORM LATENCY MODE RATIO: one of section e's rows
trace_row() {
	printf '{"platform":"%s","latency_us":%s,"mode":"%s","tdis":16,"rounds":7,"pairs":30,"untraced_ns":100000,"traced_ns":%s,"ratio":%s,"paired_ratio":%s,"records":100,"hits_per_cycle":17,"ns_per_hit":100,"target_ratio":1.03}' \
		"$1" "$2" "$3" "$(jq -n "100000 * $4")" "$4" "$4"
}
rows=$(printf '%s,%s,%s' "$(trace_row tdx 0 histograms 1.15)" \
	"$(trace_row tdx 20 histograms 1.04)" "$(trace_row tdx 100 histograms 1.012)")
guest=$(printf '{"mode":"trace","kernel":"6.12","init_on_alloc":1,"scrape":{"tdis":4096,"rounds":7,"scrape_ms":773,"bytes":15500000,"samples":150000,"scrape_no_tdi_ms":109},"trace":[%s],"calib":{"rounds":7,"iters":200000,"clock_ns":52.5,"hist_ns":11.0,"call_ns":10.9}}' "$rows")
printf 'console noise\nBENCH-JSON %s\n' "$guest" >"$TMP/guest.log"
printf 'BENCH-JSON {"mode":"host","host_calib":{"rounds":7,"iters":200000,"clock_ns":25,"hist_ns":2.2,"call_ns":1.7}}\n' \
	>"$TMP/host.log"

out=$(bash "$BENCH" summary "$TMP/guest.log" "$TMP/host.log" 2>&1)
ok "$(grep -Eq '^ +log2 histogram add +2\.20 +11\.00 +5\.0x$' <<<"$out"; echo $?)" \
	"summary: the histogram loop's host and guest figures and their factor" "$out"
ok "$(grep -Eq '^ +clock_gettime \(vDSO\) +25\.00 +52\.50 +2\.1x$' <<<"$out"; echo $?)" \
	"summary: the clock's factor" "$out"
ok "$(grep -q '20 us ~ 3.1 to 9.5 us, 100 us ~ 15.6 to 47.6 us\.' <<<"$out"; echo $?)" \
	"summary: each firmware latency but 0, divided by the largest and the smallest factor" "$out"
ok "$(grep -Eq 'tdx, fw 20 us, hist .*1\.040x +<= 1\.03 MISS' <<<"$out" &&
	grep -Eq 'tdx, fw 100 us, hist .*1\.012x +<= 1\.03 ok' <<<"$out"; echo $?)" \
	"summary: each latency's row judged against the target alone" "$out"

ok "$(grep -Eq '^ +with the per-TDI histograms +773 +15500000 +150000$' <<<"$out" &&
	grep -Eq '^ +--no-tdi +109$' <<<"$out"; echo $?)" \
	"summary: the scrape time at 4,096 TDIs, with and without the per-TDI histograms" "$out"

out=$(bash "$BENCH" summary "$TMP/guest.log" 2>&1)
ok "$(grep -Eq '^ +log2 histogram add +- +11\.00 +-$' <<<"$out" &&
	! grep -q 'weighs the tracing' <<<"$out"; echo $?)" \
	"summary without the host's run: the guest's figures, no factor" "$out"

echo "1..$n"
[ "$failed" = 0 ]
