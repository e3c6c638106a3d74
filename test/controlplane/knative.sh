#!/usr/bin/env bash
# Builds Knative Serving's controller (knative.dev/serving/cmd/controller),
# which `make dev` runs so that Knative Services get their Configurations,
# Routes and Revisions. Built through the Go module proxy in a wrapper module
# under the cache, so knapp's go.mod stays as it is and the controller builds
# with the dependency versions Knative released it with.
#
# The binary is cached by version (a cold build takes about six minutes on
# two cores); the script prints its path on its last line.
set -euo pipefail

SERVING_VERSION="${SERVING_VERSION:-v0.50.0}"
CACHE_DIR="${KNAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knapp}"
BIN="$CACHE_DIR/knative/serving-$SERVING_VERSION/controller"
BUILD_DIR="$CACHE_DIR/build/knative-serving-$SERVING_VERSION"

log() { echo "knative: $*" >&2; }

# stamped: the binary exists and was built from the wanted release (the
# controller has no --version flag; `go version -m` names the module its
# main package came from).
stamped() {
	[[ -x "$BIN" ]] || return 1
	go version -m "$BIN" 2>/dev/null |
		grep -qE "^[[:space:]]+(mod|dep)[[:space:]]+knative.dev/serving[[:space:]]+$SERVING_VERSION([[:space:]]|$)"
}

write_wrapper_module() {
	mkdir -p "$BUILD_DIR"
	local sdir
	sdir="$(go mod download -json "knative.dev/serving@$SERVING_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	if [[ -z "$sdir" ]]; then
		log "knative.dev/serving@$SERVING_VERSION is not on the module proxy"
		exit 1
	fi
	{
		echo "module knapp.dev/knative-build"
		echo
		sed -n 's/^go \(.*\)$/go \1/p' "$sdir/go.mod"
		echo
		echo "require knative.dev/serving $SERVING_VERSION"
	} >"$BUILD_DIR/go.mod"
	# A blank-import file keeps the wrapper a valid main module.
	cat >"$BUILD_DIR/tools.go" <<'EOF'
//go:build tools

package tools

import _ "knative.dev/serving/cmd/controller"
EOF
}

if ! stamped; then
	write_wrapper_module
	log "building knative.dev/serving/cmd/controller $SERVING_VERSION (cold: about six minutes on two cores)"
	mkdir -p "$(dirname "$BIN")"
	(cd "$BUILD_DIR" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
		-o "$BIN.tmp" knative.dev/serving/cmd/controller)
	mv "$BIN.tmp" "$BIN"
fi
echo "$BIN"
