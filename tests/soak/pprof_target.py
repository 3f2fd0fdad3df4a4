#!/usr/bin/env python3
"""pprof_target.py - a stand-in Go service for the fault tests: serves one goroutine
profile file at /debug/pprof/goroutine (404 for every other path, as a Go 1.19 service
answers /debug/pprof/goroutineleak), on an ephemeral loopback port written to PORTFILE.
Usage: pprof_target.py PROFILE PORTFILE"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.split("?")[0] != "/debug/pprof/goroutine":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, fmt, *args):
        pass


with open(sys.argv[1], "rb") as f:
    BODY = f.read()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
