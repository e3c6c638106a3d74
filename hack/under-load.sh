#!/usr/bin/env bash
# make test-under-load: runs `make test` RUNS times (default 3) with
# `stress-ng --cpu 2` beside it, so the machine is twice as busy as its two
# cores; every run must pass. Prints each run's time and the load average.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${RUNS:-3}"
if ! command -v stress-ng >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends stress-ng
fi

stress-ng --cpu "${STRESS_CPUS:-2}" --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null || true; wait "$stress" 2>/dev/null || true' EXIT

failed=0
for ((run = 1; run <= runs; run++)); do
	start=$SECONDS
	status=0
	make test || status=$?
	elapsed=$((SECONDS - start))
	echo "under load: run $run of $runs: exit $status after $((elapsed / 60)) min $((elapsed % 60)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	[[ $status -eq 0 ]] || failed=$((failed + 1))
done
echo "under load: $((runs - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
