#!/usr/bin/env bash
# make dev: runs knapp on a local control plane with the sample Apps.
# Arguments go to the dev program, e.g. --once to exit after the samples
# converged (CI's smoke test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KUBEBUILDER_ASSETS="$(bash test/controlplane/install.sh | tail -n1)"
export KUBEBUILDER_ASSETS
# Knative Serving's controller, so Knative Services get Revisions.
KNATIVE_CONTROLLER="$(bash test/controlplane/knative.sh | tail -n1)"

go build -o bin/knapp ./cmd/knapp
# The kubectl plugin, for the README's first hour (kubectl knapp).
go build -o bin/kubectl-knapp ./cmd/kubectl-knapp
ln -sf kubectl-knapp bin/kubectl_complete-knapp   # kubectl completes kubectl knapp's words with it

# Built and exec'd rather than `go run`: go run does not pass SIGTERM on, so
# the dev program (and the etcd and kube-apiserver it started) would outlive
# a terminated `make dev`.
CACHE_DIR="${KNAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knapp}"
go build -o "$CACHE_DIR/bin/knapp-dev" ./test/dev
exec "$CACHE_DIR/bin/knapp-dev" --knative-controller="$KNATIVE_CONTROLLER" "$@"
