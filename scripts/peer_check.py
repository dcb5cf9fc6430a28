"""Runs `openstack rds ...` (python-otcextensions) against the simulator and checks the answers.

Called by peer-check.sh with the path of the venv's `openstack`; OS_CLIENT_CONFIG_FILE points at a
clouds.yaml with a cloud named `simulator` (the simulator's demo instances and default user).
"""
import json
import os
import subprocess
import sys
import time

OPENSTACK = sys.argv[1]
ORDERS = "d8e6ca5a624745bcb546a227aa3ae1cfin01"     # MySQL, Ha (SimulatedInstance.demo)
INVENTORY = "7a0e5f3c2b1d4e6f8a9b0c1d2e3f4a5bin03"  # PostgreSQL
REPLICA = "c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8in01"    # MySQL read replica
failures = []


def openstack(*args):
    command = [OPENSTACK, "--os-cloud", "simulator", *args]
    print("$ openstack --os-cloud simulator " + " ".join(args), flush=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=400)


def check(condition, message):
    print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)


def succeeds(*args):
    """Runs a command that must succeed; its JSON output (with -f json) or text."""
    result = openstack(*args)
    check(result.returncode == 0, f"exit 0 ({result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return None
    return json.loads(result.stdout) if "json" in args else result.stdout


def refused(code, *args):
    result = openstack(*args)
    check(result.returncode != 0 and code in result.stderr, f"refused with {code}: {result.stderr.strip()[-200:]}")
    check("Failed to discover" not in result.stderr, "identity version discovery works")


def row_id(row):
    return row.get("ID") or row.get("id")


instances = succeeds("rds", "instance", "list", "-f", "json") or []
check(ORDERS in [row_id(i) for i in instances], "instance list shows the demo MySQL instance")
shown = [i for i in instances if row_id(i) == ORDERS]
check(bool(shown) and "orders" in json.dumps(shown[0]), f"instance row carries its name: {shown[:1]}")

stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
name = "peer_check_" + stamp
created = succeeds("rds", "backup", "create", name, ORDERS, "--description", "peer check", "-f", "json") or {}
backup_id = row_id(created)
check(bool(backup_id), f"backup create returns an id: {created}")
check(created.get("name") == name, "backup create echoes the name")
check(created.get("status") in ("BUILDING", "COMPLETED"), f"create status BUILDING: {created.get('status')}")
check(created.get("type") == "manual", "create type manual")

refused("DBS.201201", "rds", "backup", "create", name, "orders", "-f", "json")  # instance by name; duplicate
refused("DBS.280277", "rds", "backup", "create", "1-bad-name", ORDERS, "-f", "json")
refused("DBS.201014", "rds", "backup", "create", "replica_backup", REPLICA, "-f", "json")
# The peer resolves the instance itself (GET /instances?id=, then ?name=) and stops when both are empty.
refused("No Instance found", "rds", "backup", "create", "ghost_backup", "00000000000000000000000000000000in01", "-f", "json")

listed = succeeds("rds", "backup", "list", ORDERS, "-f", "json") or []
check(backup_id in [row_id(b) for b in listed], "backup list shows the new backup")
window = succeeds("rds", "backup", "list", ORDERS, "--begin-time", "2000-01-01T00:00:00+0000",
                  "--end-time", "2100-01-01T00:00:00+0800", "-f", "json") or []
check(backup_id in [row_id(b) for b in window], "backup list with --begin-time/--end-time (+hhmm) finds it")
empty = succeeds("rds", "backup", "list", ORDERS, "--begin-time", "2000-01-01T00:00:00+0000",
                 "--end-time", "2000-01-02T00:00:00+0000", "-f", "json")
check(empty == [], f"a window without backups lists nothing: {empty}")
by_id = succeeds("rds", "backup", "list", ORDERS, "--backup-id", backup_id, "-f", "json") or []
check([row_id(b) for b in by_id] == [backup_id], "backup list --backup-id selects exactly that backup")

# --wait polls the list by backup_id until COMPLETED, as the peer follows a backup.
waited = succeeds("rds", "backup", "create", "peer_wait_" + stamp, INVENTORY, "--wait", "--wait-interval", "1",
                  "-f", "json") or {}
waited_id = row_id(waited)
check(bool(waited_id), f"backup create --wait returns: {waited}")

# The download links of a completed backup (GET /v3/{project_id}/backup-files, what offsite copies
# read): the CLI's `backup download links` lists each file's size and link. A link is signed: it is
# checked, never printed.
links = succeeds("rds", "backup", "download", "links", waited_id, "-f", "json") if waited_id else None
links = links or []
check(len(links) >= 1 and all(isinstance(row.get("Size (KB)"), int) and row.get("Size (KB)") > 0 for row in links),
      f"backup download links lists {len(links)} file(s), each with a size in kB")
check(all(str(row.get("URL", "")).startswith("http://127.0.0.1:") and "?" in str(row.get("URL", "")) for row in links),
      "each link points at the simulator's object storage and carries its signature in the query")
check(all(row.get("Expires at") for row in links), "each link says when it expires")

deleted = succeeds("rds", "backup", "delete", waited_id) if waited_id else None
check(deleted is not None, "backup delete of the completed backup succeeds")
after = succeeds("rds", "backup", "list", INVENTORY, "-f", "json") or []
check(all(row_id(b) != waited_id for b in after) or len(after) == 1,
      "after delete the backup is DELETING or gone")

# The very clouds.yaml the client tests load (python-otcextensions' sample for OTC: profile: otc,
# project by name, ak/sk "for OBS"), given unchanged to both tools; only the IAM URL is overridden
# so that both reach the simulator. Both must accept it and see the same project.
OTC_CLOUDS = sys.argv[2]
RDS_BACKUPD = sys.argv[3]
AUTH_URL = sys.argv[4]
otc_env = dict(os.environ, OS_CLIENT_CONFIG_FILE=OTC_CLOUDS)
otc_env.pop("OS_CLOUD", None)
print(f"$ openstack --os-cloud otc --os-auth-url {AUTH_URL} rds instance list -f json   (OS_CLIENT_CONFIG_FILE={OTC_CLOUDS})", flush=True)
listed = subprocess.run([OPENSTACK, "--os-cloud", "otc", "--os-auth-url", AUTH_URL, "rds", "instance", "list", "-f", "json"],
                        capture_output=True, text=True, timeout=400, env=otc_env)
check(listed.returncode == 0, f"the OpenStack CLI accepts the sample clouds.yaml ({listed.stderr.strip()[-300:]})")
peer_ids = sorted(row_id(i) for i in json.loads(listed.stdout)) if listed.returncode == 0 else []
check(ORDERS in peer_ids, "the OpenStack CLI lists the demo instance with it")
otc_name = "peer_otc_" + stamp
print(f"$ rds-backupd create-backup --os-cloud otc --auth-url {AUTH_URL} --instance {ORDERS} --name {otc_name}", flush=True)
ours = subprocess.run([RDS_BACKUPD, "create-backup", "--os-cloud", "otc", "--auth-url", AUTH_URL,
                       "--instance", ORDERS, "--name", otc_name],
                      capture_output=True, text=True, timeout=120, env=otc_env)
check(ours.returncode == 0, f"rds-backupd accepts the same clouds.yaml ({ours.stderr.strip()[-300:]})")
seen = subprocess.run([OPENSTACK, "--os-cloud", "otc", "--os-auth-url", AUTH_URL, "rds", "backup", "list", ORDERS, "-f", "json"],
                      capture_output=True, text=True, timeout=400, env=otc_env)
names = [b.get("name") or b.get("Name") for b in json.loads(seen.stdout)] if seen.returncode == 0 else []
check(otc_name in names, "the backup rds-backupd made with that file is the one the OpenStack CLI lists: same project")
check("OBS" not in ours.stderr and "access key" not in ours.stderr.lower(), "the ak/sk kept for OBS were not used")

if failures:
    print("\npeer-check failures:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
