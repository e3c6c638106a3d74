#!/usr/bin/env bash
# make test-cold: runs `make test` (or the command given) the way a new
# machine does, to check the install steps: in a fresh clone of the
# committed HEAD, with a temporary HOME, so the knapp cache, Go's build and
# module caches and `go env -w` settings all start empty. CI=true, as in CI.
#
# What it cannot empty: Debian packages already installed (etcd-server) stay
# installed; the scripts install them when missing.
#
#   bash hack/cold-run.sh                 # make test
#   bash hack/cold-run.sh bash .ci/run    # all of CI
#   KNAPP_COLD_KEEP=1 bash hack/cold-run.sh   # keep the clone and its caches
#
# It prints the command's time on its last line.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/knapp-cold.XXXXXX")"
if [[ $# -eq 0 ]]; then
	set -- make test
fi

cleanup() {
	if [[ -n "${KNAPP_COLD_KEEP:-}" ]]; then
		echo "cold run: kept $work (HOME $work/home, clone $work/knapp)" >&2
		return
	fi
	# The module cache is read-only by design.
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

git clone -q "$root" "$work/knapp"
mkdir -p "$work/home"

# PATH without the caller's home (its go/bin, for one), so no tool the
# caller installed by hand stands in for an install step.
path=""
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
	case "$dir" in
	"$HOME" | "$HOME"/*) ;;
	*) path+="${path:+:}$dir" ;;
	esac
done

# Only what a new machine has: no GO*, KNAPP_*, XDG_* or KUBE* from the
# caller, except how to reach the module proxy.
envs=(HOME="$work/home" PATH="$path" CI=true LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}")
for name in GOPROXY GONOSUMDB GONOSUMCHECK GOSUMDB GOPRIVATE GOINSECURE HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
	if [[ -n "${!name:-}" ]]; then
		envs+=("$name=${!name}")
	fi
done

echo "cold run: $* in $work/knapp ($(git -C "$root" rev-parse --short HEAD)), HOME=$work/home" >&2
start=$SECONDS
status=0
(cd "$work/knapp" && env -i "${envs[@]}" "$@") || status=$?
elapsed=$((SECONDS - start))
echo "cold run: exit $status after $((elapsed / 60)) min $((elapsed % 60)) s: $*"
exit "$status"
