# lib.sh — helpers the CLI test scripts share (sourced, not run). The script sets ppsim (the
# binary, an absolute path) and work (its scratch folder), with script_args and scratch below or
# by hand, and may set pp_timeout (seconds).
passed=0
failed=0

# abspath PATH — PATH made absolute against the current directory.
abspath() {
    case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
    esac
}

# script_args SCRIPT "NAMES" ARGS... — a runner's arguments, the first the ppsim binary: exits 2
# with "usage: SCRIPT NAMES" unless there is one ARG per word of NAMES, and with one line unless
# the first is an executable; sets ppsim to it, made absolute.
script_args() {
    local script=$1 names=$2 want
    shift 2
    want=$(wc -w <<<"$names")
    if [ $# -ne "$want" ]; then
        echo "usage: $script $names" >&2
        exit 2
    fi
    ppsim=$(abspath "$1")
    if [ ! -x "$ppsim" ]; then
        echo "$(basename "$script"): $ppsim is not an executable" >&2
        exit 2
    fi
}

# scratch NAME [RC] — sets work to a new folder ppsim-NAME.XXXXXX under $TMPDIR (else /tmp),
# removed when the script exits; exits RC (default 2) when it cannot be made.
scratch() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/ppsim-$1.XXXXXX") || exit "${2:-2}"
    trap 'rm -rf "$work"' EXIT
}

# Runs ppsim with a time limit.
pp() {
    timeout -k 2 "${pp_timeout:-20}" "$ppsim" "$@"
}

# run WANT_RC ARGS... — runs ppsim, stdout to ./out, stderr to ./err; fails unless exit is WANT_RC.
run() {
    local want=$1 rc
    shift
    pp "$@" >out 2>err
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "ppsim $*: exit $rc, expected $want"
        sed 's/^/  stderr: /' err | head -n 5
        return 1
    fi
    return 0
}

# no_leftovers — fails when a temporary output file (*.tmp.*) is left in the work directory.
no_leftovers() {
    local left
    left=$(find . -name '*.tmp.*' | head -n 5)
    if [ -n "$left" ]; then
        echo "temporary files left behind: $left"
        return 1
    fi
    return 0
}

# run_in LABEL DIR LOG FUNCTION — runs FUNCTION in DIR (which exists), its output to LOG;
# prints "ok   LABEL", or "FAIL LABEL" and the log's first 40 lines, and counts the result.
run_in() {
    local label=$1 dir=$2 log=$3 fn=$4
    if (cd "$dir" && "$fn") >"$log" 2>&1; then
        echo "ok   $label"
        passed=$((passed + 1))
    else
        echo "FAIL $label"
        sed 's/^/    /' "$log" | head -n 40
        failed=$((failed + 1))
    fi
}

# check NAME FUNCTION — runs one check in a fresh directory; prints ok or FAIL with its log.
check() {
    mkdir -p "$work/$1"
    run_in "$1" "$work/$1" "$work/$1.log" "$2"
}
