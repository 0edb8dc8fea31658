#!/usr/bin/env bash
# fuzz.sh TARGET [SECONDS] [-- LIBFUZZER-FLAGS...]: builds the libFuzzer target TARGET (fuzz/Targets/TARGET.swift)
# and runs it for SECONDS (default 60) on one core, with a seed corpus from fixtures/ and, when
# present, ../shared/testdata (the HCL specification suite). `fuzz.sh list` names the targets;
# `fuzz.sh TARGET 0` only builds. Crashes land in .build/fuzz/crashes/TARGET/, the grown corpus in
# .build/fuzz/corpus/TARGET/ (kept between runs). Needs a Swift toolchain whose swiftc accepts
# `-sanitize=fuzzer,address` (the Linux toolchains from swift.org do).
#
# The package's modules are compiled here with swiftc (instrumented for coverage and AddressSanitizer);
# its dependencies (Yams, swift-crypto) are linked from the ordinary debug build, built first when
# missing (`swift build --product ghr-audit`), and are not instrumented.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build/fuzz
deps=$root/.build/debug
targets=(hcl-parse hcl-eval json yaml bash powershell iam-json iam-hcl workflow secrets)

case "${1:-}" in
  ""|-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  list) printf '%s\n' "${targets[@]}"; exit 0 ;;
esac
target=$1
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
[ -f "fuzz/Targets/$target.swift" ] || { echo "fuzz.sh: no target $target (fuzz.sh list)" >&2; exit 2; }

# Modules in dependency order, and what each target needs.
modules=(AuditCore Documents HCL Scripts IAM Knowledge Terraform Rules)
extra=()
case "$target" in
  secrets) need=1; extra=(Tests/AuditCoreTests/SecretsReference.swift) ;;
  hcl-parse|hcl-eval) need=3 ;;
  json|yaml) need=2 ;;
  bash|powershell) need=4 ;;
  iam-json|iam-hcl) need=5 ;;
  workflow) need=8 ;;
esac

if [ ! -f "$deps/Modules/Yams.swiftmodule" ] || [ ! -f "$deps/Modules/Crypto.swiftmodule" ]; then
  swift build --product ghr-audit
fi
mkdir -p "$out/obj"
cmaps=()
for m in .build/checkouts/Yams/Sources/CYaml .build/checkouts/swift-crypto/Sources/CCryptoBoringSSL \
         .build/checkouts/swift-crypto/Sources/CCryptoBoringSSLShims; do
  cmaps+=(-Xcc "-fmodule-map-file=$root/$m/include/module.modulemap" -Xcc "-I$root/$m/include")
done
common=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6 -enable-testing -package-name ghr_audit -I "$out/obj" -I "$deps/Modules" "${cmaps[@]}")

# Each module is rebuilt when one of its sources (or a module it depends on) is newer than its object.
stale=0
for m in "${modules[@]:0:$need}"; do
  obj=$out/obj/$m.o
  if [ "$stale" = 1 ] || [ ! -f "$obj" ] || [ -n "$(find "Sources/$m" -name '*.swift' -newer "$obj" -print -quit)" ]; then
    stale=1
    echo "fuzz.sh: compiling $m" >&2
    swiftc "${common[@]}" -module-name "$m" -wmo -c -emit-module -emit-module-path "$out/obj/$m.swiftmodule" \
      -o "$obj" $(find "Sources/$m" -name '*.swift' | sort)
  fi
done
depobjs=()
for d in Yams CYaml Crypto CryptoBoringWrapper CCryptoBoringSSL CCryptoBoringSSLShims CXKCP CXKCPShims; do
  while IFS= read -r o; do depobjs+=("$o"); done < <(find "$deps/$d.build" -name '*.o' | sort)
done
bin=$out/bin/$target
mkdir -p "$out/bin"
if [ ! -f "$bin" ] || [ -n "$(find "fuzz/Targets/$target.swift" fuzz/Targets/Support.swift "${extra[@]}" "$out/obj" -newer "$bin" -print -quit)" ]; then
  echo "fuzz.sh: linking $target" >&2
  rm -f "$bin"
  objs=()
  for m in "${modules[@]:0:$need}"; do objs+=("$out/obj/$m.o"); done
  swiftc "${common[@]}" -module-name FuzzTarget "fuzz/Targets/$target.swift" fuzz/Targets/Support.swift "${extra[@]}" \
    "${objs[@]}" "${depobjs[@]}" -lstdc++ -o "$bin" 2>&1 | { grep -v "Cannot export local symbol" >&2 || true; }
  [ -x "$bin" ] || exit 1
fi
[ "$seconds" = 0 ] && exit 0

# Seed corpus: files of the kinds the target reads, from fixtures/ and the HCL spec suite.
seeds=$out/seeds/$target
corpus=$out/corpus/$target
crashes=$out/crashes/$target
mkdir -p "$seeds" "$corpus" "$crashes"
case "$target" in
  # The HCL specification suite's .t (expected results) and .hcldec (specs) files are native syntax too.
  hcl-parse|hcl-eval) pattern='\.(tf|tfvars|hcl|pkr\.hcl|tftpl|hcldec|t|tf\.json|hcl\.json)$' ;;
  json|iam-json) pattern='\.(json|tpl|tftpl)$' ;;
  yaml|workflow) pattern='\.(ya?ml)$' ;;
  bash) pattern='\.(sh|bash)(\.tftpl|\.tpl)?$|start-runner' ;;
  powershell) pattern='\.ps1(\.tftpl|\.tpl)?$' ;;
  iam-hcl) pattern='\.tf$' ;;
  # Secrets are masked in every file the audit reads.
  secrets) pattern='\.(tf|tfvars|hcl|json|ya?ml|sh|ps1|tftpl|tpl|pem|env|md)$' ;;
esac
# Made afresh on every run (a few seconds), so new fixtures and a changed pattern reach the fuzzer.
rm -rf "$seeds" && mkdir -p "$seeds"
{ find fixtures rules -type f; [ -d ../shared/testdata ] && find ../shared/testdata -type f; } 2>/dev/null \
  | grep -E "$pattern" | while IFS= read -r f; do
    size=$(stat -c %s "$f")
    [ "$size" -le 65536 ] && cp "$f" "$seeds/$(printf '%s' "$f" | md5sum | cut -c1-16)"
  done || true
# The module's own templates and scripts, when its git mirror is here (as the tests find it).
mirror=${GHR_AUDIT_MIRROR:-/work/.mirror/github-aws-runners+terraform-aws-github-runner/repo}
if [ -d "$mirror" ]; then
  git --git-dir="$mirror" ls-tree -r --name-only HEAD 2>/dev/null | grep -E "$pattern" | grep -v node_modules | head -200 \
    | while IFS= read -r f; do
      git --git-dir="$mirror" show "HEAD:$f" > "$seeds/mirror-$(printf '%s' "$f" | md5sum | cut -c1-16)" 2>/dev/null
    done || true
fi
# Always at least one seed.
printf ' ' > "$seeds/empty"
echo "fuzz.sh: $target for ${seconds}s, $(ls "$seeds" | wc -l) seeds, corpus $(ls "$corpus" | wc -l)" >&2
# Leaks are not sought (a run of the tool is one short process) and LeakSanitizer at exit would
# report Swift runtime allocations as a crash.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# A target's libFuzzer dictionary (the tokens its scanners turn on), when it has one.
dict=()
[ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=30 -rss_limit_mb=2048 -detect_leaks=0 \
  -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" "$@" "$corpus" "$seeds"
