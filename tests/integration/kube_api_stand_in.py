#!/usr/bin/env python3
"""kube_api_stand_in.py - a stand-in for the Kubernetes API server in the agent's tests:
GET /api/v1/pods answers tests/fixtures/kubernetes/pods.json (or DIR/pods.json when it
exists) filtered by the fieldSelector spec.nodeName=NODE as the API server filters it.
The pods are rewritten to this machine: every pod IP becomes 127.0.0.1 and every port
number in the scrape annotations and container ports becomes TARGET_PORT, so the agent
scrapes the stand-in target there. It answers 401 (a Status, as the API server does)
unless the request carries "Authorization: Bearer " + the text of DIR/token, and the
status written in DIR/mode (e.g. "403") when that file exists. Every request's path and
query is appended to DIR/requests.log.

Usage: kube_api_stand_in.py DIR TARGET_PORT   (writes the chosen port to DIR/port)
"""
import http.server
import json
import os
import sys
import urllib.parse

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                       "kubernetes", "pods.json")
PORT_KEYS = ("leakfleet.io/port", "profiles.grafana.com/goroutine.port")


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def rewrite(pod, port):
    pod["status"]["podIP"] = "127.0.0.1" if pod["status"].get("podIP") else pod["status"].get("podIP")
    if "podIPs" in pod["status"]:
        pod["status"]["podIPs"] = [{"ip": "127.0.0.1"}]
    annotations = pod["metadata"].get("annotations", {})
    for key in PORT_KEYS:
        if annotations.get(key, "").isdigit():
            annotations[key] = str(port)
    for container in pod["spec"].get("containers", []):
        for p in container.get("ports", []):
            p["containerPort"] = port
    return pod


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        d = self.server.dir
        with open(os.path.join(d, "requests.log"), "a") as f:
            f.write(self.path + "\n")
        url = urllib.parse.urlparse(self.path)
        try:
            with open(os.path.join(d, "token")) as f:
                token = f.read().strip()
        except OSError:
            token = None
        if token is None or self.headers.get("Authorization", "") != "Bearer " + token:
            self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return
        try:
            with open(os.path.join(d, "mode")) as f:
                mode = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            mode = 200
        if mode == 403:
            self.reply(403, status(403, "Forbidden", 'pods is forbidden: User "system:serviceaccount:'
                                   'leakfleet:leakfleet-agent" cannot list resource "pods" in API '
                                   'group "" at the cluster scope'))
            return
        if url.path != "/api/v1/pods":
            self.reply(404, status(404, "NotFound", "the server could not find the requested resource"))
            return
        path = os.path.join(d, "pods.json")
        with open(path if os.path.exists(path) else FIXTURE) as f:
            doc = json.load(f)
        selector = urllib.parse.parse_qs(url.query).get("fieldSelector", [""])[0]
        node = None
        if selector:
            field, _, value = selector.partition("=")
            if field != "spec.nodeName":
                self.reply(400, status(400, "BadRequest", 'field label not supported: ' + field))
                return
            node = value
        doc["items"] = [rewrite(p, self.server.target_port) for p in doc["items"]
                        if node is None or p["spec"].get("nodeName") == node]
        self.reply(200, doc)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.dir = sys.argv[1]
    server.target_port = int(sys.argv[2])
    tmp = os.path.join(server.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(server.dir, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
