#!/usr/bin/env bash
# Builds kubectl knapp's release archives and its Krew manifest:
#   bash hack/krew.sh v0.1.0
# writes bin/krew/kubectl-knapp_<os>_<arch>.tar.gz for each of PLATFORMS
# (default linux/amd64 linux/arm64 darwin/amd64 darwin/arm64) and
# bin/krew/knapp.yaml, config/krew/knapp.yaml with the version and each
# archive's sha256 and download URL (RELEASE_URL, default the GitHub
# release of that version).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:?usage: hack/krew.sh VERSION (such as v0.1.0)}"
PLATFORMS="${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}"
RELEASE_URL="${RELEASE_URL:-https://github.com/knapp-dev/knapp/releases/download/$VERSION}"
OUT=bin/krew
mkdir -p "$OUT"

entries=""
for platform in $PLATFORMS; do
	os="${platform%/*}" arch="${platform#*/}"
	dir="$(mktemp -d)"
	CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath -o "$dir/kubectl-knapp" ./cmd/kubectl-knapp
	archive="kubectl-knapp_${os}_${arch}.tar.gz"
	# A reproducible archive: fixed order, owner and time.
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -czf "$OUT/$archive" kubectl-knapp
	rm -rf "$dir"
	sum="$(sha256sum "$OUT/$archive" | cut -d' ' -f1)"
	entries+="  - selector:
      matchLabels: {os: $os, arch: $arch}
    uri: $RELEASE_URL/$archive
    sha256: $sum
    bin: kubectl-knapp
"
done
PLATFORMS_YAML="${entries%$'\n'}"
sed -e "s|\${VERSION}|$VERSION|" -e '/^#/d' config/krew/knapp.yaml | awk -v platforms="$PLATFORMS_YAML" '{ if ($0 == "${PLATFORMS}") print platforms; else print }' > "$OUT/knapp.yaml"
echo "$OUT/knapp.yaml"
