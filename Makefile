# knapp: run `make help` for the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c

# Tools and the local control plane are cached outside the checkout, so a
# machine builds them once.
KNAPP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/knapp
export KNAPP_CACHE
TOOLS_BIN := $(KNAPP_CACHE)/bin
CONTROLLER_TOOLS_VERSION ?= v0.20.0
CONTROLLER_GEN := $(TOOLS_BIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# allowDangerousTypes: the analysis thresholds of progressive releases are
# decimals people write (successRate: 99.5, max: 0.01), so float64 fields.
.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD and RBAC from the code's markers, and sync the Helm chart.
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=knapp-manager paths=./controllers/... output:rbac:artifacts:config=config/rbac
	bash hack/chart-sync.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: build
build: ## Build the manager binary and the kubectl plugin (kubectl knapp, and its shell completion for kubectl) into bin/.
	go build -o bin/knapp ./cmd/knapp
	go build -o bin/kubectl-knapp ./cmd/kubectl-knapp
	ln -sf kubectl-knapp bin/kubectl_complete-knapp

KREW_VERSION ?= v0.1.0

.PHONY: krew
krew: ## kubectl knapp's release archives and Krew manifest for KREW_VERSION (bin/krew; hack/krew.sh).
	bash hack/krew.sh $(KREW_VERSION)

.PHONY: vet
vet: ## go vet every package.
	go vet ./...

.PHONY: controlplane
controlplane: ## Install etcd and build kube-apiserver and kubectl (cached).
	bash test/controlplane/install.sh

.PHONY: test
test: ## Run the unit and integration tests against a real kube-apiserver and etcd.
	bash test/run-tests.sh

.PHONY: test-cold
test-cold: ## make test as on a new machine: a fresh clone of HEAD, a temporary HOME, empty caches (hack/cold-run.sh).
	bash hack/cold-run.sh

.PHONY: test-under-load
test-under-load: ## make test three times (RUNS) beside stress-ng --cpu 2: the suites must hold on a machine twice as busy (hack/under-load.sh).
	bash hack/under-load.sh

FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 30s), from the checked-in seeds.
	go test -run XXX -fuzz=FuzzInject -fuzztime=$(FUZZTIME) ./webhooks/podlogs/
	go test -run XXX -fuzz=FuzzValidate -fuzztime=$(FUZZTIME) ./webhooks/appvalidation/
	go test -run XXX -fuzz=FuzzWebhooks -fuzztime=$(FUZZTIME) ./webhooks/appvalidation/
	go test -run XXX -fuzz=FuzzHandle -fuzztime=$(FUZZTIME) ./webhooks/podlogs/
	go test -run XXX -fuzz=FuzzBuilders -fuzztime=$(FUZZTIME) ./pkg/resources/
	go test -run XXX -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./pkg/hookapi/
	go test -run XXX -fuzz=FuzzHandler -fuzztime=$(FUZZTIME) ./pkg/hookapi/

# The scale benchmark's flags (go run ./test/bench -h), e.g.
# make bench BENCH_ARGS="-n 100,1000,5000 -steady 5m".
BENCH_ARGS ?= -n 100

.PHONY: bench
bench: ## Go benchmarks of the builders, the pod webhook, App admission, the console's list page and a progressive rollback, then the scale benchmark on a local control plane (test/bench; BENCH_ARGS, default -n 100). Figures, no assertions.
	go test -run XXX -bench . -benchmem ./pkg/resources/ ./webhooks/podlogs/ ./webhooks/appvalidation/ ./pkg/cli/
	KUBEBUILDER_ASSETS="$$(bash test/controlplane/install.sh | tail -n 1)" go test -run XXX -bench Rollback -benchtime 3x ./test/progressive/
	bash test/bench/run.sh $(BENCH_ARGS)

HELM_VERSION ?= v3.20.2
HELM := $(TOOLS_BIN)/helm-$(HELM_VERSION)

.PHONY: helm-lint
helm-lint: $(HELM) ## helm lint --strict and helm template the chart with Helm's own CLI (a go-installed helm has no Kubernetes version of its own, hence --kube-version; test/chart runs the same checks in Go).
	$(HELM) lint --strict charts/knapp
	$(HELM) template knapp charts/knapp -n knapp-system --kube-version 1.35.4 >/dev/null
	$(HELM) template knapp charts/knapp -n knapp-system --kube-version 1.35.4 --set webhooks.certManager.enabled=true --set metrics.serviceMonitor.enabled=true >/dev/null

$(HELM):
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS_BIN)/helm $@

.PHONY: dev
dev: ## Run knapp on a local control plane with the sample Apps.
	bash test/dev/run.sh $(DEV_ARGS)

$(CONTROLLER_GEN):
	mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(TOOLS_BIN)/controller-gen $@
