#!/usr/bin/env bash
# fuzz.sh — builds and runs the libFuzzer targets of tests/fuzz/ (docs/testing.md).
#
#   bash tools/fuzz.sh build                 # build every target into build-fuzz/
#   bash tools/fuzz.sh run TARGET SECONDS    # fuzz one target, growing tests/fuzz/corpus-TARGET/
#   bash tools/fuzz.sh ci [SECONDS]          # every target for SECONDS (default 45) on a scratch
#                                            # copy of the seeds; fails on any finding
#   bash tools/fuzz.sh coverage TARGET       # line/region coverage of sim/ reached by the corpus
#   bash tools/fuzz.sh list                  # target names
#
# Targets are compiled with clang's -fsanitize=fuzzer,address,undefined straight from every .c under sim/
# (independent of meson). Any crash, leak, timeout (-timeout, default 10 s per input), RSS over
# -rss_limit_mb or UBSan report (halt_on_error) makes libFuzzer exit non-zero; the reproducer is
# written to build-fuzz/artifacts/ and the command fails. Environment: CC (default clang),
# FUZZ_BUILD (default build-fuzz). Targets run one at a time, under nice.
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-clang}
OUT=${FUZZ_BUILD:-build-fuzz}
TARGETS=(fuzz_action fuzz_schedule_json fuzz_csv fuzz_cost fuzz_timeline fuzz_profile fuzz_model fuzz_pipeline)
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer -Isim -Itests/fuzz"
# libFuzzer options shared by every run: per-input timeout, memory cap, input size cap.
FUZZ_OPTS=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
           -print_final_stats=1 -detect_leaks=1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

max_len() {
    case "$1" in
    fuzz_action) echo 256 ;;
    *) echo 16384 ;;
    esac
}

build() {
    command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
    mkdir -p "$OUT/obj" "$OUT/artifacts"
    # One library object set for all targets; rebuilt when any source or header changed.
    local objs=() src obj
    for src in $(find sim -name '*.c' | sort); do
        obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ sim/ppsim.h -nt "$obj" ] ||
           [ "$0" -nt "$obj" ]; then
            # shellcheck disable=SC2086
            $CC $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                -c "$src" -o "$obj"
        fi
        objs+=("$obj")
    done
    local t
    for t in "${TARGETS[@]}"; do
        if [ ! -x "$OUT/$t" ] || [ "tests/fuzz/$t.c" -nt "$OUT/$t" ] ||
           [ -n "$(find sim tests/fuzz -newer "$OUT/$t" -name '*.[ch]' -print -quit)" ]; then
            # shellcheck disable=SC2086
            $CC $CFLAGS $SAN "tests/fuzz/$t.c" "${objs[@]}" -lcjson -lm -o "$OUT/$t"
        fi
    done
}

dict_args() {
    local d="tests/fuzz/dict/$1.dict"
    [ -f "$d" ] && echo "-dict=$d"
    return 0
}

# run_one TARGET SECONDS CORPUS_DIR: fuzz TARGET; new inputs go to CORPUS_DIR, seeds are read too.
run_one() {
    local t=$1 secs=$2 corpus=$3 log="$OUT/$1.log"
    mkdir -p "$corpus"
    # shellcheck disable=SC2046
    if ! nice -n 10 "$OUT/$t" "${FUZZ_OPTS[@]}" -max_len="$(max_len "$t")" $(dict_args "$t") \
        -max_total_time="$secs" -artifact_prefix="$OUT/artifacts/$t-" \
        "$corpus" "tests/fuzz/seeds/$t" >"$log" 2>&1; then
        echo "fuzz.sh: $t FAILED (log $log, reproducer under $OUT/artifacts/):" >&2
        grep -E "ERROR|SUMMARY|oracle|Test unit written" "$log" >&2 || tail -30 "$log" >&2
        return 1
    fi
    # The final stats line: "#N DONE cov: X ft: Y corp: ..." and stat::number_of_executed_units.
    local done_line execs
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "$t: ${secs}s, ${execs:-?} execs, ${done_line:-no DONE line}"
}

# The library files each target is about (its coverage is reported over these).
focus() {
    case "$1" in
    fuzz_action) echo sim/ir/action.c ;;
    fuzz_schedule_json) echo sim/io/schedule_json.c sim/io/json_read.c ;;
    fuzz_csv) echo sim/io/schedule_csv.c ;;
    fuzz_cost) echo sim/cost/cost.c sim/io/cost_json.c ;;
    fuzz_profile) echo sim/io/profile_json.c sim/analysis/calibrate.c ;;
    fuzz_timeline) echo sim/io/timeline_json.c sim/analysis/analysis.c sim/io/chrome_trace.c ;;
    fuzz_pipeline) echo sim/ir/validate.c sim/ir/lower.c sim/core/graph.c sim/core/engine.c ;;
    esac
}

# coverage TARGET: replays seeds + corpus through a source-coverage build and prints the line and
# region coverage of the target's files (focus above), from llvm-cov report.
coverage() {
    local t=$1 dir="$OUT/cov"
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    $CC $CFLAGS -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
        "tests/fuzz/$t.c" $(find sim -name '*.c' | sort) -lcjson -lm -o "$dir/$t"
    local corpus=("tests/fuzz/seeds/$t")
    [ -d "tests/fuzz/corpus-$t" ] && corpus+=("tests/fuzz/corpus-$t")
    LLVM_PROFILE_FILE="$dir/$t.profraw" "$dir/$t" -runs=0 "${corpus[@]}" >"$dir/$t.log" 2>&1
    llvm-profdata merge -sparse "$dir/$t.profraw" -o "$dir/$t.profdata"
    # shellcheck disable=SC2046
    llvm-cov report "$dir/$t" -instr-profile="$dir/$t.profdata" $(focus "$t") | tail -1 |
        awk -v t="$t" -v f="$(focus "$t")" \
            '{printf "%s: lines %s, regions %s, functions %s of %s\n", t, $10, $4, $7, f}'
}

case "${1:-}" in
coverage)
    [ $# -eq 2 ] || { echo "usage: fuzz.sh coverage TARGET" >&2; exit 2; }
    coverage "$2"
    ;;
build)
    build
    ;;
list)
    printf '%s\n' "${TARGETS[@]}"
    ;;
run)
    [ $# -eq 3 ] || { echo "usage: fuzz.sh run TARGET SECONDS" >&2; exit 2; }
    build
    run_one "$2" "$3" "tests/fuzz/corpus-$2"
    ;;
ci)
    secs=${2:-45}
    build
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    fail=0
    for t in "${TARGETS[@]}"; do
        run_one "$t" "$secs" "$scratch/$t" || fail=1
    done
    exit "$fail"
    ;;
*)
    sed -n '2,15p' "$0" >&2
    exit 2
    ;;
esac
