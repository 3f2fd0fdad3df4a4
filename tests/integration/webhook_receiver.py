#!/usr/bin/env python3
"""webhook_receiver.py - an owner's webhook for the notification tests: records every POST
body as one JSON line in DIR/hooks.jsonl and answers with the status in DIR/mode ("200"
by default, e.g. "500" to make deliveries fail). Writes its port to DIR/port.

Usage: webhook_receiver.py DIR
"""
import http.server
import json
import os
import sys

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        mode_path = os.path.join(DIR, "mode")
        status = 200
        if os.path.exists(mode_path):
            status = int(open(mode_path).read().strip() or "200")
        if status < 300:
            with open(os.path.join(DIR, "hooks.jsonl"), "a") as out:
                out.write(json.dumps({"path": self.path, "body": json.loads(body)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
