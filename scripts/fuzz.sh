#!/usr/bin/env bash
# Bounded libFuzzer runs of the parsers that read what users and the network control.
#
#   scripts/fuzz.sh                      # every target, FUZZ_SECONDS (default 20) each
#   FUZZ_SECONDS=300 scripts/fuzz.sh schedule
#   scripts/fuzz.sh --build-only         # compile the targets, run nothing
#
# Targets (sources in Fuzz/<Target>/main.swift, seeds in Fuzz/corpus/<target>/):
#   schedule       Schedule.parse on any bytes: never a crash or hang, every problem has a line
#   api-response   APIErrorBody.parse, Backup/Instance decoding, API times, endpoint URLs
#   name-template  NameTemplate parsing and rendering with hostile aliases, instance names, engines
#
# How it builds: the package's BackupScheduler target (and its dependencies) is compiled by
# SwiftPM into its own scratch directory, .build/fuzz, with AddressSanitizer and libFuzzer's
# coverage instrumentation (-sanitize=fuzzer on Swift, -fsanitize=fuzzer-no-link on C). Nothing
# is linked there. Each target's main.swift is then compiled with swiftc -sanitize=fuzzer,address
# against the modules in .build/fuzz and linked with the objects of every compiled target; the
# clang module maps come from SwiftPM's own build manifest. The shared .build/debug is untouched.
#
# A finding stops the run with libFuzzer's report; the input is saved as
# .build/fuzz/findings/<target>/crash-* (or timeout-*, oom-*). Reproduce it with
#   .build/fuzz/bin/fuzz-<target> .build/fuzz/findings/<target>/crash-…
# then add it to Fuzz/corpus/<target>/ with the fix, so every later run replays it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-20}
scratch=.build/fuzz
all_targets=(schedule api-response name-template)

build_only=false
targets=()
for argument in "$@"; do
    case "$argument" in
        --build-only) build_only=true ;;
        schedule | api-response | name-template) targets+=("$argument") ;;
        *) echo "fuzz.sh: unknown target '$argument'; targets are: ${all_targets[*]}" >&2; exit 2 ;;
    esac
done
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

# A first run reuses the main build's resolved checkouts instead of resolving again.
if [ ! -d "$scratch/checkouts" ] && [ -d .build/checkouts ]; then
    mkdir -p "$scratch"
    cp -r .build/checkouts .build/repositories .build/workspace-state.json "$scratch"/ 2>/dev/null || true
fi

echo "fuzz: building BackupScheduler with ASan + libFuzzer coverage in $scratch (the first time takes ~15 min)"
swift build --scratch-path "$scratch" --target BackupScheduler --sanitize=address \
    -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
bin=$(swift build --scratch-path "$scratch" --show-bin-path)

# The clang module maps and include paths SwiftPM gave BackupScheduler's compilation.
mapfile -t clang_flags < <(grep -F '"C.BackupScheduler-' "$scratch/debug.yaml" -A 40 \
    | grep -m1 -o '"-module-name","BackupScheduler".*' \
    | grep -o '"-Xcc","-fmodule-map-file=[^"]*"\|"-Xcc","-I","-Xcc","[^"]*"' \
    | tr -d '"' | tr ',' '\n')
# Objects of every library target built there (tests and executables are never built there).
mapfile -t objects < <(find "$bin" -path "$bin/*.build/*" -name '*.o' \
    -not -path '*Tests.build/*' -not -path '*/rds-backupd.build/*' -not -path '*-tool.build/*' | sort)
[ ${#objects[@]} -gt 0 ] || { echo "fuzz: no objects in $bin" >&2; exit 1; }

mkdir -p "$scratch/bin"
source_dir() {
    case "$1" in
        schedule) echo ScheduleParser ;;
        api-response) echo APIResponse ;;
        name-template) echo NameTemplate ;;
    esac
}
for target in "${targets[@]}"; do
    echo "fuzz: linking fuzz-$target"
    swiftc -sanitize=fuzzer,address -parse-as-library -g -swift-version 6 \
        -module-name "Fuzz_$(source_dir "$target")" \
        -I "$bin/Modules" "${clang_flags[@]}" \
        "Fuzz/$(source_dir "$target")/main.swift" "${objects[@]}" \
        -lsqlite3 -lz -o "$scratch/bin/fuzz-$target" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" || true
    [ -x "$scratch/bin/fuzz-$target" ] || { echo "fuzz: linking fuzz-$target failed" >&2; exit 1; }
done
$build_only && exit 0

status=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"      # grows during runs; the seeds stay in Fuzz/corpus
    findings="$scratch/findings/$target"
    mkdir -p "$corpus" "$findings"
    dictionary=()
    [ -f "Fuzz/dict/$target.dict" ] && dictionary=(-dict="Fuzz/dict/$target.dict")
    echo "fuzz: $target for ${seconds}s"
    if ! "$scratch/bin/fuzz-$target" "$corpus" "Fuzz/corpus/$target" "${dictionary[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="$findings/" -print_final_stats=1 2>"$scratch/$target.log"; then
        status=1
        echo "fuzz: $target FOUND A PROBLEM; the report:" >&2
        grep -v "^#[0-9]" "$scratch/$target.log" | tail -40 >&2
    else
        grep -E "^stat::number_of_executed_units|^stat::new_units_added|^Done" "$scratch/$target.log" | sed "s/^/fuzz: $target: /"
    fi
done
exit $status
