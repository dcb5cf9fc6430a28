#!/usr/bin/env python3
"""The summary table of `make bench`: micro results (package-benchmark markdown) + process results
(scripts/bench_process.py JSON), with the machine it ran on and each issue-8 target met or not.

  scripts/bench_report.py --micro .build-bench/micro.md --process .build-bench/process.json
"""
import argparse
import json
import os
import platform
import re
import subprocess


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        swift = "?"
    return (f"{model}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB, Linux {platform.release()}; "
            f"{swift.strip()}")


def parse_micro(path):
    """{benchmark name: {metric label: p50 text}} from package-benchmark's markdown output."""
    results = {}
    if not path or not os.path.exists(path):
        return results
    name = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            heading = re.match(r"^###\s+(.*?)\s*$", line)
            if heading:
                name = heading.group(1).strip()
                results.setdefault(name, {})
                continue
            if name and line.startswith("|") and not line.startswith("|:") and not line.startswith("| Metric"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if len(cells) >= 4 and not set(cells[0]) <= set("-: "):
                    results[name][cells[0]] = cells[3]  # p0, p25, p50
    return results


def micro_value(metrics, prefix):
    for label, value in metrics.items():
        if label.lower().startswith(prefix.lower()):
            unit = re.search(r"\(([^)]*)\)\s*\*?\s*$", label)
            return value + (f" {unit.group(1)}" if unit and unit.group(1) not in ("total", "#") else "")
    return "–"


def yes(condition):
    return "yes" if condition else "**no**"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--micro")
    parser.add_argument("--process")
    args = parser.parse_args()
    micro = parse_micro(args.micro)
    process = {}
    if args.process and os.path.exists(args.process):
        with open(args.process) as f:
            process = json.load(f)

    out = ["# rds-backupd benchmarks: summary", "",
           f"Machine: {machine()}. Load average when the process benchmarks started: "
           f"{process.get('load_before', '?')} (other builds may run beside them; CPU seconds are the "
           f"process's own, wall times are not).", ""]

    if micro:
        out += ["## Micro (p50 per operation; package-benchmark 1.38.1, release build; full tables in micro.md)", "",
                "| Benchmark | wall time | mallocs |", "|:--|--:|--:|"]
        for name, metrics in sorted(micro.items()):
            out.append(f"| {name} | {micro_value(metrics, 'Time (wall clock)')} | {micro_value(metrics, 'Malloc (total)')} |")
        out.append("")

    rows = []
    cost = process.get("cost")
    if cost:
        svc = cost["service"]
        cli = cost.get("openstack_cli")
        cb = cost["create_backup"]
        rows.append(("Cost", "`openstack rds backup create` CPU / wall per backup",
                     f"{cli['cpu_s_median'] * 1000:.0f} ms / {cli['wall_s_median'] * 1000:.0f} ms" if cli else "not run (no venv)",
                     "", ""))
        rows.append(("Cost", "`rds-backupd create-backup` CPU / wall per backup",
                     f"{cb['cpu_s_median'] * 1000:.1f} ms / {cb['wall_s_median'] * 1000:.0f} ms", "", ""))
        rows.append(("Cost", f"service CPU per backup ({svc['entries']} slots, followed to COMPLETED, start included)",
                     f"{svc['cpu_s_per_backup'] * 1000:.2f} ms (wall {svc['wall_s_per_backup'] * 1000:.0f} ms per backup from slot to last create)",
                     "", ""))
        if cli:
            r_svc = cli["cpu_s_median"] / svc["cpu_s_per_backup"]
            r_cb = cli["cpu_s_median"] / cb["cpu_s_median"]
            rows.append(("Cost", "CPU ratio CLI / service", f"{r_svc:.0f}×", "≥ 300×", yes(r_svc >= 300)))
            rows.append(("Cost", "CPU ratio CLI / create-backup", f"{r_cb:.0f}×", "≥ 20×", yes(r_cb >= 20)))
    idle = process.get("idle")
    if idle:
        wd, nowd = idle["watchdog"], idle["no_watchdog"]
        rows.append(("Idle", f"CPU in {idle['seconds']:.0f} s, 1,000 entries (watchdog {idle['watchdog_sec']} s / none)",
                     f"{wd['cpu_s']:.3f} s / {nowd['cpu_s']:.3f} s", "", ""))
        rows.append(("Idle", "context switches (watchdog / none); watchdog pings; threads",
                     f"{wd['ctxt_switches']} / {nowd['ctxt_switches']}; {wd['watchdog_pings']} pings; {wd['threads']} threads",
                     "only watchdog pings", yes(nowd["ctxt_switches"] == 0)))
        if nowd.get("ctxt_switches_by_thread"):
            woke = ", ".join(f"{name} {n}" for name, n in sorted(nowd["ctxt_switches_by_thread"].items(), key=lambda kv: -kv[1]))
            rows.append(("Idle", "which threads woke (no watchdog)", woke, "", ""))
        rss = max(wd["peak_rss_mib"], nowd["peak_rss_mib"])
        rows.append(("Idle", "RSS now / peak (VmRSS / VmHWM)", f"{wd['rss_mib']:.1f} / {rss:.1f} MiB", "< 30 MB", yes(rss * 1.048576 < 30)))
        if "rss_anon_mib" in wd:
            rows.append(("Idle", "of which private (RssAnon) / mapped files (RssFile: code of the binary and libraries)",
                         f"{wd['rss_anon_mib']:.1f} / {wd['rss_file_mib']:.1f} MiB", "", ""))
        if "private_dirty_mib" in wd:
            rows.append(("Idle", "private dirty memory (smaps_rollup Private_Dirty: what only this process holds)",
                         f"{wd['private_dirty_mib']:.1f} MiB", "", ""))
    start = process.get("start")
    if start:
        for key in ("1000_fresh", "1000_existing", "10000_fresh", "10000_existing"):
            if key in start:
                s = start[key]
                target = "< 200 ms" if s["entries"] == 1000 else ""
                met = yes(s["ms_median"] < 200) if s["entries"] == 1000 else ""
                rows.append(("Start", f"exec → READY=1, {s['entries']:,} entries, {s['state']} state (median of {s['runs']})",
                             f"{s['ms_median']:.0f} ms (min {s['ms_min']:.0f}, max {s['ms_max']:.0f}; "
                             + (f"CPU at READY {s['cpu_ms_median']:.0f} ms; " if "cpu_ms_median" in s else "")
                             + f"peak RSS {s['peak_rss_mib']:.1f} MiB)",
                             target, met))
    fleet = process.get("fleet")
    if fleet:
        sim = fleet["simulator"]
        rows.append(("Fleet", f"{fleet['entries']:,} slots in one minute, {fleet['latency_ms']:g} ms latency, "
                              f"{fleet['rate_limit']:g} req/s limit: wall to all COMPLETED vs bound",
                     f"{fleet['wall_s']:.1f} s vs {fleet['bound_s']:.1f} s ({sim['requests'] - sim['throttled_429']} requests, "
                     f"{fleet['requests_per_backup']:.2f}/backup) = {fleet['wall_over_bound']:.3f}",
                     "≤ 1.10", yes(fleet["wall_over_bound"] is not None and fleet["wall_over_bound"] <= 1.10)))
        rows.append(("Fleet", "429s seen; duplicates; backups", f"{sim['throttled_429']}; {sim['duplicates']}; {sim['backups']}",
                     "duplicates 0", yes(sim["duplicates"] == 0 and sim["instances_backed_up"] == fleet["entries"])))
        rows.append(("Fleet", "service CPU (per backup); peak RSS",
                     f"{fleet['cpu_s']:.2f} s ({fleet['cpu_s'] / fleet['entries'] * 1000:.1f} ms); {fleet['peak_rss_mib']:.1f} MiB", "", ""))
    if rows:
        out += ["## Process benchmarks (release binary against bench-simulator on loopback)", "",
                "| | Measure | Figure | Target | Met |", "|:--|:--|:--|:--|:--|"]
        out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    print("\n".join(out))


if __name__ == "__main__":
    main()
