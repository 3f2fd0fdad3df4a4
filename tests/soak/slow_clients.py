#!/usr/bin/env python3
"""slow_clients.py - hostile connections for test_idle_connections.sh: IDLE sockets that
connect and send nothing, and SLOW sockets that send a request's headers one byte every
DRIP seconds (slowloris), all held for HOLD seconds. Writes READY (the counts once every
socket is connected) and, at the end, STATUS: how many of each the server closed.
Usage: slow_clients.py HOST PORT IDLE SLOW HOLD DRIP OUTDIR"""
import json
import os
import select
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
n_idle, n_slow = int(sys.argv[3]), int(sys.argv[4])
hold, drip = float(sys.argv[5]), float(sys.argv[6])
outdir = sys.argv[7]


def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, port))
    s.setblocking(False)
    return s


def write(name, obj):
    with open(os.path.join(outdir, name + ".tmp"), "w") as f:
        json.dump(obj, f)
    os.rename(os.path.join(outdir, name + ".tmp"), os.path.join(outdir, name))


idle, slow, refused = [], [], 0
for i in range(n_idle + n_slow):
    try:
        (idle if i < n_idle else slow).append(connect())
    except OSError:
        refused += 1
request = (b"POST /api/v1/profiles?service=shop&instance=slow HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer fault-agent\r\nX-Pad: " + b"a" * 4096)
sent = {s: 0 for s in slow}
write("ready", {"idle": len(idle), "slow": len(slow), "refused": refused})

closed = {"idle": 0, "slow": 0}
kind_of = {s.fileno(): ("idle", s) for s in idle}
kind_of.update({s.fileno(): ("slow", s) for s in slow})
poller = select.poll()
for fd in kind_of:
    poller.register(fd, select.POLLIN)


def drop(fd):
    kind, s = kind_of.pop(fd)
    closed[kind] += 1
    poller.unregister(fd)
    s.close()


end = time.time() + hold
next_drip = time.time()
while time.time() < end and kind_of:
    now = time.time()
    if now >= next_drip:
        for s in list(sent):
            if s.fileno() < 0 or s.fileno() not in kind_of:
                continue
            try:
                s.send(request[sent[s] % len(request):][:1])
                sent[s] += 1
            except OSError:
                drop(s.fileno())
        next_drip = now + drip
    for fd, _ in poller.poll(200):
        if fd not in kind_of:
            continue
        try:
            data = kind_of[fd][1].recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            drop(fd)
write("status", {"closed_idle": closed["idle"], "closed_slow": closed["slow"],
                 "held_seconds": hold, "bytes_dripped": sum(sent.values())})
