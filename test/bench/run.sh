#!/usr/bin/env bash
# make bench: the scale benchmark (test/bench) on a local control plane.
# Arguments go to the benchmark, e.g. -n 100,1000,5000 -steady 5m.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KUBEBUILDER_ASSETS="$(bash test/controlplane/install.sh | tail -n1)"
export KUBEBUILDER_ASSETS

go build -o bin/knapp ./cmd/knapp

# Built and exec'd rather than `go run`: go run does not pass SIGTERM on, so
# the benchmark (and the etcd, kube-apiserver and knapp it started) would
# outlive a terminated `make bench`.
CACHE_DIR="${KNAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knapp}"
go build -o "$CACHE_DIR/bin/knapp-bench" ./test/bench
exec "$CACHE_DIR/bin/knapp-bench" "$@"
