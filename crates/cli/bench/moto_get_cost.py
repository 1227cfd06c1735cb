#!/usr/bin/env python3
"""CPU time moto's S3 server spends per GET, for a small and an entry-bundle-sized object.

Starts nothing itself: run `bash scripts/test-s3.sh` (it prints the endpoint) and pass that endpoint,
e.g. `python3 crates/cli/bench/moto_get_cost.py http://127.0.0.1:PORT` with the test virtual
environment's Python (it needs `requests`). moto's CPU time is read from /proc for the moto_server
process listening on that port; 300 GETs per object, over one keep-alive connection, two rounds.
"""
import os
import sys
import time

import requests


def moto_pid(port):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"moto_server") for a in args) and port.encode() in args:
            return int(pid)
    sys.exit(f"no moto_server on port {port}")


def cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    endpoint = sys.argv[1].rstrip("/")
    pid = moto_pid(endpoint.rsplit(":", 1)[1])
    s = requests.Session()
    url = f"{endpoint}/get-cost"
    acl = {"x-amz-acl": "public-read"}
    s.put(url, headers=acl).raise_for_status()
    objects = {"10 bytes": b"x" * 10, "115000 bytes": os.urandom(115_000)}
    for name, body in objects.items():
        s.put(f"{url}/{len(body)}", data=body, headers=acl).raise_for_status()
    for _ in range(2):
        for name, body in objects.items():
            c0, t0 = cpu_s(pid), time.time()
            for _ in range(300):
                s.get(f"{url}/{len(body)}").raise_for_status()
            print(f"{name}: moto CPU {(cpu_s(pid) - c0) / 300 * 1000:.2f} ms per GET, "
                  f"wall {(time.time() - t0) / 300 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
