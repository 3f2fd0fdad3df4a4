#!/usr/bin/env python3
"""check_log_lines.py - every line of a leakfleet log is one event a line-based shipper can
parse: logfmt (key=bare or key="quoted \\" escaped") or one JSON object, with a ts
(RFC 3339, UTC) and a level. Usage: check_log_lines.py logfmt|json FILE [WANT...]: exits 1
naming the first bad line, or when no line has a msg equal to a WANT. A WANT of
MSG:KEY,KEY... also needs a line with that msg to carry every KEY. Prints the count."""
import json
import re
import sys

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PAIR = re.compile(r'([a-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s"=]+))(?: |$)')
LEVELS = {"debug", "info", "warn", "error"}


def logfmt(line):
    fields, pos = {}, 0
    while pos < len(line):
        m = PAIR.match(line, pos)
        if not m:
            raise ValueError("not logfmt at column %d" % pos)
        value = m.group(3)
        if value is None:
            value = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t", "r": "\r"}.get(e.group(1), e.group(1)), m.group(2))
        fields[m.group(1)] = value
        pos = m.end()
    return fields


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    wants = {}
    for want in sys.argv[3:]:
        msg, _, keys = want.partition(":")
        wants[msg] = set(keys.split(",")) if keys else set()
    n = 0
    with open(path, encoding="utf-8", errors="strict") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            try:
                fields = json.loads(line) if fmt == "json" else logfmt(line)
                if not isinstance(fields, dict):
                    raise ValueError("not an object")
                if not TS.match(str(fields.get("ts", ""))):
                    raise ValueError("no ts")
                if fields.get("level") not in LEVELS:
                    raise ValueError("no level")
                if "msg" not in fields:
                    raise ValueError("no msg")
            except ValueError as e:
                print("FAIL: %s:%d: %s: %s" % (path, number, e, line[:200]))
                return 1
            if fields["msg"] in wants and wants[fields["msg"]] <= set(fields):
                del wants[fields["msg"]]
            n += 1
    if wants:
        print("FAIL: %s: no line with msg %s" % (path, ", ".join(
            m + (" and keys " + ",".join(sorted(k)) if k else "") for m, k in sorted(wants.items()))))
        return 1
    print("ok: %s: %d lines, each one %s event with ts and level" % (path.split("/")[-1], n, fmt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
