#!/bin/sh
# start-journald.sh: make sure a systemd-journald accepts native journal entries on
# /run/systemd/journal/socket, so the journal tests (Tests/SystemdTests/JournalTests.swift)
# can write entries with sd_journal_sendv and read them back with journalctl.
#
# On a machine booted with systemd, journald already runs and this does nothing. In a
# container or CI machine without systemd as PID 1, it starts /lib/systemd/systemd-journald
# by hand, as a plain background daemon (no socket activation needed: without inherited
# sockets journald binds /run/systemd/journal/{socket,stdout,dev-log,io.systemd.journal}
# itself). It keeps the journal in /run/log/journal (journald's runtime journal: nobody asks
# it to flush to /var/log/journal). Idempotent; prints what it did.
#
# Usage: scripts/start-journald.sh          start one unless one answers
#        scripts/start-journald.sh --stop   stop the journald this script started (pid file)
set -eu

SOCKET=/run/systemd/journal/socket
PIDFILE=/run/rds-backupd-test-journald.pid
LOG=/run/rds-backupd-test-journald.log

say() { printf 'start-journald: %s\n' "$*"; }

# A journald answers when its stream socket accepts a connection (systemd-cat connects to
# /run/systemd/journal/stdout; with nothing to log it writes no entry) and the native socket exists.
answers() {
    [ -S "$SOCKET" ] && systemd-cat -t rds-backupd-probe true 2>/dev/null
}

ours_running() {
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = systemd-journal ]
}

if [ "${1:-}" = --stop ]; then
    if ours_running; then
        kill "$(cat "$PIDFILE")"
        say "stopped systemd-journald pid $(cat "$PIDFILE")"
    else
        say "no journald started by this script is running"
    fi
    rm -f "$PIDFILE"
    exit 0
fi

if answers; then
    if ours_running; then
        say "journald already running (pid $(cat "$PIDFILE"), started by this script); nothing to do"
    else
        say "a journald already answers on $SOCKET; nothing to do"
    fi
    exit 0
fi

[ "$(id -u)" = 0 ] || { say "ERROR: no journald answers on $SOCKET and only root can start one"; exit 1; }
command -v systemd-cat >/dev/null || { say "ERROR: systemd-cat missing (apt-get install systemd)"; exit 1; }
JOURNALD=""
for candidate in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
    [ -x "$candidate" ] && { JOURNALD=$candidate; break; }
done
[ -n "$JOURNALD" ] || { say "ERROR: systemd-journald not found (apt-get install systemd)"; exit 1; }

# journald names its journal directory after the machine id; a bare container may have none.
if [ ! -s /etc/machine-id ]; then
    systemd-machine-id-setup >/dev/null
    say "created /etc/machine-id ($(cat /etc/machine-id))"
fi

mkdir -p /run/systemd/journal
# setsid: its own session, so it outlives this script and the shell that ran it.
setsid "$JOURNALD" </dev/null >>"$LOG" 2>&1 &
echo $! > "$PIDFILE"

i=0
until answers; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! ours_running; then
        say "ERROR: systemd-journald did not come up within 30 s; its output:"
        cat "$LOG" >&2 || true
        exit 1
    fi
    sleep 0.05
done
say "started $JOURNALD (pid $(cat "$PIDFILE")): sockets in /run/systemd/journal, journal in /run/log/journal/$(cat /etc/machine-id), log $LOG"
