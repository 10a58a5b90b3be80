"""A competing load whose effect is known in advance: an application transaction
that holds ArcadeDB's lock on one type for HOLD_MS, lets go for GAP_MS, and
again, until SIGTERM or SIGINT.

    SLUICE_LOCK_PASSWORD=... python graph-lock.py HTTP_URL DATABASE TYPE HOLD_MS [GAP_MS] [USER]

ArcadeDB's `LOCK TYPE` (SQL, over its HTTP API in a session transaction) makes
every write to TYPE wait until the transaction ends, while reads and writes of
other types go on (measured: a write waited 3 s for the lock and ran 47 ms after
the rollback; a read and another type's write took 7 and 33 ms meanwhile). A
probe that writes a TYPE node therefore takes up to HOLD_MS however busy the
machine is: unlike CPU saturation, the latency the throttle sees is set here.

The password comes from SLUICE_LOCK_PASSWORD (never the command line, which
`ps` shows). Prints "lock: held" once the first lock is held and, when it
stops, "lock: stopped after N holds"; the transaction is rolled back on the
way out, so nothing it did stays.
"""
import base64
import json
import os
import signal
import sys
import threading
import urllib.request

http, database, type_name, hold_ms = sys.argv[1:5]
gap = (int(sys.argv[5]) if len(sys.argv) > 5 else 20) / 1000
user = sys.argv[6] if len(sys.argv) > 6 else "root"
hold = int(hold_ms) / 1000
password = os.environ.get("SLUICE_LOCK_PASSWORD", "")
authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
stop = threading.Event()


def post(path, body=None, session=None):
    request = urllib.request.Request(
        f"{http}/api/v1/{path}/{database}",
        data=json.dumps(body).encode() if body is not None else b"",
        method="POST",
    )
    request.add_header("Authorization", authorization)
    request.add_header("Content-Type", "application/json")
    if session:
        request.add_header("arcadedb-session-id", session)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.headers.get("arcadedb-session-id")


signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
# A parent that blocks these signals (a Swift test process does) passes its mask on.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
holds = 0
while not stop.is_set():
    session = post("begin")
    try:
        post("command", {"language": "sql", "command": f"LOCK TYPE `{type_name}`"}, session)
        if holds == 0:
            print("lock: held", flush=True)
        holds += 1
        stop.wait(hold)
    finally:
        post("rollback", session=session)
    stop.wait(gap)
print(f"lock: stopped after {holds} holds", flush=True)
