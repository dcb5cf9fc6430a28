#!/usr/bin/env bash
# Fidelity check of the RDS simulator against an independent peer client: python-otcextensions
# (`openstack rds ...`) talks to the simulator exactly as it talks to the real cloud.
#
#   scripts/peer-check.sh            # after `swift build`
#
# Environment:
#   PEER_VENV           virtualenv to use/create (default .build/peer-venv; pip install runs once)
#   RDS_SIMULATOR_CMD   command that serves the demo simulator on port $PORT (default:
#                       ".build/debug/rds-backupd simulator --port $PORT --backup-duration 5s"); it sees PORT
#                       in its environment.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${PEER_VENV:-.build/peer-venv}
if [ ! -x "$VENV/bin/openstack" ]; then
    python3 -m venv "$VENV"
    started=$(date +%s)
    "$VENV/bin/pip" install --quiet --disable-pip-version-check otcextensions python-openstackclient
    echo "peer-check: pip install otcextensions python-openstackclient took $(( $(date +%s) - started ))s"
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export PORT
WORK=$(mktemp -d)
SIM_CMD=${RDS_SIMULATOR_CMD:-".build/debug/rds-backupd simulator --port $PORT --backup-duration 5s"}

# shellcheck disable=SC2086  # the command is a word list on purpose
$SIM_CMD > "$WORK/simulator.log" 2>&1 &
SIM_PID=$!
cleanup() {
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Wait (bounded, 60 s) until the simulator accepts connections; stop early if it died.
listening=false
for _ in $(seq 300); do
    if ! kill -0 "$SIM_PID" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then listening=true; break; fi
    sleep 0.2
done
if [ "$listening" != true ]; then
    echo "peer-check: the simulator ($SIM_CMD) did not listen on 127.0.0.1:$PORT; its log:" >&2
    cat "$WORK/simulator.log" >&2
    exit 1
fi

# The simulator's default credentials (SimulatorConfiguration); nothing secret.
cat > "$WORK/clouds.yaml" <<YAML
clouds:
  simulator:
    auth_type: password
    auth:
      auth_url: http://127.0.0.1:$PORT/v3
      username: backup-operator
      password: simulator-password
      user_domain_name: OTC00000000001000000001
      project_id: 0483b6b16e954cb88930a360d2c4e663
    region_name: eu-de
    identity_api_version: 3
    interface: public
YAML

export OS_CLIENT_CONFIG_FILE="$WORK/clouds.yaml"
started=$(date +%s)
# The second part uses the clouds.yaml of the client tests (Tests/Fixtures/otc-clouds.yaml) unchanged.
if "$VENV/bin/python" scripts/peer_check.py "$VENV/bin/openstack" Tests/Fixtures/otc-clouds.yaml \
    "${RDS_BACKUPD_BIN:-.build/debug/rds-backupd}" "http://127.0.0.1:$PORT/v3"; then
    echo "peer-check: passed in $(( $(date +%s) - started ))s"
else
    echo "peer-check: FAILED; simulator log:" >&2
    cat "$WORK/simulator.log" >&2
    exit 1
fi
