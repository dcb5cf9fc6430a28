#!/usr/bin/env python3
"""The offsite-copy benchmark of `make bench` (issue 19): copy-bench serves a simulated backup of
--bytes (default 2 GiB) on loopback, a second copy-bench process copies it (API call, download,
SHA-256 and manifest, fsync) into a scratch folder; reported: wall time, rate, CPU per GiB and
the copying process's peak RSS (getrusage), against the 64 MiB target.

  scripts/bench_copy.py --bin .build-release/release/copy-bench --out .build-bench/copy.json [--bytes N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

TARGET_RSS_MIB = 64


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--bytes", type=int, default=2 << 30)
    parser.add_argument("--out", required=True)
    parser.add_argument("--scratch", help="where the copy is written (default: a temporary folder)")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="copy-bench-", dir=args.scratch)
    server = subprocess.Popen([args.bin, "serve", "--bytes", str(args.bytes)], stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline().split()
        if len(first) != 3 or first[0] != "listening":
            sys.exit(f"bench_copy: copy-bench serve did not start: {first}")
        port, backup = first[1], first[2]
        run = subprocess.run(
            [args.bin, "copy", "--port", port, "--backup", backup, "--dest", scratch],
            capture_output=True, text=True, timeout=1800)
        if run.returncode != 0:
            sys.exit(f"bench_copy: copy failed: {run.stderr.strip()}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(scratch, ignore_errors=True)

    gib = result["bytes"] / (1 << 30)
    result["gib"] = gib
    result["rate_mib_s"] = result["bytes"] / (1 << 20) / result["seconds"]
    result["cpu_seconds_per_gib"] = result["cpu_seconds"] / gib
    result["peak_rss_mib"] = result["peak_rss_kib"] / 1024
    result["rss_target_met"] = result["peak_rss_mib"] < TARGET_RSS_MIB
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    rows = [
        f"| Copy | {gib:.2f} GiB backup copied over loopback (API, download, SHA-256, fsync, manifest): wall; rate "
        f"| {result['seconds']:.1f} s; {result['rate_mib_s']:.0f} MiB/s |  |  |",
        f"| Copy | CPU per GiB (user + system) | {result['cpu_seconds_per_gib']:.2f} s "
        f"({result['user_seconds']:.2f} + {result['system_seconds']:.2f} s in all) |  |  |",
        f"| Copy | peak RSS of the copying process | {result['peak_rss_mib']:.1f} MiB | < {TARGET_RSS_MIB} MiB "
        f"| {'yes' if result['rss_target_met'] else '**no**'} |",
    ]
    print("\n".join(rows))


if __name__ == "__main__":
    main()
