#!/usr/bin/env python3
"""Process benchmarks of rds-backupd (issue 8): cost per backup, idle, start, fleet.

Runs the release binary against `bench-simulator` (Sources/bench-simulator) on loopback and measures
the processes from outside: CPU from getrusage of the waited child (wait4) or /proc/<pid>/stat,
wakeups as context switches summed over /proc/<pid>/task/*/status, peak RSS from VmHWM / ru_maxrss.
Writes one JSON file of results; scripts/bench_report.py turns it (and the micro results) into the
summary table. Every loop here is bounded in count and time, and talks to 127.0.0.1 only.

  scripts/bench_process.py --bin .build-release/release/rds-backupd \
      --sim .build-release/release/bench-simulator --out .build-bench/process.json [--only cost,idle,start,fleet]
"""
import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench_schedule import instance_id, schedule_yaml

CLK_TCK = os.sysconf("SC_CLK_TCK")
PROJECT_ID = "0483b6b16e954cb88930a360d2c4e663"


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- /proc readings


def proc_cpu_seconds(pid):
    """utime + stime of a live process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def proc_ctxt_switches(pid):
    """Voluntary + involuntary context switches summed over the live threads; and the thread count."""
    total, threads = 0, 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
            threads += 1
        except FileNotFoundError:
            pass
    return total, threads


def proc_ctxt_switches_by_tid(pid):
    """{tid: (thread name, context switches)} of the live threads."""
    counts = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                n = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except FileNotFoundError:
            continue
        counts[tid] = (name, n)
    return counts


def ctxt_switches_between(before, after):
    """Context switches between two `proc_ctxt_switches_by_tid` snapshots, by thread name: threads
    that exited meanwhile (idle dispatch workers do after a few seconds) are left out instead of
    making the sum negative; threads that started count from zero."""
    by_name = {}
    for tid, (name, n) in after.items():
        by_name[name] = by_name.get(name, 0) + n - before.get(tid, (name, 0))[1]
    return by_name


def proc_private_dirty_kb(pid):
    """Private_Dirty of /proc/<pid>/smaps_rollup: the pages only this process holds and that cannot
    be dropped (heap, stacks, relocated data), unlike clean file pages of code."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_rusage(proc, timeout):
    """Waits for a Popen child (bounded) and returns (exit status, rusage) of it and its waited children."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        time.sleep(0.005)
    proc.kill()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    raise ExitTimeout(f"{proc.args[0]} did not exit within {timeout}s", usage)


class ExitTimeout(RuntimeError):
    """A child that had to be killed; `usage` is its rusage all the same."""

    def __init__(self, message, usage):
        super().__init__(message)
        self.usage = usage


def machine_load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


# ---------------------------------------------------------------- simulator


class Simulator:
    """bench-simulator on an ephemeral loopback port; `stop()` returns its counts."""

    def __init__(self, path, instances, latency_ms=0, rate_limit=0, backup_duration=5):
        args = [path, "--port", "0", "--instances", str(instances), "--latency-ms", str(latency_ms),
                "--rate-limit", str(rate_limit), "--backup-duration", str(backup_duration)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening "):
            self.proc.kill()
            raise RuntimeError(f"bench-simulator did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


def write_clouds_yaml(directory, port):
    path = os.path.join(directory, "clouds.yaml")
    with open(path, "w") as f:
        f.write(f"""clouds:
  simulator:
    auth_type: password
    auth:
      auth_url: http://127.0.0.1:{port}/v3
      username: backup-operator
      password: simulator-password
      user_domain_name: OTC00000000001000000001
      project_id: {PROJECT_ID}
    region_name: eu-de
    identity_api_version: 3
    interface: public
""")
    return path


def next_minute(lead_seconds):
    """The first whole UTC minute at least `lead_seconds` away."""
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lead_seconds)
    return t.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def service_env(work, clouds_yaml):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NOTIFY_SOCKET", "WATCHDOG_"))}
    env["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
    env["HOME"] = work
    return env


class NotifySocket:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET, read all the time by a thread
    (as PID 1 does: a receiver that stops reading makes sd_notify block once its buffer is full)."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536).decode(errors="replace")
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                self.messages.append((time.monotonic(), data))
                self.cond.notify_all()

    def wait_for(self, token, timeout):
        """Monotonic seconds at which the first datagram containing `token` arrived, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, data in self.messages:
                    if token in data.split("\n"):
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def drain(self):
        time.sleep(0.3)  # what was sent has been read by then

    def close(self):
        self.closed = True
        self.thread.join(2)
        self.sock.close()


def start_service(binary, schedule, state_dir, env, notify=None, extra=()):
    env = dict(env)
    if notify:
        env["NOTIFY_SOCKET"] = notify.path
    return subprocess.Popen(
        [binary, "run", "--schedule", schedule, "--state-dir", state_dir, "--log-target", "stderr", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(os.path.dirname(schedule), "service.log"), "ab"))


def stop_service(proc, timeout=60):
    proc.send_signal(signal.SIGTERM)
    return wait_rusage(proc, timeout)


def count_states(state_dir):
    """Slot rows by state, read like `rds-backupd status` does (WAL, read-only)."""
    path = os.path.join(state_dir, "state.sqlite")
    if not os.path.exists(path):
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        rows = db.execute("SELECT state, COUNT(*) FROM slot GROUP BY state").fetchall()
        db.close()
        return dict(rows)
    except sqlite3.Error:
        return {}


def write_schedule(work, count, cron, rps=None, concurrent=None, timezone="UTC", start=0):
    path = os.path.join(work, "schedule.yaml")
    with open(path, "w") as f:
        f.write(schedule_yaml(count, cron=cron, requests_per_second=rps, max_concurrent=concurrent,
                              timezone=timezone, start=start))
    return path


def run_scheduled_batch(args, sim, work, count, rps, concurrent, lead=20, label="batch", timeout=1800):
    """Runs the service with `count` entries all due in one minute until every slot is completed.

    Returns the service's CPU (s), peak RSS (MiB), wall from the slot to the last completion, and more.
    """
    clouds = write_clouds_yaml(work, sim.port)
    slot = next_minute(lead)
    schedule = write_schedule(work, count, f"{slot.minute} {slot.hour} * * *", rps=rps, concurrent=concurrent)
    state_dir = os.path.join(work, "state")
    notify = NotifySocket(work)
    proc = start_service(args.bin, schedule, state_dir, service_env(work, clouds), notify,
                         extra=["--poll-interval", args.poll_interval])
    if notify.wait_for("READY=1", 120) is None:
        proc.kill()
        raise RuntimeError(f"{label}: no READY=1; see {work}/service.log")
    log(f"{label}: {count} entries due at {slot:%H:%M} UTC (in {(slot - dt.datetime.now(dt.timezone.utc)).total_seconds():.0f}s)")
    slot_epoch = slot.timestamp()
    deadline = time.monotonic() + timeout
    peak_rss = 0
    completed_at = None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"{label}: the service exited ({proc.returncode}); see {work}/service.log")
        peak_rss = max(peak_rss, proc_status_kb(proc.pid, "VmHWM"))
        states = count_states(state_dir)
        done = sum(v for k, v in states.items() if k in ("completed", "failed", "missed"))
        if done >= count:
            completed_at = time.time()
            break
    cpu_live = proc_cpu_seconds(proc.pid)
    stop_started = time.monotonic()
    exit_note = None
    try:
        _, usage = stop_service(proc, timeout=args.stop_timeout)
    except ExitTimeout as error:
        usage = error.usage
        exit_note = f"did not exit within {args.stop_timeout:g}s of SIGTERM; killed"
        log(f"{label}: the service {exit_note}")
    stop_seconds = time.monotonic() - stop_started
    notify.close()
    states = count_states(state_dir)
    if completed_at is None:
        raise RuntimeError(f"{label}: not all slots finished within {timeout}s: {states}")
    return {
        "entries": count,
        "states": states,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "cpu_s_until_done": cpu_live,
        "peak_rss_mib": max(peak_rss, usage.ru_maxrss) / 1024,
        "stop_s": stop_seconds,
        "stop_note": exit_note,
        "slot_epoch": slot_epoch,
        "done_epoch": completed_at,
    }


# ---------------------------------------------------------------- benchmarks


def bench_cost(args):
    """CPU and wall per backup: `openstack rds backup create` vs `rds-backupd create-backup` vs the service."""
    results = {}
    work = tempfile.mkdtemp(prefix="bench-cost-")
    sim = Simulator(args.sim, instances=args.cost_runs_cli + args.cost_runs_create, backup_duration=2)
    try:
        clouds = write_clouds_yaml(work, sim.port)
        env = service_env(work, clouds)
        env["OS_CLOUD"] = "simulator"

        def measure(label, make_command, runs, timeout):
            cpus, walls = [], []
            for i in range(runs):
                command = make_command(i)
                started = time.monotonic()
                proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                status, usage = wait_rusage(proc, timeout)
                walls.append(time.monotonic() - started)
                if status != 0:
                    raise RuntimeError(f"{label} failed ({status}): {proc.stderr.read().decode()[-500:]}")
                cpus.append(usage.ru_utime + usage.ru_stime)
            log(f"cost {label}: {runs} runs, median CPU {statistics.median(cpus):.4f}s, wall {statistics.median(walls):.3f}s")
            return {"runs": runs, "cpu_s_median": statistics.median(cpus), "cpu_s_mean": statistics.mean(cpus),
                    "wall_s_median": statistics.median(walls), "cpu_s_all": cpus}

        stamp = time.strftime("%H%M%S")
        openstack = os.path.join(args.venv, "bin", "openstack")
        if os.path.exists(openstack):
            # As cron would run it: one process per backup, password auth, JSON out.
            results["openstack_cli"] = measure(
                "openstack rds backup create",
                lambda i: [openstack, "--os-cloud", "simulator", "rds", "backup", "create",
                           f"cli_{stamp}_{i}", instance_id(i), "--description", "bench", "-f", "json"],
                args.cost_runs_cli, 300)
        else:
            log(f"cost: no OpenStack CLI at {openstack}; run scripts/peer-check.sh (or make peer-check) once to create the venv")
        offset = args.cost_runs_cli
        results["create_backup"] = measure(
            "rds-backupd create-backup",
            lambda i: [args.bin, "create-backup", "--instance", instance_id(offset + i),
                       "--name", f"cb_{stamp}_{i}", "--description", "bench"],
            args.cost_runs_create, 120)
    finally:
        cli_stats = sim.stop()
    results["cli_and_create_simulator"] = cli_stats

    # The service: N entries in one minute, followed to COMPLETED (the one-shot commands do not follow).
    sim = Simulator(args.sim, instances=args.cost_service_backups, backup_duration=2)
    try:
        batch = run_scheduled_batch(args, sim, tempfile.mkdtemp(prefix="bench-cost-svc-"), args.cost_service_backups,
                                    rps=1000, concurrent=16, label="cost service")
    finally:
        stats = sim.stop()
    n = args.cost_service_backups
    batch["cpu_s_per_backup"] = batch["cpu_s_until_done"] / n
    batch["wall_s_per_backup"] = (stats.get("last_create", batch["done_epoch"]) - batch["slot_epoch"]) / n
    batch["simulator"] = stats
    results["service"] = batch
    log(f"cost service: {n} backups, CPU {batch['cpu_s']:.3f}s in all = {batch['cpu_s_per_backup'] * 1000:.3f} ms/backup")
    shutil.rmtree(work, ignore_errors=True)
    return results


def bench_idle(args):
    """1,000 entries, nothing due in the measured window: CPU, wakeups, threads, RSS.

    Two services idle side by side over the same window: one as under systemd with WatchdogSec=
    (it pings), one without a watchdog, so the wakeups that are not watchdog pings show alone.
    """
    work = tempfile.mkdtemp(prefix="bench-idle-")
    sim = Simulator(args.sim, instances=1000)
    runs = {}
    try:
        clouds = write_clouds_yaml(work, sim.port)
        # Every slot 12 h from now, so none is due (nor missed) while measured.
        hour = (dt.datetime.now(dt.timezone.utc).hour + 12) % 24
        schedule = write_schedule(work, 1000, f"0 {hour} * * *")
        for label, watchdog in (("watchdog", args.idle_watchdog_sec), ("no_watchdog", None)):
            directory = os.path.join(work, label)
            os.makedirs(directory)
            notify = NotifySocket(directory)
            env = service_env(work, clouds)
            if watchdog:
                env["WATCHDOG_USEC"] = str(watchdog * 1_000_000)
            proc = start_service(args.bin, schedule, os.path.join(directory, "state"), env, notify)
            if notify.wait_for("READY=1", 60) is None:
                proc.kill()
                raise RuntimeError(f"idle: no READY=1; see {work}/service.log")
            runs[label] = {"proc": proc, "notify": notify}
        time.sleep(args.idle_settle)
        for run in runs.values():
            run["notify"].drain()
            run["before_msgs"] = len(run["notify"].messages)
            run["cpu0"], (run["ctx0"], _) = proc_cpu_seconds(run["proc"].pid), proc_ctxt_switches(run["proc"].pid)
            run["by_tid0"] = proc_ctxt_switches_by_tid(run["proc"].pid)
        time.sleep(args.idle_seconds)
        result = {"entries": 1000, "seconds": args.idle_seconds, "watchdog_sec": args.idle_watchdog_sec}
        for label, run in runs.items():
            pid = run["proc"].pid
            cpu1, (ctx1, threads) = proc_cpu_seconds(pid), proc_ctxt_switches(pid)
            by_thread = ctxt_switches_between(run["by_tid0"], proc_ctxt_switches_by_tid(pid))
            run["notify"].drain()
            messages = [m for _, m in run["notify"].messages[run["before_msgs"]:]]
            result[label] = {
                "cpu_s": cpu1 - run["cpu0"], "ctxt_switches": sum(by_thread.values()), "threads": threads,
                "watchdog_pings": sum(1 for m in messages if "WATCHDOG=1" in m.split("\n")),
                "notify_messages": len(messages),
                "rss_mib": proc_status_kb(pid, "VmRSS") / 1024, "peak_rss_mib": proc_status_kb(pid, "VmHWM") / 1024,
                # Private (anonymous) memory vs. mapped files (the binary's and shared libraries' code pages).
                "rss_anon_mib": proc_status_kb(pid, "RssAnon") / 1024, "rss_file_mib": proc_status_kb(pid, "RssFile") / 1024,
                "private_dirty_mib": proc_private_dirty_kb(pid) / 1024,
                # Which thread woke: libdispatch's manager thread is "-qos.overcommit" on Linux.
                "ctxt_switches_by_thread": {name: n for name, n in by_thread.items() if n},
            }
    finally:
        for run in runs.values():
            stop_service(run["proc"])
            run["notify"].close()
        sim.stop()
    shutil.rmtree(work, ignore_errors=True)
    log(f"idle: {result}")
    return result


def bench_start(args):
    """exec → READY=1 with 1,000 and 10,000 entries, on a fresh and on an existing state directory."""
    results = {}
    sim = Simulator(args.sim, instances=1)
    try:
        for count in (1000, 10000):
            work = tempfile.mkdtemp(prefix=f"bench-start-{count}-")
            clouds = write_clouds_yaml(work, sim.port)
            hour = (dt.datetime.now(dt.timezone.utc).hour + 12) % 24
            schedule = write_schedule(work, count, f"0 {hour} * * *")
            env = service_env(work, clouds)
            for mode in ("fresh", "existing"):
                times, rss, cpu = [], [], []
                for run in range(args.start_runs):
                    state_dir = os.path.join(work, "state" if mode == "existing" else f"state-{run}")
                    notify = NotifySocket(work)
                    started = time.monotonic()
                    proc = start_service(args.bin, schedule, state_dir, env, notify)
                    ready = notify.wait_for("READY=1", 120)
                    if ready is None:
                        proc.kill()
                        raise RuntimeError(f"start {count}: no READY=1; see {work}/service.log")
                    rss.append(proc_status_kb(proc.pid, "VmHWM") / 1024)
                    cpu_at_ready = proc_cpu_seconds(proc.pid)  # read just after READY=1 (10 ms ticks)
                    stop_service(proc)
                    notify.close()
                    os.unlink(notify.path)
                    if mode == "existing" and run == 0:
                        continue  # the first run creates the state the others find
                    times.append(ready - started)
                    cpu.append(cpu_at_ready)
                results[f"{count}_{mode}"] = {"entries": count, "state": mode, "runs": len(times),
                                               "ms_median": statistics.median(times) * 1000,
                                               "ms_min": min(times) * 1000, "ms_max": max(times) * 1000,
                                               "peak_rss_mib": max(rss), "cpu_ms_median": statistics.median(cpu) * 1000}
                log(f"start {count} {mode}: median {statistics.median(times) * 1000:.0f} ms")
            shutil.rmtree(work, ignore_errors=True)
    finally:
        sim.stop()
    return results


def bench_fleet(args):
    """N entries due in one minute, simulator with latency and a rate limit."""
    n = args.fleet_entries
    sim = Simulator(args.sim, instances=n, latency_ms=args.fleet_latency_ms, rate_limit=args.fleet_rate,
                    backup_duration=args.fleet_backup_duration)
    work = tempfile.mkdtemp(prefix="bench-fleet-")
    try:
        batch = run_scheduled_batch(args, sim, work, n, rps=args.fleet_rate, concurrent=args.fleet_concurrent,
                                    lead=20, label="fleet", timeout=args.fleet_timeout)
    finally:
        stats = sim.stop()
    shutil.rmtree(work, ignore_errors=True)
    requests_after_slot = stats["requests"]
    # The rate-limit bound: the requests the run needed (429s excluded), at the limit, less the burst.
    needed = requests_after_slot - stats["throttled_429"]
    bound = max(0.0, (needed - args.fleet_rate) / args.fleet_rate)
    wall = batch["done_epoch"] - batch["slot_epoch"]
    wall_creates = stats["last_create"] - batch["slot_epoch"]
    creates_bound = max(0.0, (n - args.fleet_rate) / args.fleet_rate)
    result = dict(batch, simulator=stats, latency_ms=args.fleet_latency_ms, rate_limit=args.fleet_rate,
                  wall_s=wall, bound_s=bound, wall_over_bound=wall / bound if bound else None,
                  requests_per_backup=needed / n, wall_creates_s=wall_creates)
    log(f"fleet: {n} backups in {wall:.1f}s, bound {bound:.1f}s ({needed} requests at {args.fleet_rate}/s), "
        f"429s {stats['throttled_429']}, duplicates {stats['duplicates']}, CPU {batch['cpu_s']:.2f}s, "
        f"peak RSS {batch['peak_rss_mib']:.1f} MiB")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="cost,idle,start,fleet")
    parser.add_argument("--venv", default=os.environ.get("PEER_VENV", ".build/peer-venv"))
    parser.add_argument("--poll-interval", default="10s", help="the service's --poll-interval (its default)")
    parser.add_argument("--stop-timeout", type=float, default=30, help="seconds the service gets to exit after SIGTERM")
    parser.add_argument("--cost-runs-cli", type=int, default=5)
    parser.add_argument("--cost-runs-create", type=int, default=20)
    parser.add_argument("--cost-service-backups", type=int, default=200)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--idle-settle", type=float, default=5)
    parser.add_argument("--idle-watchdog-sec", type=int, default=30)
    parser.add_argument("--start-runs", type=int, default=5)
    parser.add_argument("--fleet-entries", type=int, default=2000)
    parser.add_argument("--fleet-rate", type=float, default=20)
    parser.add_argument("--fleet-latency-ms", type=float, default=20)
    parser.add_argument("--fleet-concurrent", type=int, default=None, help="max_concurrent (default: the schedule default, 4)")
    parser.add_argument("--fleet-backup-duration", type=float, default=5)
    parser.add_argument("--fleet-timeout", type=float, default=1800)
    args = parser.parse_args()

    results = {"load_before": machine_load(), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    if os.path.exists(args.out):
        with open(args.out) as f:
            results = dict(json.load(f), **results)
    for name in args.only.split(","):
        fn = {"cost": bench_cost, "idle": bench_idle, "start": bench_start, "fleet": bench_fleet}[name]
        log(f"--- {name} (load {machine_load()})")
        results[name] = fn(args)
        results[name]["load"] = machine_load()
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
