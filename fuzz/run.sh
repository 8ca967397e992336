#!/bin/bash
# fuzz/run.sh: runs the harness, from the repository root.
#
#   run.sh HARNESS SECONDS    fuzz for SECONDS with one worker, on the working
#                             corpus fuzz/build/corpus (new inputs go there),
#                             the seeds and fuzz/regressions; a crashing input
#                             is written to fuzz/regressions/
#   run.sh HARNESS replay     run every seed and regression input once
#
# Prints "fuzz: N executions in S s (R/s), no finding" or fails.
set -euo pipefail

harness=$1
mode=$2
seeds=fuzz/build/seeds
corpus=fuzz/build/corpus
regressions=fuzz/regressions
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# libFuzzer options: one process, at most 2 GB, 20 s per input
opts=(-rss_limit_mb=2048 -timeout=20 -print_final_stats=1)

if [ "$mode" = replay ]; then
	# directories with -runs=0: every input once, whole, no mutation
	"$harness" "${opts[@]}" -runs=0 "$seeds" "$regressions" 2>&1 | tee "$log" |
		grep -E '^(INFO: seed corpus|#[0-9]+ +(INITED|DONE))' || true
	[ "${PIPESTATUS[0]}" = 0 ] || { cat "$log"; exit 1; }
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "fuzz-replay: $runs inputs ran clean"
	exit 0
fi

mkdir -p "$corpus" "$regressions"
start=$(date +%s)
set +e
# mutations up to 64 kB (the models among the seeds are below 24 kB; the
# corpus's deep-nesting files are cut there)
"$harness" "${opts[@]}" -max_len=65536 -max_total_time="$mode" -artifact_prefix="$regressions/" \
	"$corpus" "$seeds" "$regressions" >"$log" 2>&1
rc=$?
set -e
elapsed=$(( $(date +%s) - start ))
grep -E '^#[0-9]+ +(INITED|DONE)|^stat::|^INFO: seed corpus' "$log" || true
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ "$rc" != 0 ]; then
	tail -60 "$log"
	echo "fuzz: FINDING after ${runs:-?} executions; the input is in $regressions/" >&2
	exit 1
fi
echo "fuzz: $runs executions in $elapsed s ($(( runs / (elapsed > 0 ? elapsed : 1) ))/s), no finding"
