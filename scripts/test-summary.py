#!/usr/bin/python3
"""Count test results from meson's testlog.json; print "N passed, N failed[, N skipped]".

Usage: test-summary.py TESTLOG.json [TESTLOG.json...]

One testlog.json per set of tests (meson's --logbase); the counts are
added up.

testlog.json holds one JSON object per line, one per test program, with at
least "name", "result" (OK, FAIL, SKIP, TIMEOUT, EXPECTEDFAIL,
UNEXPECTEDPASS, ERROR) and "stdout".  Newer meson also writes "protocol";
meson 1.0 (Debian 12) does not, so a TAP program is recognised by its output.

A TAP program counts each subtest: "ok" passed, "not ok" failed, a "# SKIP"
directive skipped, "not ok ... # TODO" (g_test_incomplete) skipped.  If
meson says the program failed but no subtest did (it crashed, timed out or
bailed out after its last "ok"), one more failure is counted so a broken
program is never summed up as a success.  Any other program counts once,
from meson's result.

The summary is the last line printed.  Exit status 0 only if nothing failed;
each missing testlog.json (the build failed before any test ran) counts
as one failure.
"""
import json
import re
import sys

TAP_RESULT = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_PLAN = re.compile(r"^1\.\.\d+")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b", re.IGNORECASE)

MESON_PASS = {"OK", "EXPECTEDFAIL"}
MESON_SKIP = {"SKIP"}


def count_tap(stdout):
    """Return (passed, failed, skipped, bailed_out), or None if not TAP."""
    passed = failed = skipped = 0
    bailed = False
    tap = False
    for line in stdout.splitlines():
        if TAP_PLAN.match(line):
            tap = True
            continue
        if line.startswith("Bail out!"):
            tap = bailed = True
            continue
        m = TAP_RESULT.match(line)
        if not m:
            continue
        tap = True
        directive = DIRECTIVE.search(m.group(2))
        kind = directive.group(1).upper() if directive else None
        if kind == "SKIP":
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        elif kind == "TODO":
            skipped += 1
        else:
            failed += 1
    return (passed, failed, skipped, bailed) if tap else None


def summarize(path):
    passed = failed = skipped = 0
    problems = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, 1):
            raw = raw.strip()
            if not raw:
                continue
            try:
                test = json.loads(raw)
            except ValueError as e:
                problems.append("%s:%d: unreadable entry (%s)" % (path, lineno, e))
                failed += 1
                continue
            name = test.get("name", "?")
            result = test.get("result", "ERROR")
            protocol = test.get("protocol")
            tap = None
            if protocol in (None, "tap"):
                tap = count_tap(test.get("stdout") or "")
            if tap is not None:
                p, fl, s, bailed = tap
                if (result not in MESON_PASS | MESON_SKIP or bailed) and fl == 0:
                    fl = 1
                    problems.append("%s: %s after its last subtest" % (name, result))
                if p + fl + s == 0 and result in MESON_SKIP:
                    s = 1             # "1..0 # SKIP": the whole program skipped
                passed, failed, skipped = passed + p, failed + fl, skipped + s
            elif result in MESON_PASS:
                passed += 1
            elif result in MESON_SKIP:
                skipped += 1
            else:
                failed += 1
                problems.append("%s: %s" % (name, result))
    return passed, failed, skipped, problems


def main():
    paths = sys.argv[1:]
    if not paths:
        print("usage: test-summary.py TESTLOG.json [TESTLOG.json...]")
        return 2
    passed = failed = skipped = 0
    problems = []
    for path in paths:
        try:
            p, fl, s, pr = summarize(path)
        except OSError as e:
            p, fl, s = 0, 1, 0
            pr = ["%s: %s (did the build fail?)" % (path, e.strerror)]
        passed, failed, skipped = passed + p, failed + fl, skipped + s
        problems += pr
    for p in problems:
        print("test-summary: " + p)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
