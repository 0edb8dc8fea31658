#!/usr/bin/env bash
# Builds a portable ghr-audit: a stripped release binary with the Swift runtime and Foundation
# linked in (--static-swift-stdlib), shell completions and a man page, packed as
#   dist/ghr-audit-<version>-linux-<arch>.tar.gz   and   dist/SHA256SUMS
# Usage: scripts/package.sh [--out DIR] [--scratch-path DIR] [--no-manual]
# The man page comes from swift-argument-parser's generate-manual plugin, which runs on the debug
# build in .build (built first when missing); --no-manual leaves it out (the GitHub Action does).
# The binary still needs the C libraries every Linux distribution has (glibc, libstdc++; `probe`
# loads libcurl when it runs); `ldd` on it shows no libswift*, Foundation, ICU or libcurl.
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
scratch=.build-release
manual=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --scratch-path) scratch=$2; shift 2 ;;
    --no-manual) manual=no; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/Engine/Auditor.swift | head -n 1)
[ -n "$version" ] || { echo "package.sh: no version found in Sources/Engine/Auditor.swift" >&2; exit 2; }
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
name="ghr-audit-${version}-linux-${arch}"

swift build -c release --static-swift-stdlib --product ghr-audit --scratch-path "$scratch"
bin="$scratch/release/ghr-audit"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions" \
         "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
cp "$bin" "$root/bin/ghr-audit"
strip "$root/bin/ghr-audit"
"$root/bin/ghr-audit" --generate-completion-script bash > "$root/share/bash-completion/completions/ghr-audit"
"$root/bin/ghr-audit" --generate-completion-script zsh > "$root/share/zsh/site-functions/_ghr-audit"
"$root/bin/ghr-audit" --generate-completion-script fish > "$root/share/fish/vendor_completions.d/ghr-audit.fish"
if [ "$manual" = yes ]; then
  # The plugin builds the tool in its own configuration; in debug it reuses the ordinary build
  # instead of a second, differently flagged release build.
  swift package plugin generate-manual --configuration debug --date 2000-01-01 >&2
  cp .build/plugins/GenerateManual/outputs/ghr-audit/ghr-audit.1 "$root/share/man/man1/ghr-audit.1"
fi
cp README.md "$root/"

mkdir -p "$out"
# Reproducible archive: fixed owner, order and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' \
    -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" > SHA256SUMS)
size=$(stat -c %s "$root/bin/ghr-audit")
echo "packaged $out/$name.tar.gz (binary $((size / 1024 / 1024)) MiB)"
cat "$out/SHA256SUMS"
