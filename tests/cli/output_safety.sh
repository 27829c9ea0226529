#!/usr/bin/env bash
# output_safety.sh PPSIM_BINARY — ppsim's outputs never destroy anything (docs/cli.md, "Output
# files"): devices and links are written through or refused, never replaced; temporary files are
# created exclusively and fit NAME_MAX; two outputs into one file are refused before anything is
# written; SIGINT, SIGTERM and SIGHUP leave no temporary file; a full or closed stdout fails the
# run (exit 1, one line).
#
# Every case runs as root and as an unprivileged user (`nobody`, through setpriv), each in a
# scratch directory of its own that the user owns. Device cases use nodes this script makes with
# mknod in its scratch directory (1,7 "full" and 1,3 "null"), never the system's /dev/full or
# /dev/null, which a regression would replace. Without root only the current user runs; where
# mknod is not permitted the device cases are skipped and say so. Exit 0 all passed, 1 a case
# failed, 77 (meson: skipped) nothing could run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/lib.sh
source "$here/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
profile_src="$here/../../traces/validation/1f1b.profile.json"

scratch outsafe 77
chmod 755 "$work"

me=$(id -un)
users=("$me")
if [ "$(id -u)" -eq 0 ]; then
    if ! command -v setpriv >/dev/null; then
        echo "note: setpriv not found (util-linux): cases run as root only"
    elif ! id nobody >/dev/null 2>&1; then
        echo "note: no user 'nobody': cases run as root only"
    elif ! setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- test -x "$ppsim"; then
        echo "note: nobody cannot run $ppsim (a private build directory?): cases run as root only"
    else
        users+=(nobody)
    fi
else
    echo "note: not root: cases run as $me only (the root half is skipped)"
fi

# Device nodes: made once here to learn whether mknod is permitted and the filesystem honours
# device nodes; each case makes its own.
devices=1
if ! mknod "$work/probe" c 1 3 2>/dev/null; then
    devices=0
    echo "note: mknod is not permitted here: device cases are skipped"
elif ! (echo x >"$work/probe") 2>/dev/null; then
    devices=0
    echo "note: device nodes do not work on $work's filesystem (nodev?): device cases skipped"
fi
rm -f "$work/probe"

skipped=0

# as USER CMD... — runs CMD as USER.
as() {
    local u=$1
    shift
    if [ "$u" = "$me" ]; then
        "$@"
    else
        setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
    fi
}

# pp ARGS... — ppsim as $user in the current directory, stdout to ./.out, stderr to ./.err
# (opened by this shell, so they exist whoever runs ppsim); sets rc.
pp() {
    as "$user" timeout -k 2 20 "$ppsim" "$@" >.out 2>.err
    rc=$?
}

# expect_rc WANT — fails unless the last pp gave WANT.
expect_rc() {
    if [ "$rc" -ne "$1" ]; then
        echo "exit $rc, expected $1; stderr:"
        sed 's/^/  /' .err | head -n 5
        return 1
    fi
}

# expect_err TEXT — fails unless stderr is exactly one line containing TEXT.
expect_err() {
    if [ "$(wc -l <.err)" -ne 1 ] || ! grep -qF -- "$1" .err; then
        echo "stderr: expected one line containing '$1', got:"
        sed 's/^/  /' .err | head -n 5
        return 1
    fi
}

# is_device NAME MAJOR MINOR — NAME is still that character device.
is_device() {
    if [ ! -c "$1" ] || [ "$(stat -c '%t,%T' "$1")" != "$(printf '%x,%x' "$2" "$3")" ]; then
        echo "$1 is no longer character device $2,$3: $(ls -l "$1" 2>&1)"
        return 1
    fi
}

# same_text FILE TEXT — FILE holds exactly TEXT.
same_text() {
    if [ ! -f "$1" ] || [ -L "$1" ] || [ "$(cat "$1")" != "$2" ]; then
        echo "$1 changed: $(ls -l "$1" 2>&1)"
        return 1
    fi
}

# is_timeline FILE — FILE is a regular file holding a timeline that ppsim reads back.
is_timeline() {
    if [ ! -f "$1" ] || ! "$ppsim" analyze "$1" >/dev/null 2>&1; then
        echo "$1 is not a readable timeline: $(ls -l "$1" 2>&1)"
        return 1
    fi
}

mkdev() { # mkdev NAME MAJOR MINOR — a character device node the case's user may write
    mknod "$1" c "$2" "$3" && chmod 666 "$1"
}

# case NAME FUNCTION [devices] — runs FUNCTION for every user in a fresh directory it owns.
case_() {
    local name=$1 fn=$2 needs=${3:-}
    for user in "${users[@]}"; do
        if [ "$needs" = devices ] && [ $devices -eq 0 ]; then
            echo "skip $name ($user): mknod not permitted"
            skipped=$((skipped + 1))
            continue
        fi
        local d="$work/$user/$name" log="$work/$user.$name.log"
        mkdir -p "$d"
        [ "$user" = "$me" ] || chown "$user" "$work/$user" "$d"
        run_in "$name ($user)" "$d" "$log" "$fn"
    done
}

SIM=(sim -s 1f1b -p 2 -m 4)

# ------------------------------------------------------------------ 6: devices and links

device_full() {
    mkdev full 1 7 || return 1
    pp "${SIM[@]}" -o full
    expect_rc 1 && expect_err "ppsim sim: full: cannot write: No space left on device" &&
        is_device full 1 7 || return 1
    pp "${SIM[@]}" --chrome full
    expect_rc 1 && expect_err "No space left on device" && is_device full 1 7 || return 1
    pp gen -s 1f1b -p 2 -m 4 -o full
    expect_rc 1 && expect_err "ppsim gen: full: cannot write: No space left on device" &&
        is_device full 1 7 || return 1
    cp "$profile_src" p.json && chmod 644 p.json
    pp calibrate p.json -o full
    expect_rc 1 && expect_err "ppsim calibrate: full: cannot write: No space left on device" &&
        is_device full 1 7
}

device_null() {
    mkdev null 1 3 || return 1
    pp "${SIM[@]}" -o null --chrome null --memory null
    expect_rc 0 && is_device null 1 3 || return 1
    pp gen -s 1f1b -p 2 -m 4 -o null
    expect_rc 0 && is_device null 1 3 && no_leftovers
}

link_to_file() {
    echo old >x.json
    ln -s x.json link.json
    pp "${SIM[@]}" -o link.json
    expect_rc 0 || return 1
    if [ "$(readlink link.json)" != x.json ]; then
        echo "link.json is no longer a link to x.json: $(ls -l link.json)"
        return 1
    fi
    is_timeline x.json && no_leftovers
}

link_dangling() {
    ln -s missing.json link.json
    pp "${SIM[@]}" -o link.json
    expect_rc 1 && expect_err "link.json: cannot write: a symbolic link to a missing file" ||
        return 1
    if [ "$(readlink link.json)" != missing.json ] || [ -e missing.json ]; then
        echo "link.json or its target changed: $(ls -l)"
        return 1
    fi
}

link_to_device() {
    mkdev full 1 7 || return 1
    ln -s full link
    pp "${SIM[@]}" -o link
    expect_rc 1 && expect_err "link: cannot write: No space left on device" &&
        is_device full 1 7 || return 1
    [ "$(readlink link)" = full ] || { echo "link replaced: $(ls -l link)"; return 1; }
}

directory() {
    mkdir sub
    pp "${SIM[@]}" -o sub
    expect_rc 1 && expect_err "ppsim sim: sub: cannot write: Is a directory" && [ -d sub ]
}

fifo() {
    mkfifo pipe && chmod 666 pipe || return 1
    timeout 20 cat pipe >got & # bounded: a ppsim that replaced the pipe never opens it
    local reader=$!
    pp "${SIM[@]}" -o pipe
    [ -p pipe ] || kill "$reader" 2>/dev/null
    wait "$reader"
    expect_rc 0 && [ -p pipe ] || { echo "pipe replaced: $(ls -l pipe)"; return 1; }
    grep -q '"format": "ppsim-timeline"' got || { echo "the reader got no timeline"; return 1; }
}

# ------------------------------------------------------------------ 7: temporary files

# The name ppsim 0.1.0 used, OUT.tmp.PID, is planted as a link to a victim; a shell that execs
# ppsim keeps its PID, so the planted name is the one an old binary would open.
planted_link() {
    echo victim >victim
    chmod 666 victim
    as "$user" bash -c 'ln -s victim "out.json.tmp.$$" && exec "$0" "$@"' "$ppsim" \
        "${SIM[@]}" -o out.json >.out 2>.err
    rc=$?
    expect_rc 0 && same_text victim victim && is_timeline out.json || return 1
    [ ! -L out.json ] || { echo "out.json is a link: $(ls -l out.json)"; return 1; }
}

long_name() {
    local name
    name=$(printf 'n%.0s' $(seq 250)).json # 255 bytes, NAME_MAX
    pp "${SIM[@]}" -o "$name"
    expect_rc 0 && is_timeline "$name" || return 1
    # again with a named temporary, over the existing file
    PPSIM_NAMED_TEMPS=1 pp "${SIM[@]}" -o "$name" --memory "m$name"
    expect_rc 1 && expect_err "File name too long" || return 1 # m + 255 bytes: too long
    PPSIM_NAMED_TEMPS=1 pp "${SIM[@]}" -o "$name"
    expect_rc 0 && is_timeline "$name" && no_leftovers
}

# ------------------------------------------------------------------ 8: one file, two outputs

same_outputs() {
    echo old >x.json
    ln x.json hard.json
    ln -s x.json link.json
    mkdir sub
    local pair
    for pair in "-o x.json --chrome x.json" "-o x.json --chrome ./x.json" \
        "-o x.json --memory hard.json" "-o link.json --chrome x.json" \
        "--chrome new.json --memory sub/../new.json" "-o - --memory -"; do
        # shellcheck disable=SC2086 # the pair is two options and their values
        pp "${SIM[@]}" $pair
        expect_rc 2 && expect_err "name the same file" || { echo "  ($pair)"; return 1; }
    done
    same_text x.json old && [ ! -e new.json ] && [ ! -s .out ] && no_leftovers
}

# ------------------------------------------------------------------ 9: signals

# wait_temp PID NAMED — waits until PID holds its temporary for x.json: a named one in the
# directory, or an unnamed O_TMPFILE ("... (deleted)" among its open files).
wait_temp() {
    local i
    for i in $(seq 100); do
        if [ "$2" = 1 ]; then
            compgen -G '.x.json.tmp.*' >/dev/null && return 0
        else
            ls -l "/proc/$1/fd" 2>/dev/null | grep -q '(deleted)' && return 0
        fi
        sleep 0.1
    done
    echo "no temporary file appeared (named=$2)"
    return 1
}

# The run blocks opening its second output, a FIFO nobody reads, while it holds the first
# output's temporary: a signal then arrives at a known point of a write.
signals() {
    echo old >x.json
    chmod 666 x.json
    mkfifo pipe && chmod 666 pipe || return 1
    local sig named pid
    for named in 0 1; do
        for sig in INT TERM HUP KILL; do
            (export PPSIM_NAMED_TEMPS=$named && exec_as "${SIM[@]}" -o x.json --chrome pipe) &
            pid=$!
            wait_temp "$pid" "$named" || { kill -KILL "$pid"; return 1; }
            kill -s "$sig" "$pid"
            wait "$pid"
            rc=$?
            if [ $rc -ne $((128 + $(kill -l "$sig"))) ]; then
                echo "SIG$sig: exit $rc"
                return 1
            fi
            same_text x.json old || return 1
            if [ "$sig" = KILL ] && [ "$named" = 1 ]; then
                # Documented: nothing can clean up after SIGKILL; the named temporary stays.
                rm -f .x.json.tmp.*
                continue
            fi
            no_leftovers || { echo "  after SIG$sig, named temporaries: $named"; return 1; }
        done
    done
}

# exec_as ARGS... — replaces the (sub)shell with ppsim as $user (setpriv execs too), so that $!
# of the subshell is ppsim's PID.
exec_as() {
    if [ "$user" = "$me" ]; then
        exec "$ppsim" "$@" >.out 2>.err
    fi
    exec setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$ppsim" "$@" \
        >.out 2>.err
}

# ------------------------------------------------------------------ 10: stdout

stdout_full() {
    mkdev full 1 7 || return 1
    "$ppsim" sim -s 1f1b -p 2 -m 4 -o tl.json >/dev/null 2>&1 && chmod 644 tl.json || return 1
    cp "$profile_src" p.json && chmod 644 p.json
    local args cmd
    for args in "sim -s 1f1b -p 2 -m 4" "sim -s 1f1b -p 2 -m 4 --json" "compare" \
        "analyze tl.json" "show tl.json" "show -s gpipe -p 2 -m 2" "gen -s 1f1b -p 2 -m 4" \
        "gen --list" "diff tl.json tl.json" "calibrate p.json" "--help" "--version" \
        "sim --help" "gen --help" "compare --help" "analyze --help" "show --help" \
        "diff --help" "calibrate --help" "sweep --help" "plan --help" "report --help" \
        "explain --help" "plot --help"; do
        cmd=${args%% *}
        [ "$cmd" = --help ] || [ "$cmd" = --version ] && cmd=
        # shellcheck disable=SC2086 # args are words
        as "$user" "$ppsim" $args >full 2>.err
        rc=$?
        expect_rc 1 && expect_err "ppsim${cmd:+ $cmd}: stdout: cannot write: No space left on device" ||
            { echo "  (ppsim $args)"; return 1; }
        is_device full 1 7 || return 1
    done
}

stdout_closed() {
    as "$user" "$ppsim" sim -s 1f1b -p 2 -m 4 >&- 2>.err
    rc=$?
    expect_rc 1 && expect_err "ppsim sim: stdout: cannot write: Bad file descriptor"
}

case_ device_full device_full devices
case_ device_null device_null devices
case_ link_to_file link_to_file
case_ link_dangling link_dangling
case_ link_to_device link_to_device devices
case_ directory directory
case_ fifo fifo
case_ planted_link planted_link
case_ long_name long_name
case_ same_outputs same_outputs
case_ signals signals
case_ stdout_full stdout_full devices
case_ stdout_closed stdout_closed

echo "$passed passed, $failed failed, $skipped skipped"
if [ $failed -gt 0 ]; then
    exit 1
fi
[ $passed -gt 0 ] || exit 77
exit 0
