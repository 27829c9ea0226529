# lib.sh — what the executor's test scripts share (sourced, not run): a scratch folder $dir,
# removed at exit (a script that sets its own EXIT trap removes it there), the ok/bad counts and
# the closing line.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0 failn=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; failn=$((failn + 1)); }

# finish — prints "N passed, M failed"; its status is non-zero when a check failed.
finish() {
    echo "$pass passed, $failn failed"
    [ "$failn" -eq 0 ]
}
