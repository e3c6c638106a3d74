#!/usr/bin/env bash
# Builds Knative Serving's controller (knative.dev/serving/cmd/controller),
# which `make dev` runs so that Knative Services get their Configurations,
# Routes and Revisions, and its admission webhook (.../cmd/webhook), which
# test/fullchain runs so that everything Knative's controller writes passes
# Knative's real admission. Built through the Go module proxy in a wrapper
# module under the cache, so knapp's go.mod stays as it is and both build
# with the dependency versions Knative released them with.
#
# The binaries are cached by version (a cold build of the controller takes
# about six minutes on two cores, the webhook seconds after it); the script
# prints the controller's path on its last line, the webhook is next to it.
set -euo pipefail

SERVING_VERSION="${SERVING_VERSION:-v0.50.0}"
CACHE_DIR="${KNAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knapp}"
BIN_DIR="$CACHE_DIR/knative/serving-$SERVING_VERSION"
BUILD_DIR="$CACHE_DIR/build/knative-serving-$SERVING_VERSION"
CMDS=(controller webhook)

log() { echo "knative: $*" >&2; }

# stamped: the binary exists and was built from the wanted release (neither
# has a --version flag; `go version -m` names the module its main package
# came from). grep reads to the end, as in install.sh: grep -q under
# pipefail can fail by SIGPIPE.
stamped() {
	local bin="$BIN_DIR/$1"
	[[ -x "$bin" ]] || return 1
	go version -m "$bin" 2>/dev/null |
		grep -E "^[[:space:]]+(mod|dep)[[:space:]]+knative.dev/serving[[:space:]]+$SERVING_VERSION([[:space:]]|$)" >/dev/null
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
	{
		echo "//go:build tools"
		echo
		echo "package tools"
		echo
		echo "import ("
		local c
		for c in "${CMDS[@]}"; do
			echo "	_ \"knative.dev/serving/cmd/$c\""
		done
		echo ")"
	} >"$BUILD_DIR/tools.go"
}

build() {
	local cmd="$1"
	log "building knative.dev/serving/cmd/$cmd $SERVING_VERSION (cold: the controller about six minutes on two cores, the webhook seconds after it)"
	mkdir -p "$BIN_DIR"
	(cd "$BUILD_DIR" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
		-o "$BIN_DIR/$cmd.tmp" "knative.dev/serving/cmd/$cmd")
	mv "$BIN_DIR/$cmd.tmp" "$BIN_DIR/$cmd"
}

main() {
	local cmd wrapper_written=""
	for cmd in "${CMDS[@]}"; do
		stamped "$cmd" && continue
		if [[ -z "$wrapper_written" ]]; then
			write_wrapper_module
			wrapper_written=1
		fi
		build "$cmd"
	done
	# Never print a path that is not there (a cold cache once did).
	for cmd in "${CMDS[@]}"; do
		if ! stamped "$cmd"; then
			log "$BIN_DIR/$cmd is missing or not built from $SERVING_VERSION after the build"
			exit 1
		fi
	done
	echo "$BIN_DIR/controller"
}

main
