#!/usr/bin/env bash
# The test command (`make test`): unit tests and integration tests against
# a real kube-apiserver and etcd, with the real CRDs of Knative Serving,
# Istio and Argo Workflows from the Go module cache.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBEBUILDER_ASSETS="$(bash test/controlplane/install.sh | tail -n 1)"
export KUBEBUILDER_ASSETS
echo "control plane: $KUBEBUILDER_ASSETS ($("$KUBEBUILDER_ASSETS/kube-apiserver" --version), etcd $("$KUBEBUILDER_ASSETS/etcd" --version | sed -n 's/^etcd Version: //p'))"

# The integration tests read third-party CRDs from the module cache.
go mod download
go vet ./...
go test -count=1 ./... "$@"
