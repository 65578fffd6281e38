#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py SOCKET COMMAND [JSON-ARGS] [--event NAME] [--timeout SEC]

One QMP command on QEMU's monitor socket (tools/vm/inner-guest --monitor),
then optionally wait for an event (e.g. device_del and DEVICE_DELETED: QEMU
sends it once the guest has given the device up). Prints the reply and the
event as JSON lines. Exit 0 when the command succeeded (and the event came
within the timeout), 1 otherwise.
"""
import json
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    event, timeout = None, 60.0
    if "--event" in args:
        i = args.index("--event")
        event = args[i + 1]
        del args[i:i + 2]
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    path, cmd = args[0], args[1]
    cmd_args = json.loads(args[2]) if len(args) == 3 else {}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rw")
    deadline = time.monotonic() + timeout

    def recv():
        s.settimeout(max(0.1, deadline - time.monotonic()))
        line = f.readline()
        if not line:
            raise EOFError("QEMU closed the monitor")
        return json.loads(line)

    def send(name, arguments=None):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        f.write(json.dumps(msg) + "\n")
        f.flush()
        while True:
            m = recv()
            if "return" in m or "error" in m:
                return m
            if event and m.get("event") == event:
                seen.append(m)

    seen = []
    recv()  # the greeting
    if "error" in send("qmp_capabilities"):
        return 1
    reply = send(cmd, cmd_args)
    print(json.dumps(reply))
    if "error" in reply:
        return 1
    try:
        while event and not seen:
            m = recv()
            if m.get("event") == event:
                seen.append(m)
    except (socket.timeout, EOFError) as e:
        print(f"no {event} within {timeout:g}s: {e or 'timeout'}")
        return 1
    for m in seen:
        print(json.dumps(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
