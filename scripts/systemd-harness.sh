#!/bin/bash
# systemd-harness.sh -- a throw-away systemd (the distribution's own, as PID 1) in private
# pid/mount/uts/ipc/net/cgroup namespaces, for testing rds-backupd.service for real:
# Type=notify start, STATUS=, reload, watchdog, journal, stop.
#
#   scripts/systemd-harness.sh up NAME [--host-net] [--bind SRC[:DST]]... [--bind-ro SRC[:DST]]...
#   scripts/systemd-harness.sh exec NAME CMD [ARG...]      run CMD inside (systemctl, journalctl, ...)
#   scripts/systemd-harness.sh cp NAME SRC DEST            copy a host file in (mode kept)
#   scripts/systemd-harness.sh down NAME                   power off, remove everything
#   scripts/systemd-harness.sh pid NAME                    host pid of the sandbox's PID 1
#
# How: the sandbox root is an overlay of the host's / with a tmpfs as upper layer (every
# write inside is gone after `down`); mounts are shared inside (credentials need it) and
# private towards the host; /proc/sys and /sys are read-only; /run, /tmp,
# /var/log/journal are fresh tmpfs; /etc/machine-id is new. systemd runs in container mode
# (container= in its environment) with a cgroup namespace rooted at a cgroup2 directory
# created for it, boots a minimal target, and is powered off with SIGRTMIN+4. The only
# host-side traces while it runs: <cgroup2 mount>/rdsbackupd-harness-NAME and
# $HARNESS_BASE/NAME (default /tmp/rds-backupd-harness); `down` removes both.
# Needs root, util-linux (unshare, nsenter, setpriv, pivot_root, findmnt), systemd, overlayfs,
# a mounted cgroup2 hierarchy. Env: HARNESS_BASE, HARNESS_TIMEOUT (boot/exec bound, 60 s).
set -u
umask 022

BASE=${HARNESS_BASE:-/tmp/rds-backupd-harness}
TIMEOUT=${HARNESS_TIMEOUT:-60}
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STARTED=$(date +%s%N)

note() { printf '[harness %5dms] %s\n' $(( ($(date +%s%N) - STARTED) / 1000000 )) "$*" >&2; }
fail() { note "error: $*"; exit 2; }
usage() { sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ "$(id -u)" = 0 ] || fail "must run as root"
for tool in unshare nsenter setpriv pivot_root findmnt timeout; do
    command -v "$tool" >/dev/null || fail "missing $tool (util-linux/coreutils)"
done
SYSTEMD=/lib/systemd/systemd
[ -x "$SYSTEMD" ] || SYSTEMD=/usr/lib/systemd/systemd
[ -x "$SYSTEMD" ] || fail "systemd not installed"
CGROOT=$(findmnt -n -k -t cgroup2 -o TARGET | head -n 1)
[ -n "$CGROOT" ] || fail "no cgroup2 hierarchy mounted"

select_sandbox() {
    NAME=$1
    [[ $NAME =~ ^[A-Za-z0-9_.-]+$ ]] || fail "bad sandbox name '$NAME'"
    DIR=$BASE/$NAME
    CG=$CGROOT/rdsbackupd-harness-$NAME
}

# close every descriptor above stderr of the current (sub)shell
close_inherited_fds() {
    local fd
    for fd in $(ls /proc/$BASHPID/fd); do
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done 2>/dev/null
    return 0
}

# running PID: exists and is not a zombie
running() { local s; s=$(awk '{ sub(/.*\) /, ""); print $1 }' /proc/"$1"/stat 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }
parent_of() { awk '{ sub(/.*\) /, ""); print $2 }' /proc/"$1"/stat 2>/dev/null; }

load_sandbox() {
    select_sandbox "$1"
    [ -f "$DIR/init.pid" ] || fail "sandbox $NAME is not up"
    INIT=$(cat "$DIR/init.pid")
    running "$INIT" || fail "sandbox $NAME: PID 1 (host pid $INIT) is gone"
}

inside() {   # inside CMD...: run CMD in the sandbox's namespaces, root and cwd, clean environment
    timeout -k 5 "$TIMEOUT" nsenter --target "$INIT" --mount --uts --ipc --net --pid --root --wd \
        env -i PATH="$INNER_PATH" LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}

# --- what runs in the new namespaces ------------------------------------------------------
# enter.sh: PID 1 of the new pid namespace; moves into our cgroup, then into a cgroup
# namespace rooted there, so systemd sees that cgroup as "/".
ENTER='set -e
echo $$ > "$H_CG/cgroup.procs"
exec unshare --cgroup -- /bin/sh "$H_DIR/build-root.sh"'

# build-root.sh: builds the container root (as systemd-nspawn would) and execs systemd.
BUILD_ROOT='set -e
D=$H_DIR
mkdir -p "$D/layers" "$D/root"
mount -t tmpfs -o mode=755 harness-layers "$D/layers"
mkdir "$D/layers/upper" "$D/layers/work"
mount -t overlay -o "lowerdir=/,upperdir=$D/layers/upper,workdir=$D/layers/work" harness-root "$D/root"
cd "$D/root"
mkdir -p .old-root
pivot_root . .old-root
cd /
OLD=/.old-root
mount -t proc -o nosuid,nodev,noexec proc /proc
for p in /proc/sys /proc/sysrq-trigger; do
  [ -e $p ] || continue
  mount --bind $p $p && mount -o remount,bind,ro $p
done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755,nosuid harness-dev /dev
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n; mknod -m 666 /dev/$1 c $2 $3
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev harness-shm /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
touch /dev/console; mount --bind /dev/null /dev/console
mount -t tmpfs -o mode=755,nosuid,nodev harness-run /run
mount -t tmpfs -o mode=1777,nosuid,nodev harness-tmp /tmp
mkdir -p /var/log/journal
mount -t tmpfs -o mode=2755,nosuid,nodev harness-journal /var/log/journal
rm -f /etc/machine-id; tr -d - < /proc/sys/kernel/random/uuid > /etc/machine-id
rm -f /etc/hostname; echo harness > /etc/hostname
U=/etc/systemd/system
mkdir -p $U
printf "[Unit]\nDescription=rds-backupd test harness target\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n" > $U/harness.target
# units that touch hardware or kernel settings, or only slow the boot down
for u in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service systemd-modules-load.service \
    kmod-static-nodes.service systemd-sysctl.service systemd-binfmt.service \
    proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount sys-kernel-debug.mount \
    sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
    dev-hugepages.mount dev-mqueue.mount systemd-timesyncd.service systemd-pstore.service \
    systemd-firstboot.service systemd-repart.service systemd-hwdb-update.service \
    systemd-journald-audit.socket systemd-remount-fs.service ldconfig.service \
    systemd-machine-id-commit.service systemd-random-seed.service systemd-pcrphase.service \
    systemd-pcrphase-sysinit.service apt-daily.timer apt-daily-upgrade.timer \
    dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null $U/$u
done
if [ -s "$OLD$D/binds" ]; then
  while IFS="	" read -r mode src dst; do
    if [ -d "$OLD$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || touch "$dst"; fi
    mount --rbind "$OLD$src" "$dst"
    [ "$mode" = ro ] && mount -o remount,bind,ro "$dst"
  done < "$OLD$D/binds"
fi
umount -l $OLD; rmdir $OLD
# Shared propagation, as systemd-nspawn sets it up: systemd skips "mount --make-rshared /" in
# a container, and without it LoadCredential=/SetCredential= leave $CREDENTIALS_DIRECTORY
# empty: systemd mounts the credentials ramfs in a child mount namespace and moves it to
# /run/credentials/UNIT, which reaches the service only through propagation. The namespace
# was created private, so nothing propagates to the host.
mount --make-rshared /
exec env -i container=rds-backupd-harness PATH="$H_PATH" \
  setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-mac_admin,-mac_override,-syslog,-wake_alarm,-sys_pacct,-audit_control,-block_suspend,-sys_tty_config \
  "$H_SYSTEMD" --unit=harness.target --show-status=no'

# --- find PID 1: the descendant of the unshare process that is pid 1 in its namespace ----
find_init() {
    local todo=("$1") next child depth
    for depth in 1 2 3; do
        next=()
        for p in "${todo[@]}"; do
            for child in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
                if awk '/^NSpid:/ { exit !(NF > 2 && $NF == 1) }' /proc/"$child"/status 2>/dev/null; then
                    echo "$child"; return 0
                fi
                next+=("$child")
            done
        done
        todo=("${next[@]}")
    done
    return 1
}

cmd_up() {
    select_sandbox "$1"; shift
    local hostnet="" binds=() spec src dst mode
    while [ $# -gt 0 ]; do
        case $1 in
            --host-net) hostnet=1; shift;;
            --bind|--bind-ro)
                [ $# -ge 2 ] || fail "$1 needs SRC[:DST]"
                mode=rw; [ "$1" = --bind-ro ] && mode=ro
                spec=$2; src=${spec%%:*}; dst=${spec#*:}; [ "$dst" = "$spec" ] && dst=$src
                src=$(realpath -e "$src") || fail "bind source missing: $src"
                [[ $dst == /* ]] || fail "bind destination must be absolute: $dst"
                binds+=("$mode	$src	$dst"); shift 2;;
            *) fail "unknown option $1";;
        esac
    done
    if [ -f "$DIR/init.pid" ] && running "$(cat "$DIR/init.pid")"; then fail "sandbox $NAME is already up"; fi
    [ -e "$CG" ] && fail "$CG exists (left over? run: $0 down $NAME)"
    rm -rf "$DIR"; mkdir -p "$DIR"
    printf '%s\n' "$ENTER" > "$DIR/enter.sh"
    printf '%s\n' "$BUILD_ROOT" > "$DIR/build-root.sh"
    : > "$DIR/binds"
    for spec in "${binds[@]}"; do printf '%s\n' "$spec" >> "$DIR/binds"; done
    mkdir "$CG" || fail "cannot create $CG"
    local flags=(--pid --fork --mount --uts --ipc --propagation private --kill-child=SIGKILL)
    [ -z "$hostnet" ] && flags+=(--net)
    # No INT/TERM between launching and recording the pid, so `down` can always find it.
    trap '' INT TERM
    # The sandbox outlives this script, so it must not keep the caller's descriptors open:
    # a caller that waits for EOF on an inherited descriptor (Foundation's Process does, on a
    # socket it passes to the child) would otherwise wait until `down`.
    ( close_inherited_fds
      H_DIR=$DIR H_CG=$CG H_PATH=$INNER_PATH H_SYSTEMD=$SYSTEMD \
          exec unshare "${flags[@]}" -- /bin/sh "$DIR/enter.sh" ) </dev/null >"$DIR/boot.log" 2>&1 &
    local launcher=$! i
    echo "$launcher" > "$DIR/launcher.pid"
    trap - INT TERM
    INIT=""
    for i in $(seq 100); do
        INIT=$(find_init "$launcher") && break
        running "$launcher" || break
        sleep 0.02
    done
    [ -n "$INIT" ] || { cat "$DIR/boot.log" >&2; fail "namespaces could not be set up"; }
    echo "$INIT" > "$DIR/init.pid"
    parent_of "$INIT" > "$DIR/init.parent"
    for i in $(seq $((TIMEOUT * 50))); do
        running "$INIT" || { cat "$DIR/boot.log" >&2; fail "PID 1 died while booting"; }
        [ "$(cat /proc/"$INIT"/comm 2>/dev/null)" = systemd ] && [ -S /proc/"$INIT"/root/run/systemd/private ] && break
        sleep 0.02
    done
    local state
    state=$(inside systemctl is-system-running --wait 2>&1)
    note "sandbox $NAME up: PID 1 is host pid $INIT, system $state"
    [ "$state" = running ] || inside systemctl --failed --no-pager >&2
    echo "$INIT"
}

cmd_down() {
    select_sandbox "$1"
    local init="" parent="" launcher="" i
    [ -f "$DIR/init.pid" ] && init=$(cat "$DIR/init.pid")
    [ -f "$DIR/init.parent" ] && parent=$(cat "$DIR/init.parent")
    [ -f "$DIR/launcher.pid" ] && launcher=$(cat "$DIR/launcher.pid")
    # Signal only our own PID 1: still the child of the unshare that forked it.
    if [ -n "$init" ] && [ -n "$parent" ] && running "$init" && [ "$(parent_of "$init")" = "$parent" ] \
        && [ "$(cat /proc/"$parent"/comm 2>/dev/null)" = unshare ]; then
        if [ "$(cat /proc/"$init"/comm 2>/dev/null)" = systemd ]; then
            kill -s RTMIN+4 "$init" 2>/dev/null   # systemd: start poweroff.target
            for i in $(seq 250); do running "$init" || break; sleep 0.02; done
        fi
        if running "$init"; then
            note "PID 1 still running after 5 s: SIGKILL (ends the whole pid namespace)"
            kill -KILL "$init" 2>/dev/null
        fi
    fi
    if [ -n "$launcher" ] && [ "$(cat /proc/"$launcher"/comm 2>/dev/null)" = unshare ]; then
        for i in $(seq 100); do running "$launcher" || break; sleep 0.02; done
        running "$launcher" && kill -KILL "$launcher" 2>/dev/null
    fi
    if [ -d "$CG" ]; then
        for i in $(seq 20); do
            find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$CG" ] || break
            [ -e "$CG/cgroup.kill" ] && echo 1 > "$CG/cgroup.kill"   # leftovers are ours
            sleep 0.05
        done
        [ -d "$CG" ] && note "warning: could not remove $CG"
    fi
    rm -rf "$DIR"
    rmdir "$BASE" 2>/dev/null
    note "sandbox $NAME down"
    return 0
}

cmd_cp() {
    load_sandbox "$1"
    local src=$2 dst=$3
    [ -f "$src" ] || fail "no such file: $src"
    [[ $dst == /* ]] || fail "destination must be absolute: $dst"
    # Written from inside: DEST resolves in the sandbox, never on the host.
    inside /bin/sh -c 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"' sh "$dst" "$(stat -c %a "$src")" < "$src" \
        || fail "copy $src -> $dst failed"
}

case ${1:-} in
    up)   [ $# -ge 2 ] || usage; shift; cmd_up "$@";;
    down) [ $# -eq 2 ] || usage; cmd_down "$2";;
    exec) [ $# -ge 3 ] || usage; load_sandbox "$2"; shift 2; inside "$@";;
    cp)   [ $# -eq 4 ] || usage; cmd_cp "$2" "$3" "$4";;
    pid)  [ $# -eq 2 ] || usage; load_sandbox "$2"; echo "$INIT";;
    *)    usage;;
esac
