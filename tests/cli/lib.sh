# lib.sh — helpers the CLI test scripts share (sourced, not run). The script sets ppsim (the
# binary, an absolute path) and work (its scratch folder), and may set pp_timeout (seconds).
passed=0
failed=0

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

# check NAME FUNCTION — runs one check in a fresh directory; prints ok or FAIL with its log.
check() {
    local name=$1 fn=$2 log
    log="$work/$name.log"
    mkdir -p "$work/$name"
    if (cd "$work/$name" && "$fn") >"$log" 2>&1; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$log" | head -n 40
        failed=$((failed + 1))
    fi
}
