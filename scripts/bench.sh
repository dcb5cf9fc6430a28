#!/usr/bin/env bash
# `make bench` (issue 8): builds the release binary and the Benchmarks package, runs the micro
# benchmarks (ordo-one/benchmark) and the process benchmarks (cost per backup, idle, start, fleet)
# against bench-simulator on loopback, and prints one summary table (also in $BENCH_OUT/summary.md).
#
# Environment:
#   BENCH_OUT    results folder (default .build-bench; git ignores it)
#   BENCH_ONLY   comma list of micro,cost,idle,start,fleet,copy (default: all)
#   COPY_BYTES   size of the simulated backup the copy benchmark copies (default 2 GiB)
#   BENCH_ARGS   extra arguments for scripts/bench_process.py (e.g. "--fleet-entries 200")
#   PEER_VENV    virtualenv with the OpenStack CLI + OTC extensions (default .build/peer-venv, as
#                scripts/peer-check.sh; created here with pip when missing)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-.build-bench}
ONLY=${BENCH_ONLY:-micro,cost,idle,start,fleet,copy}
VENV=${PEER_VENV:-.build/peer-venv}
mkdir -p "$OUT"

# Built as `make install` builds it: the Swift runtime linked in (--static-swift-stdlib), which is
# what the start time and the RSS figures are about. bench-simulator (Sources/bench-simulator) comes
# out of the same build folder, so the dependencies are built once.
release=(swift build -c release --static-swift-stdlib --scratch-path .build-release)
echo "bench: release build of rds-backupd and bench-simulator (.build-release, --static-swift-stdlib)" >&2
"${release[@]}" --product rds-backupd 2>&1 | tail -3 >&2
"${release[@]}" --product bench-simulator 2>&1 | tail -3 >&2
if [[ ",$ONLY," == *",copy,"* ]]; then "${release[@]}" --product copy-bench 2>&1 | tail -3 >&2; fi
BIN=$("${release[@]}" --show-bin-path)/rds-backupd
SIM=$("${release[@]}" --show-bin-path)/bench-simulator

if [[ ",$ONLY," == *",micro,"* ]]; then
    echo "bench: micro benchmarks" >&2
    (cd Benchmarks && swift package --disable-sandbox benchmark --target Micro --no-progress --format markdown) \
        > "$OUT/micro.md"
fi

if [[ ",$ONLY," == *",cost,"* ]] && [ ! -x "$VENV/bin/openstack" ]; then
    echo "bench: creating $VENV (pip install otcextensions python-openstackclient)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check otcextensions python-openstackclient
fi

process=$(echo "$ONLY" | tr ',' '\n' | grep -v '^micro$' | grep -v '^copy$' | paste -sd, - || true)
if [ -n "$process" ]; then
    # shellcheck disable=SC2086  # BENCH_ARGS is a word list on purpose
    python3 scripts/bench_process.py --bin "$BIN" --sim "$SIM" --venv "$VENV" --only "$process" \
        --out "$OUT/process.json" ${BENCH_ARGS:-}
fi

# Offsite copies (issue 19): a 2 GiB simulated backup copied by a process of its own.
: > "$OUT/copy.md"
if [[ ",$ONLY," == *",copy,"* ]]; then
    echo "bench: offsite copy of a $(( ${COPY_BYTES:-2147483648} / 1048576 )) MiB simulated backup" >&2
    python3 scripts/bench_copy.py --bin "$("${release[@]}" --show-bin-path)/copy-bench" \
        --bytes "${COPY_BYTES:-2147483648}" --out "$OUT/copy.json" > "$OUT/copy.md"
fi

python3 scripts/bench_report.py --micro "$OUT/micro.md" --process "$OUT/process.json" > "$OUT/summary.md"
if [ -s "$OUT/copy.md" ]; then
    { echo; echo "| | Measure | Figure | Target | Met |"; echo "|:--|:--|:--|:--|:--|"; cat "$OUT/copy.md"; } >> "$OUT/summary.md"
fi
cat "$OUT/summary.md"
