"""A competing load for throttle tests and benchmarks: an application's heavy reads
(full scans with aggregations) on their own connections, until SIGTERM or SIGINT.

    SLUICE_LOAD_PASSWORD=... python graph-load.py URL USER DATABASE LABEL [THREADS] [THINK_MS]

Each of THREADS threads (default 2) runs `MATCH (n:LABEL) ... RETURN count, sum`
over every LABEL node, then waits THINK_MS (default 0) before the next.
Prints one line when the load starts ("load: started") and, when it stops,
how many queries it ran ("load: stopped after N queries"); with SLUICE_LOAD_EACH=1
also one line per query ("load: query N"), so a test can count the scans that ran
between two instants.
The password comes from SLUICE_LOAD_PASSWORD (never the command line, which
`ps` shows). It exits without closing the driver: a close sends GOODBYE, after which FalkorDB
hangs the next connection (BOLT-SERVERS.md).
"""
import os
import signal
import sys
import threading
import time

from neo4j import GraphDatabase

url, user, database, label = sys.argv[1:5]
password = os.environ.get("SLUICE_LOAD_PASSWORD", "")
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
each = os.environ.get("SLUICE_LOAD_EACH") == "1"
think = (int(sys.argv[6]) if len(sys.argv) > 6 else 0) / 1000
query = (
    f"MATCH (n:{label}) WITH n.i % 97 AS bucket, count(*) AS items, sum(n.i) AS total "
    "RETURN count(bucket) AS buckets, sum(items) AS items, max(total) AS top"
)
stop = threading.Event()
done = [0] * threads
driver = GraphDatabase.driver(url, auth=(user, password) if user else None)


def work(index):
    with driver.session(**({"database": database} if database else {})) as session:
        while not stop.is_set():
            session.run(query).consume()
            done[index] += 1
            if each:
                print(f"load: query {sum(done)}", flush=True)
            if think:
                stop.wait(think)


signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
# A parent that blocks these signals (a Swift test process does) passes its mask on.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
for worker in workers:
    worker.start()
print("load: started", flush=True)
while not stop.is_set():
    stop.wait(0.2)
deadline = time.monotonic() + 30
for worker in workers:
    worker.join(max(0, deadline - time.monotonic()))
print(f"load: stopped after {sum(done)} queries", flush=True)
os._exit(0)
