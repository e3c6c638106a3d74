#!/usr/bin/env bash
# Installs the local control plane that the integration tests and `make dev`
# run against: etcd from Debian's etcd-server package; kube-apiserver,
# kubectl, kube-controller-manager and kube-scheduler built from
# k8s.io/kubernetes through the Go module proxy; and kwok (fake nodes whose
# pods it marks Running, for test/fullchain) installed from the proxy.
#
# The binaries land in one directory (the envtest "assets" directory), cached
# outside the checkout so a machine pays the cold build once: on two cores
# about ten minutes for kube-apiserver, four more for kube-controller-manager
# and three for kwok (kubectl and kube-scheduler reuse the build cache). The
# script prints that directory on its last line.
#
# Why a wrapper module: k8s.io/kubernetes's published go.mod points every
# k8s.io/<staging> module at ./staging/..., which a module download does not
# carry, so the wrapper replaces each with its published v0.X.Y.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.35.4}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
CACHE_DIR="${KNAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knapp}"
ASSETS_DIR="$CACHE_DIR/k8s/v$K8S_VERSION"
BUILD_DIR="$CACHE_DIR/build/kubernetes-v$K8S_VERSION"

log() { echo "controlplane: $*" >&2; }

install_etcd() {
	if [[ -x "$ASSETS_DIR/etcd" ]] && "$ASSETS_DIR/etcd" --version >/dev/null 2>&1; then
		return
	fi
	local etcd_bin
	etcd_bin="$(command -v etcd || true)"
	if [[ -z "$etcd_bin" ]]; then
		log "installing etcd-server from Debian"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		# The package's postinst may try to start a system service; there is
		# no init here and we start etcd ourselves, so that failure is harmless.
		apt-get install -y -qq --no-install-recommends etcd-server >&2 || true
		etcd_bin="$(command -v etcd || true)"
	fi
	if [[ -z "$etcd_bin" ]]; then
		log "etcd is not installed and apt-get could not install etcd-server"
		exit 1
	fi
	ln -sf "$etcd_bin" "$ASSETS_DIR/etcd"
}

# stamped: the binary exists and reports the wanted version (kubectl has
# no --version flag). grep reads to the end (no -q): under pipefail, a grep
# -q that exits at the first match can fail the pipeline by SIGPIPE to the
# binary still writing, which once made a built kubectl look unbuilt.
stamped() {
	local bin="$1"
	[[ -x "$bin" ]] || return 1
	if [[ "$(basename "$bin")" == kubectl ]]; then
		"$bin" version --client 2>/dev/null | grep "v$K8S_VERSION" >/dev/null
	else
		"$bin" --version 2>/dev/null | grep "v$K8S_VERSION" >/dev/null
	fi
}

write_wrapper_module() {
	mkdir -p "$BUILD_DIR"
	local kdir
	kdir="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	if [[ -z "$kdir" ]]; then
		log "k8s.io/kubernetes@v$K8S_VERSION is not on the module proxy"
		exit 1
	fi
	local minor="${K8S_VERSION#*.}"
	{
		echo "module knapp.dev/controlplane-build"
		echo
		sed -n 's/^go \(.*\)$/go \1/p' "$kdir/go.mod"
		echo
		echo "require k8s.io/kubernetes v$K8S_VERSION"
		echo
		echo "replace ("
		grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging/' "$kdir/go.mod" |
			awk -v v="v0.$minor" '{print "\t" $1 " => " $1 " " v}'
		echo ")"
	} >"$BUILD_DIR/go.mod"
	# A blank-import file keeps the wrapper a valid main module.
	cat >"$BUILD_DIR/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
}

build_k8s() {
	local cmd="$1"
	if stamped "$ASSETS_DIR/$cmd"; then
		return
	fi
	log "building $cmd v$K8S_VERSION (cold on two cores: kube-apiserver about ten minutes, kube-controller-manager about four after it, the others seconds)"
	local major="${K8S_VERSION%%.*}" minor
	minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
	local ldflags="" pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done
	(cd "$BUILD_DIR" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
		-o "$ASSETS_DIR/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
	mv "$ASSETS_DIR/$cmd.tmp" "$ASSETS_DIR/$cmd"
}

# install_kwok: kwok from the proxy (its go.mod has no replace lines, so go
# install pkg@version works), stamped by the module version `go version -m`
# names. Its stage files (kustomize/stage/ in the same module) are read by
# the tests from the module cache, where go install leaves the module.
install_kwok() {
	local bin="$ASSETS_DIR/kwok"
	if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null |
		grep -E "^[[:space:]]+mod[[:space:]]+sigs.k8s.io/kwok[[:space:]]+$KWOK_VERSION([[:space:]]|$)" >/dev/null; then
		return
	fi
	log "installing sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION (cold: about three minutes on two cores)"
	local tmp
	tmp="$(mktemp -d "$ASSETS_DIR/.kwok.XXXXXX")"
	GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
	mv "$tmp/kwok" "$bin"
	rmdir "$tmp"
}

K8S_CMDS=(kube-apiserver kubectl kube-controller-manager kube-scheduler)

main() {
	local cmd
	mkdir -p "$ASSETS_DIR"
	install_etcd
	for cmd in "${K8S_CMDS[@]}"; do
		if ! stamped "$ASSETS_DIR/$cmd"; then
			write_wrapper_module
			break
		fi
	done
	for cmd in "${K8S_CMDS[@]}"; do
		build_k8s "$cmd"
	done
	install_kwok
	# Never print a directory that lacks a binary (a cold cache once left
	# one of Knative's unbuilt; this keeps the same mistake out of here).
	for cmd in "${K8S_CMDS[@]}"; do
		if ! stamped "$ASSETS_DIR/$cmd"; then
			log "$ASSETS_DIR/$cmd is missing or not v$K8S_VERSION after the build"
			exit 1
		fi
	done
	if ! "$ASSETS_DIR/etcd" --version >/dev/null 2>&1 || [[ ! -x "$ASSETS_DIR/kwok" ]]; then
		log "etcd or kwok is missing from $ASSETS_DIR after the install"
		exit 1
	fi
	echo "$ASSETS_DIR"
}

main
