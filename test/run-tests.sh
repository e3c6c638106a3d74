#!/usr/bin/env bash
# The test command (`make test`): unit tests and integration tests against
# a real kube-apiserver and etcd, with the real CRDs of Knative Serving,
# Istio and Argo Workflows from the Go module cache, progressive releases
# judged by a real Prometheus (test/progressive), and the full-chain test
# (test/fullchain) with kube-controller-manager, kube-scheduler, kwok and
# Knative Serving's own controller and webhook.
set -euo pipefail
cd "$(dirname "$0")/.."

# The README test (test/readme) runs the README's commands, curl and
# openssl among them; test/buildsteps runs the build template's clone step
# with git and ssh.
for tool in curl openssl git ssh; do
	if ! command -v "$tool" >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq --no-install-recommends curl openssl ca-certificates git openssh-client
		break
	fi
done

KUBEBUILDER_ASSETS="$(bash test/controlplane/install.sh | tail -n 1)"
export KUBEBUILDER_ASSETS
echo "control plane: $KUBEBUILDER_ASSETS ($("$KUBEBUILDER_ASSETS/kube-apiserver" --version), etcd $("$KUBEBUILDER_ASSETS/etcd" --version | sed -n 's/^etcd Version: //p'))"
# Knative Serving's controller and webhook for test/fullchain, built here so
# that a cold build does not run inside go test's timeout.
KNAPP_KNATIVE_CONTROLLER="$(bash test/controlplane/knative.sh | tail -n 1)"
export KNAPP_KNATIVE_CONTROLLER

# Debian's Chromium for test/console, which drives the web console in it.
if ! command -v chromium >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium
fi

# A real Prometheus for test/progressive and test/promtest (Debian's
# package), installed before go test so its time is not the tests'.
KNAPP_PROMETHEUS="$(bash test/promtest/install.sh | tail -n 1)"
export KNAPP_PROMETHEUS
echo "prometheus: $KNAPP_PROMETHEUS ($("$KNAPP_PROMETHEUS" --version 2>&1 | head -n 1))"

# The integration tests read third-party CRDs from the module cache.
go mod download
go vet ./...
# Twice go test's default 10m per package: test/failure and test/fullchain
# build knapp and start processes inside it, on a machine that may be busy.
go test -count=1 -timeout=20m ./... "$@"
# Istio's own translation of knapp's VirtualServices into the ingress
# gateway's Envoy routes (a module of its own: istiod's dependencies stay
# out of knapp's go.mod; its first build takes about 7 minutes on two cores,
# cached in the module and build caches after).
(cd test/istiojudge && go vet ./... && go test -count=1 -timeout=20m ./...)
