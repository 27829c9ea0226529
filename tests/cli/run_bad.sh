#!/usr/bin/env bash
# run_bad.sh PPSIM_BINARY CORPUS_DIR — runs every bad-input case of the corpus (tests/bad/README.md)
# and checks the CLI contract: the expected exit code, exactly one line on stderr equal to the
# expected line, no crash (exit > 128), no hang (10 s), and no output file or *.tmp.* left behind.
#
# Each case runs in its own scratch directory:  WORK/NAME/bad/  holds copies of the case's input
# files (NAME.json, NAME.csv, NAME.costs.json, ...) and whatever NAME.gen writes there; the command
# runs with WORK/NAME as its working directory, so @DIR@ becomes the relative path "bad" and
# @OUT@ "out/result.json" — messages do not depend on where the corpus or the scratch space lie.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" "PPSIM_BINARY CORPUS_DIR" "$@"
corpus=$(abspath "$2")
if [ ! -d "$corpus" ]; then
    echo "run_bad.sh: $corpus is not a directory" >&2
    exit 2
fi

TIMEOUT=10
DIR_SUBST=bad
OUT_SUBST=out/result.json

scratch bad

# Replaces @DIR@ and @OUT@ in $1.
subst() {
    local s=$1
    s=${s//@DIR@/$DIR_SUBST}
    s=${s//@OUT@/$OUT_SUBST}
    printf '%s' "$s"
}

# Prints the case's FAIL line and the details given as further arguments, indented.
report_fail() {
    local name=$1
    shift
    echo "FAIL $name"
    local line
    for line in "$@"; do
        printf '    %s\n' "$line"
    done
    failed=$((failed + 1))
}

shopt -s nullglob
cases=("$corpus"/*.cmd)
if [ ${#cases[@]} -eq 0 ]; then
    echo "run_bad.sh: no *.cmd files in $corpus" >&2
    exit 2
fi

for cmdfile in "${cases[@]}"; do
    name=$(basename "$cmdfile" .cmd)
    expfile="$corpus/$name.expect"
    if [ ! -f "$expfile" ]; then
        report_fail "$name" "missing $name.expect"
        continue
    fi
    want_rc=$(sed -n 1p "$expfile")
    want_err=$(subst "$(sed -n 2p "$expfile")")
    cmdline=$(sed -n 1p "$cmdfile")
    read -r -a words <<<"$cmdline"
    args=()
    for w in "${words[@]}"; do
        args+=("$(subst "$w")")
    done

    dir="$work/$name"
    mkdir -p "$dir/bad" "$dir/out"
    # The case's own input files: NAME.<anything> except the case description.
    for f in "$corpus/$name".*; do
        case "$f" in
        *.cmd | *.expect | *.gen) ;;
        *) cp "$f" "$dir/bad/" ;;
        esac
    done
    if [ -f "$corpus/$name.gen" ]; then
        if ! (cd "$dir/bad" && bash "$corpus/$name.gen"); then
            report_fail "$name" "generator $name.gen failed"
            continue
        fi
    fi

    errfile="$work/$name.stderr"
    outfile="$work/$name.stdout"
    printf '%s\n' "$want_err" >"$work/$name.want"
    (cd "$dir" && exec timeout -k 2 "$TIMEOUT" "$ppsim" "${args[@]}") >"$outfile" 2>"$errfile"
    rc=$?

    problems=()
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        problems+=("hang: no exit within ${TIMEOUT} s (exit $rc)")
    elif [ "$rc" -gt 128 ]; then
        problems+=("crash: exit $rc (signal $((rc - 128)))")
    fi
    if [ "$rc" != "$want_rc" ]; then
        problems+=("exit code: expected $want_rc, got $rc")
    fi
    if ! cmp -s "$work/$name.want" "$errfile"; then
        nlines=$(wc -l <"$errfile")
        problems+=("stderr: expected exactly one line, got $nlines line(s); diff expected actual:")
        while IFS= read -r l; do
            problems+=("  $l")
        done < <(diff "$work/$name.want" "$errfile" | cat -v | head -n 20)
    fi
    if [ -e "$dir/$OUT_SUBST" ]; then
        problems+=("output file left behind: $OUT_SUBST")
    fi
    while IFS= read -r l; do
        problems+=("temporary file left behind: ${l#"$dir"/}")
    done < <(find "$dir" -name '*.tmp.*')

    if [ ${#problems[@]} -eq 0 ]; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        report_fail "$name" "command: ppsim ${args[*]}" "${problems[@]}"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
