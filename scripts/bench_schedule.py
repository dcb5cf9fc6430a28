"""Benchmark schedule files: N entries, one line each, the same shape as the micro benchmark's
ScheduleFixture (Benchmarks/Benchmarks/Micro/ScheduleFixture.swift), with the instance ids that
bench-simulator creates. 10,000 entries stay under the 1 MiB schedule file limit."""


def instance_id(index):
    """32 hex digits + `in01`, distinct per index (bench-simulator's ids)."""
    return f"{index:032x}in01"


def schedule_yaml(count, cron, requests_per_second=None, max_concurrent=None, timezone="UTC", start=0,
                  auth="clouds.yaml:simulator"):
    """A schedule with `count` entries, all on `cron`, in one cloud."""
    lines = [
        "cloud:",
        "  region: eu-de",
        "  project_id: 0483b6b16e954cb88930a360d2c4e663",
        f"  auth: {auth}",
    ]
    if requests_per_second is not None:
        lines.append(f"  requests_per_second: {requests_per_second:g}")
    if max_concurrent is not None:
        lines.append(f"  max_concurrent: {max_concurrent}")
    lines += [
        "defaults:",
        f"  timezone: {timezone}",
        '  name: "{alias}-{slot:%Y%m%d-%H%M}"',
        "  jitter: 0s",
        "backups:",
    ]
    for i in range(start, start + count):
        lines.append(f'  - {{alias: e{i}, instance_id: {instance_id(i)}, cron: "{cron}"}}')
    return "\n".join(lines) + "\n"
