#!/usr/bin/env bash
# ci-hardening.sh — the hardening half of CI, run by .ci/run after tools/test.sh (docs/testing.md):
#   1. every test suite again in an AddressSanitizer + UndefinedBehaviorSanitizer build
#   2. every libFuzzer target for FUZZ_SECONDS (default 20) on its seed corpus
#   3. cppcheck and clang-tidy on sim/, tools/ and exec/ (tools/lint.sh)
#   4. the CLI end-to-end tests with ppsim under valgrind (tools/valgrind.sh)
# Any sanitizer report, fuzzer finding, lint finding or valgrind error fails the script. It runs
# every step and ends with one line per step and the total time. Expects tools/test.sh to have
# built build/ (the valgrind and lint steps use it).
# Environment: ASAN_BUILD (default build-asan), FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz),
# HARDENING_STEPS (default "asan fuzz lint valgrind").
set -uo pipefail
cd "$(dirname "$0")/.."

ASAN_BUILD=${ASAN_BUILD:-build-asan}
STEPS=${HARDENING_STEPS:-asan fuzz lint valgrind}

# Tools the steps need, from Debian (installed only when missing).
bash tools/apt-install.sh ci-hardening clang libclang-rt-14-dev clang-tidy cppcheck valgrind

step_asan() {
    # b_sanitize is meson's built-in option; b_lundef=false is required with it under clang/gcc.
    if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
        meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || return 1
    fi
    ninja -C "$ASAN_BUILD" >/dev/null || return 1
    # Every report is fatal (abort: the test fails with a signal, whatever it checks).
    local common=abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
    # Check's own per-test limit (CK_DEFAULT_TIMEOUT in tests/meson.build) stretched as meson's
    # is: sanitized code runs 3-10x slower, more on a busy machine.
    export CK_TIMEOUT_MULTIPLIER=4
    local rc=0
    ASAN_OPTIONS=detect_leaks=1:$common \
        meson test -C "$ASAN_BUILD" --no-suite exec --print-errorlogs --timeout-multiplier 4 || rc=1
    # exec/ runs under mpirun: Open MPI's own allocations are reported as leaks from plugins it
    # has dlclose'd (no symbols, so no suppression can match them), so LeakSanitizer is off there;
    # every other ASan and UBSan check stays fatal.
    if meson test -C "$ASAN_BUILD" --list 2>/dev/null | grep -q '^ppsim:exec '; then
        ASAN_OPTIONS=detect_leaks=0:$common \
            meson test -C "$ASAN_BUILD" --suite exec --print-errorlogs --timeout-multiplier 4 || rc=1
    fi
    return $rc
}

step_fuzz() { bash tools/fuzz.sh ci "${FUZZ_SECONDS:-20}"; }
step_lint() { LINT_DB=build bash tools/lint.sh; }
step_valgrind() { bash tools/valgrind.sh build/tools/ppsim; }

start_all=$(date +%s)
summary=()
status=0
for s in $STEPS; do
    echo "=== ci-hardening: $s" >&2
    t0=$(date +%s)
    if "step_$s"; then r=ok; else r=FAILED; status=1; fi
    summary+=("$(printf '%-9s %-6s %4ds' "$s" "$r" $(($(date +%s) - t0)))")
done
echo "=== ci-hardening summary"
printf '%s\n' "${summary[@]}"
echo "total     $( [ $status -eq 0 ] && echo ok || echo FAILED ) $(($(date +%s) - start_all))s"
exit $status
