#!/usr/bin/env python3
"""agent_fake_server.py - a stand-in for both ends of leakfleet-agent in its tests: a Go
service's /debug/pprof/goroutine[leak] (any path ending in /goroutine or /goroutineleak,
served from tests/fixtures), an http_sd endpoint (any path ending in /sd.json: the bytes
of DIR/sd.json) and its Prometheus
metrics (any GET path ending in "metrics": the bytes of DIR/metrics with the status in
DIR/metrics-status, "200" by default, with @NOW@ replaced by the current unix time; 404
without DIR/metrics; the request's Accept header is written to DIR/metrics-accept), and
the server's
POST /api/v1/profiles, which records every push as one JSON line and answers with the
status written in DIR/mode ("201" by default; e.g. "500", "400", "429", "301" with a
Location; "201 2" answers after 2 seconds). Like the server, it answers 400 to a push with
an unknown parameter, a `started` or `ts` that is not unix seconds, or a bad `version`
(over 256 bytes or with control characters), whatever the mode.

Usage: agent_fake_server.py DIR [--leak] [--tls CERT KEY]   (writes the chosen port to
DIR/port; --tls serves https with that PEM certificate and key)
"""
import gzip
import hashlib
import http.server
import json
import os
import ssl
import sys
import time
import urllib.parse

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
PARAMS = {"service", "instance", "ts", "format", "version", "started"}


def bad_params(query):
    """The server's 400 for these parameters (a list of pairs), or None."""
    for key, value in query:
        if key not in PARAMS:
            return "unknown parameter '%s'" % key
        if key in ("ts", "started") and not value.isdigit():
            return "parameter '%s' must be unix seconds, not '%s'" % (key, value)
        if key == "version" and (len(value.encode()) > 256 or any(ord(c) < 0x20 or c == "\x7f" for c in value)):
            return "bad parameter 'version'"
    return None


def read_file(path, default=None):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return default
BODIES = {"0": "shop-n25.pb.gz", "1": "shop-n25.debug1.txt", "2": "shop-n25.debug2.txt"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "1")
        if 300 <= status < 400:
            self.send_header("Location", "https://login.example/sso?next=/api/v1/profiles")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        debug = urllib.parse.parse_qs(url.query).get("debug", ["0"])[0]
        with open(os.path.join(self.server.dir, "scrapes.log"), "a") as f:
            f.write(self.path + "\n")
        if url.path.endswith("metrics"):
            with open(os.path.join(self.server.dir, "metrics-accept"), "w") as f:
                f.write(self.headers.get("Accept", ""))
            body = read_file(os.path.join(self.server.dir, "metrics"))
            status = int(read_file(os.path.join(self.server.dir, "metrics-status"), b"200") or 200)
            if body is None:
                self.reply(404, b"404 page not found\n", "text/plain")
            else:
                body = body.replace(b"@NOW@", repr(time.time()).encode())  # started just now
                self.reply(status, body, "text/plain; version=0.0.4; charset=utf-8")
        elif url.path.endswith("/sd.json"):
            # an http_sd endpoint: the bytes of DIR/sd.json, 404 without it
            body = read_file(os.path.join(self.server.dir, "sd.json"))
            if body is None:
                self.reply(404, b"404 page not found\n", "text/plain")
            else:
                self.reply(200, body)
        elif url.path.endswith("/goroutineleak") and self.server.leak and debug in BODIES:
            with open(os.path.join(FIXTURES, BODIES[debug]), "rb") as f:
                body = f.read()
            if debug == "1":
                body = body.replace(b"goroutine profile:", b"goroutineleak profile:", 1)
            self.reply(200, body, "text/plain")
        elif url.path.endswith("/goroutine") and debug in BODIES:
            with open(os.path.join(FIXTURES, BODIES[debug]), "rb") as f:
                self.reply(200, f.read(), "text/plain")
        else:
            self.reply(404, b"404 page not found\n", "text/plain")

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, delay = 201, 0.0
        try:
            with open(os.path.join(self.server.dir, "mode")) as f:
                words = f.read().split()
            status = int(words[0]) if words else 201
            delay = float(words[1]) if len(words) > 1 else 0.0
        except (OSError, ValueError):
            pass
        if delay > 0:
            with open(os.path.join(self.server.dir, "slow-post-started"), "w") as f:
                f.write("1")
            time.sleep(delay)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        refusal = bad_params(query)
        if refusal is not None:
            status = 400
        encoding = self.headers.get("Content-Encoding", "")
        decoded = gzip.decompress(body) if encoding == "gzip" else body
        record = {
            "path": url.path,
            "query": dict(query),
            "authorization": self.headers.get("Authorization", ""),
            "key": self.headers.get("Idempotency-Key", ""),
            "encoding": encoding,
            "bytes": len(body),
            "sha256": hashlib.sha256(decoded).hexdigest(),
            "head": decoded[:40].decode("latin-1"),
            "status": status,
        }
        with open(os.path.join(self.server.dir, "posts.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        if 200 <= status < 300:
            self.reply(status, b'{"profile_id": 1, "goroutines": 25, "locations": 3}')
        elif refusal is not None:
            self.reply(status, json.dumps({"error": refusal}).encode())
        else:
            self.reply(status, b'{"error": "fake server says %d"}' % status)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # an agent that hung up (a refused body, kill -9) is part of the tests


def main():
    server = Server(("127.0.0.1", 0), Handler)
    server.dir = sys.argv[1]
    server.leak = "--leak" in sys.argv[2:]
    if "--tls" in sys.argv[2:]:
        at = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[at + 1], sys.argv[at + 2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = os.path.join(server.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(server.dir, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
