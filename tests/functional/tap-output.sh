# TAP output for the functional test scripts, sourced by them.  The caller
# sets TAP_NAME (its name, for stderr) and SUMMARY_ONLY (non-empty with
# --summary: only the SUMMARY lines are printed).
# shellcheck shell=bash

NTEST=0
FAILED=0
diag() { echo "$TAP_NAME: $*" >&2; }
tap() {   # tap OK|FAIL description
    NTEST=$((NTEST + 1))
    local word=ok
    [ "$1" = OK ] || { word="not ok"; FAILED=$((FAILED + 1)); }
    [ -n "$SUMMARY_ONLY" ] || echo "$word $NTEST - $2"
    [ "$1" = OK ] || diag "FAILED: $2"
}
note() {  # TAP comment; also the summary line in --summary mode
    if [ -n "$SUMMARY_ONLY" ]; then echo "SUMMARY: $*"; else echo "# SUMMARY: $*"; fi
}
# A setup problem is one failed test and a plan, never a hang.
setup_fail() {
    FAILED=1   # keeps the work folder for a look
    if [ -n "$SUMMARY_ONLY" ]; then echo "SUMMARY: setup failed: $*"
    else echo "not ok 1 - setup: $*"; echo "1..1"; fi
    diag "setup: $*"
    exit 1
}
skip_all() {
    if [ -n "$SUMMARY_ONLY" ]; then echo "SUMMARY: skipped: $*"
    else echo "1..0 # SKIP $*"; fi
    exit 0
}
# Milliseconds since the epoch, without forking (bash 5).
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
