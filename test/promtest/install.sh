#!/usr/bin/env bash
# Installs the Prometheus server that test/promtest runs: Debian's
# prometheus package (2.42.0 on Debian 12), through apt only, and only when
# no prometheus is on PATH already. The script prints the binary's absolute
# path on its last line, which promtest reads (KNAPP_PROMETHEUS skips it).
set -euo pipefail

log() { echo "promtest: $*" >&2; }

# works: the binary runs and says it is Prometheus. grep reads to the end
# (no -q), so pipefail never sees the binary killed by SIGPIPE.
works() {
	"$1" --version 2>&1 | grep '^prometheus, version' >/dev/null
}

main() {
	local bin
	bin="$(command -v prometheus || true)"
	if [[ -z "$bin" ]]; then
		log "installing prometheus from Debian ($(apt-cache policy prometheus 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' || true))"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		# The package's postinst may try to start a system service; there is
		# no init here and the tests start prometheus themselves, so that
		# failure is harmless. Whether the binary landed is checked below.
		apt-get install -y -qq --no-install-recommends prometheus >&2 || true
		bin="$(command -v prometheus || true)"
	fi
	if [[ -z "$bin" ]]; then
		log "prometheus is not installed and apt-get could not install the prometheus package"
		exit 1
	fi
	bin="$(readlink -f "$bin")"
	if ! works "$bin"; then
		log "$bin does not run as prometheus (--version)"
		exit 1
	fi
	echo "$bin"
}

main
