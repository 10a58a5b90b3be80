"""scripts/bench's driver: the 1M-node backfill (migration 007) on each server, side by side.

Variants, each on freshly loaded data: the guide's loop (Python neo4j driver), a bare loop of
sluice's own batch statements (EngineBench, no job store), `sluice run 007` (release build), the
daemon path (`sluice enqueue` to a `sluice daemon` started here on its own configuration and job
store schema) and, where the server accepts it, `CALL { ... } IN TRANSACTIONS OF 10000 ROWS`.
--nodes takes a list: every size runs every variant, and a scaling table compares the guide's loop
with sluice per size. With --spike: EXPLAIN and read-only timing of an id-list slice against an
id-range slice at the start, middle and end of the id space. Writes results.json, results.md and,
when matplotlib imports, batches-<server>-<nodes>.png into --out.
"""
import argparse, base64, json, os, random, re, signal, socket, statistics, subprocess, sys, threading, time
import urllib.error, urllib.request

from neo4j import GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

GUIDE = ("MATCH (p:Project) WHERE p.normalizedName IS NULL WITH p LIMIT 10000 "
         "SET p.normalizedName = toLower(trim(p.name)) RETURN count(p) AS c")
BATCH = 10_000
GUIDE_NAME, BARE_NAME, RUN_NAME, DAEMON_NAME = (
    "guide loop (Python driver)", "bare loop (sluice's batch statements)", "sluice run 007",
    "daemon (enqueue + daemon)")
VARIANTS = ("guide", "bare", "run", "daemon", "call")


def server_settings(name):
    env = os.environ
    prefix = "SLUICE_TEST_" + name.upper()
    user = env.get(prefix + "_USER")
    return {
        "name": name,
        "url": env[prefix + "_URL"],
        "user": user,
        "password": env.get(prefix + "_PASSWORD", ""),
        "database": env.get(prefix + "_DATABASE") or None,
        "redis_port": env.get(prefix + "_REDIS_PORT"),
        "http_url": env.get(prefix + "_HTTP_URL"),
    }


# Every driver ever opened, kept to the end: a Bolt connection the garbage collector frees sends
# GOODBYE, after which FalkorDB hangs the next new connection (sluice's, 60 s later a failed run).
DRIVERS = []


class Graph:
    """One Python-driver session on a server; FalkorDB is never sent GOODBYE (it hangs the next
    connection), so its driver is left open at exit."""

    def __init__(self, settings):
        self.settings = settings
        self.reconnect()

    def reconnect(self):
        auth = (self.settings["user"], self.settings["password"]) if self.settings["user"] else None
        self.driver = GraphDatabase.driver(self.settings["url"], auth=auth)
        self.session = self.driver.session(database=self.settings["database"])
        DRIVERS.append((self.driver, self.session))

    def run(self, query, **parameters):
        return list(self.session.run(query, parameters))

    def value(self, query, **parameters):
        rows = self.run(query, **parameters)
        return rows[0][0] if rows else None

    def close(self):
        if self.settings["name"] != "falkordb":
            self.session.close()
            self.driver.close()


def load(graph, nodes, redis_port=None):
    """Deletes every Project and SluiceJob node, and the graph's migration history (Migration, Metadata: each variant
    is a job store of its own, which pre-flight's history check would refuse where another applied 007), then creates
    `nodes` Projects whose names need
    normalizing ('  Project 17 ALPHA  '). With FalkorDB's Redis port it deletes the whole graph instead
    (GRAPH.DELETE), so that every load gets the same ids, from 0: FalkorDB hands a deleted node's id
    to the next node created, and 250,000 nodes loaded after 4,000,000 were deleted had ids spread over
    0..4,000,000, which planning reads window by window (3.5-7.5 s of planning instead of 0.2 s)."""
    started = time.perf_counter()
    if redis_port:
        answer = resp(redis_port, "GRAPH.DELETE", "falkordb")
        if answer.startswith("-") and "empty key" not in answer and "Invalid graph" not in answer:
            raise SystemExit(f"bench: GRAPH.DELETE falkordb: {answer.strip()}")
    for label in ("Project", "SluiceJob", "Migration", "Metadata"):
        while (graph.value(f"MATCH (n:{label}) WITH n LIMIT 100000 DETACH DELETE n RETURN count(*)") or 0) > 0:
            pass
    for low in range(1, nodes + 1, 100_000):
        high = min(nodes, low + 99_999)
        graph.run("UNWIND range($low, $high) AS i CREATE (:Project {name: '  Project ' + toString(i) + "
                  "' ALPHA  ', status: 'active'})", low=low, high=high)
    return time.perf_counter() - started


class ArcadeCopy:
    """ArcadeDB's fresh data: loaded once (through Cypher, as `load`) into a database of the bench's own, kept as a
    backup on the server (`BACKUP DATABASE`) and restored from it before every other variant (`drop database`,
    `restore backup ... as`, over the HTTP API): every variant starts from the same files, with the same ids, in a
    second or two, where loading 250,000 nodes again took 100-130 s and a million 12.5 min. The database is
    `sluice_bench`, not the tests' (`sluice`), so a bench beside the suites neither deletes their nodes nor drops
    their types; it and its backup are removed at the end. Needs SLUICE_TEST_ARCADEDB_HTTP_URL."""

    DATABASE = "sluice_bench"

    def __init__(self, settings):
        if not settings["http_url"]:
            raise SystemExit("bench: arcadedb: SLUICE_TEST_ARCADEDB_HTTP_URL is not set (the bench restores its "
                             "data through the HTTP API)")
        self.settings, self.backup = settings, None
        token = base64.b64encode(f"{settings['user']}:{settings['password']}".encode()).decode()
        self.authorization = "Basic " + token
        self.remove()  # what a bench that failed left
        self.server(f"create database {self.DATABASE}")
        settings["database"] = self.DATABASE

    def post(self, path, body):
        request = urllib.request.Request(self.settings["http_url"] + path, data=json.dumps(body).encode(),
                                         headers={"Authorization": self.authorization,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=3600) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise SystemExit(f"bench: arcadedb {body}: HTTP {error.code}: {error.read().decode(errors='replace')[:500]}")

    def server(self, command):
        return self.post("/api/v1/server", {"command": command})

    def drop(self):
        if self.DATABASE in self.server("list databases")["result"]:
            self.server(f"drop database {self.DATABASE}")

    def fresh(self, graph, nodes):
        """Seconds to a freshly loaded database: the first time loaded and backed up, then restored."""
        started = time.perf_counter()
        if self.backup is None:
            load(graph, nodes)
            answer = self.post(f"/api/v1/command/{self.DATABASE}", {"language": "sql", "command": "BACKUP DATABASE"})
            self.backup = answer["result"][0]["backupFile"]
        else:
            graph.close()  # its session's database is about to be dropped
            self.drop()
            self.server(f"restore backup {self.DATABASE} {self.backup} as {self.DATABASE}")
            graph.reconnect()
        return time.perf_counter() - started

    def remove(self):
        """Drops the database and deletes its backups."""
        self.drop()
        for backup in self.server(f"list backups {self.DATABASE}").get("backups", []):
            self.server(f"delete backup {self.DATABASE} {backup['fileName']}")


def timed_verify(graph, query):
    """Seconds the migration's verify query takes alone on the data a variant left: what sluice runs after its last
    batch and the bare loop does not, so the notes can tell it from bookkeeping. Once, as sluice runs it, on a session
    already connected (sluice's connection is, by then)."""
    graph.value("RETURN 1")
    start = time.perf_counter()
    graph.value(query)
    return time.perf_counter() - start


def check(graph, nodes):
    left = graph.value("MATCH (p:Project) WHERE p.normalizedName IS NULL RETURN count(p)")
    right = graph.value("MATCH (p:Project) WHERE p.normalizedName = toLower(trim(p.name)) RETURN count(p)")
    return left == 0 and right == nodes, f"{left} left undone, {right} of {nodes} right"


def summary(name, wall, nodes, batches, items=None, planning=None, usage=None, peak_rss_kb=None, note=""):
    """`items`: how many the variant says it changed (None: it does not say; the graph is checked either way)."""
    ordered = sorted(batches)
    first, last = batches[:10], batches[-10:]
    result = {
        "variant": name, "items": items, "wall_s": wall, "items_per_s": nodes / wall if wall else 0, "batches": len(batches),
        "batch_ms": batches, "p50_ms": ordered[len(ordered) // 2] if ordered else None,
        "p99_ms": ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)] if ordered else None,
        "first10_ms": statistics.mean(first) if first else None, "last10_ms": statistics.mean(last) if last else None,
        "planning_s": planning, "note": note,
    }
    if batches:
        result["batches_s"] = sum(batches) / 1000
        if planning is not None:
            # What is neither planning nor a batch: gaps between batches, and the work after the last one (sluice's
            # catch-up re-plan and the migration's verify query, each a scan of the label where ids cannot be sought).
            result["other_s"] = max(0.0, wall - planning - result["batches_s"])
    if first and last:
        result["last_over_first"] = result["last10_ms"] / result["first10_ms"]
        # Medians too: one garbage-collection pause among ten batches moves a mean by 10-30% on ArcadeDB.
        result["last_over_first_median"] = statistics.median(last) / statistics.median(first)
    if peak_rss_kb:
        result["peak_rss_mb"] = peak_rss_kb / 1024
    if usage:
        result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


class PeakRSS:
    """A child's peak resident set: its VmHWM in /proc, read every 20 ms from its exec to its exit. Not the
    ru_maxrss of wait4: Linux folds the memory the child had before its exec, this Python process's (about 67 MB
    with the driver loaded), into that, so every sluice variant read the same 67 MB. `sluice run`, the daemon
    and EngineBench are measured alike."""

    def __init__(self, pid):
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def read(self):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        except OSError:  # gone (a zombie has no VmHWM line either: its last reading stands)
            pass

    def watch(self):
        while not self.done.wait(0.02):
            self.read()

    def stop(self):
        """The peak in kB; call it before reaping the child, so that its pid cannot be someone else's."""
        self.done.set()
        self.thread.join()
        self.read()
        return self.peak_kb or None


def run_child(command, env, on_line=None):
    """Runs a child to its end; returns (status, wall seconds, rusage, peak RSS kB, stdout lines, stderr)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(child.pid)
    lines = []
    for line in child.stdout:
        lines.append((time.perf_counter() - started, line))
    errors = child.stderr.read()
    peak_kb = peak.stop()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - started, usage, peak_kb, lines, errors


def guide_loop(graph, nodes, limit=None):
    """`limit`: seconds after which the loop is stopped (its time is then a lower bound: `stopped` says so)."""
    batches, items, started = [], 0, time.perf_counter()
    while True:
        start = time.perf_counter()
        count = graph.value(GUIDE)
        batches.append((time.perf_counter() - start) * 1000)
        items += count
        if count < BATCH:
            break
        if limit is not None and time.perf_counter() - started > limit:
            wall = time.perf_counter() - started
            result = summary(GUIDE_NAME, wall, nodes, batches, items=items,
                             note=f"stopped after {limit:,.0f} s (--guide-limit) with {items:,} of {nodes:,} items "
                                  f"done: its time and the ratios against it are lower bounds")
            result["items_per_s"] = items / wall
            result["stopped"] = True
            return result
    return summary(GUIDE_NAME, time.perf_counter() - started, nodes, batches, items=items,
                   note="auto-commit `IS NULL ... LIMIT 10000` until short; rescans what is done")


def bolt_env(settings):
    env = dict(os.environ)
    env.update({"BENCH_URL": settings["url"], "BENCH_USER": settings["user"] or "",
                "BENCH_PASSWORD": settings["password"], "BENCH_DATABASE": settings["database"] or "",
                "BENCH_GOODBYE": "0" if settings["name"] == "falkordb" else "1"})
    return env


def bare_loop(settings, nodes, args):
    env = bolt_env(settings)
    env.update({"BENCH_MIGRATIONS": args.migrations, "BENCH_VERSION": "007", "BENCH_BATCH": str(BATCH)})
    status, wall, usage, peak_kb, lines, errors = run_child([args.engine_bench], env)
    if status != 0:
        raise SystemExit(f"bench: EngineBench failed on {settings['name']}: {errors.strip()}")
    result = json.loads(lines[-1][1])
    found = summary(BARE_NAME, wall, nodes, result["batches_ms"], items=result["changed"],
                    planning=result["planning_ms"] / 1000, usage=usage, peak_rss_kb=peak_kb,
                    note=f"{result['addressing']}, no job store")
    found["verify_query"] = result["verify"]  # as sluice's catalog parsed it, for `timed_verify`
    return found


def drop_schema(schema):
    subprocess.run(["psql", "-X", "-q", "-c", "SET client_min_messages = warning", "-c",
                    f"DROP SCHEMA IF EXISTS {schema} CASCADE"], check=False)


def sluice_env(settings):
    env = dict(os.environ)
    env.update({"SLUICE_BOLT_URL": settings["url"], "SLUICE_BOLT_DATABASE": settings["database"] or ""})
    if settings["user"]:
        env.update({"SLUICE_BOLT_USER": settings["user"], "SLUICE_BOLT_PASSWORD": settings["password"]})
    return env


def create_store(args, settings, env, schema):
    """Creates the job store first, untimed, as an operator's exists before their jobs: `sluice run` and the daemon
    are timed as jobs, not as installations."""
    created = subprocess.run([args.sluice, "db", "migrate", "--schema", schema], env=env, capture_output=True,
                             text=True)
    if created.returncode != 0:
        raise SystemExit(f"bench: sluice db migrate failed on {settings['name']}: {created.stderr.strip()}")


def sluice_run(settings, nodes, args):
    schema = f"bench_{random.getrandbits(40):x}"
    env = sluice_env(settings)
    create_store(args, settings, env, schema)
    command = [args.sluice, "run", "007", "--json", "--no-throttle", "--migrations", args.migrations, "--schema", schema]
    status, wall, usage, peak_kb, lines, errors = run_child(command, env)
    drop_schema(schema)
    if status != 0:
        raise SystemExit(f"bench: sluice run failed on {settings['name']}: {errors.strip()}")
    events = [(at, json.loads(line)) for at, line in lines if line.startswith("{")]
    batches = [event["batch_ms"] for _, event in events if event["event"] == "batch"]
    first = next((at - event["batch_ms"] / 1000 for at, event in events if event["event"] == "batch"), None)
    items = next((event["changed"] for _, event in events if event["event"] == "succeeded"), None)
    return summary(RUN_NAME, wall, nodes, batches, items=items, planning=first, usage=usage, peak_rss_kb=peak_kb,
                   note=f"{args.build}, unthrottled, job store created before; planning = start to first batch "
                        "(connect, probe, plan)")


# The daemon with a throttle that never acts: a latency target of an hour (no cut, no pause), every batch at
# 10,000, one probe an hour; the daemon has no --no-throttle, this is the closest configuration.
DAEMON_CONFIG = """[postgres]
schema = "{schema}"

[migrations]
folder = "{migrations}"

[daemon]
worker = "bench-{schema}"
poll_interval = "1s"
log_level = "info"

[throttle]
target_p99 = "1h"
critical_p99 = "2h"
min_batch_size = {batch}
max_batch_size = {batch}
probe_interval = "1h"
"""


def daemon_run(settings, nodes, args):
    """`sluice daemon` started on its own configuration and schema and idle, then timed from `sluice
    enqueue 007` to its "job succeeded" line; per-batch times from its "batch committed" lines; SIGTERM
    at the end; CPU time and peak RSS of the daemon process alone, as for `sluice run`."""
    schema = f"bench_{random.getrandbits(40):x}"
    config = os.path.join(args.out, f"daemon-{schema}.toml")
    with open(config, "w") as handle:
        handle.write(DAEMON_CONFIG.format(schema=schema, migrations=args.migrations, batch=BATCH))
    env = sluice_env(settings)
    # The daemon is idle, its job store open and its first claim made, before the enqueue: an operator's daemon is
    # running long before their jobs.
    create_store(args, settings, env, schema)
    daemon = subprocess.Popen([args.sluice, "daemon", "--config", config], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(daemon.pid)
    lines, started, ended = [], threading.Event(), threading.Event()

    def read():
        for line in daemon.stderr:
            lines.append((time.perf_counter(), line))
            if "idle, waiting for jobs" in line:
                started.set()
            if "job succeeded" in line or "job failed" in line:
                ended.set()
        started.set()
        ended.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not started.wait(120) or daemon.poll() is not None:
            raise SystemExit(f"bench: sluice daemon did not start or become idle on {settings['name']}: "
                             + "".join(l for _, l in lines)[-2000:])
        begin = time.perf_counter()
        enqueue = subprocess.run([args.sluice, "enqueue", "007", "--config", config, "--batch-size", str(BATCH)],
                                 env=env, capture_output=True, text=True)
        if enqueue.returncode != 0:
            raise SystemExit(f"bench: sluice enqueue failed on {settings['name']}: {enqueue.stderr.strip()}")
        if not ended.wait(args.daemon_timeout):
            raise SystemExit(f"bench: the daemon's job did not end within {args.daemon_timeout} s on "
                             f"{settings['name']}: " + "".join(l for _, l in lines)[-2000:])
        wall = time.perf_counter() - begin
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        reader.join(60)  # to the end of its stderr: it has exited
        peak_kb = peak.stop()
        _, status, usage = os.wait4(daemon.pid, 0)
        drop_schema(schema)
        os.remove(config)
    if not any("job succeeded" in line for _, line in lines):
        raise SystemExit(f"bench: the daemon's job did not succeed on {settings['name']}: "
                         + "".join(l for _, l in lines)[-2000:])
    committed = [(at, line) for at, line in lines if "batch committed" in line]
    batches = [float(line.split("latency_ms=", 1)[1].split()[0]) for _, line in committed]
    planning = committed[0][0] - begin - batches[0] / 1000 if committed else None
    changed = next((re.search(r"job succeeded: ([\d,]+) items changed", line) for _, line in lines
                    if "job succeeded:" in line), None)
    items = int(changed.group(1).replace(",", "")) if changed else None
    return summary(DAEMON_NAME, wall, nodes, batches, items=items, planning=planning, usage=usage, peak_rss_kb=peak_kb,
                   note=f"{args.build}, throttle configured never to act; enqueue to \"job succeeded\"; "
                        "planning = enqueue to first batch; per-batch ms whole (the daemon's log, truncated: Σ batches "
                        "low and other s high by about 0.5 ms a batch)")


CALL_IN_TRANSACTIONS = ("MATCH (p:Project) WHERE p.name IS NOT NULL AND p.normalizedName IS NULL "
                        "CALL { WITH p SET p.normalizedName = toLower(trim(p.name)) } "
                        f"IN TRANSACTIONS OF {BATCH} ROWS")


def call_in_transactions_supported(graph):
    """Whether the server runs a write in `CALL { ... } IN TRANSACTIONS` (FalkorDB answers "unknown error").
    Only the server's refusal counts; a connection that failed (FalkorDB's first one after a client's
    GOODBYE times out) is tried again, twice."""
    for attempt in range(3):
        try:
            graph.run("UNWIND range(1, 3) AS x CALL { WITH x CREATE (:SluiceBenchProbe {x: x}) } "
                      "IN TRANSACTIONS OF 2 ROWS")
            created = graph.value("MATCH (n:SluiceBenchProbe) RETURN count(n)")
            graph.run("MATCH (n:SluiceBenchProbe) DELETE n")
            return created == 3, f"the probe created {created} of 3 nodes"
        except Neo4jError as error:
            return False, f"{type(error).__name__}: {error.message}"
        except ServiceUnavailable:
            if attempt == 2:
                raise
            graph.reconnect()


def call_in_transactions(graph, nodes):
    """The statement's wall time, or the server's error in place of a number: ArcadeDB (512 MB heap) runs out of
    memory on it at a million nodes, answering an error or dropping the connection."""
    started = time.perf_counter()
    try:
        graph.run(CALL_IN_TRANSACTIONS)
    except (Neo4jError, ServiceUnavailable) as error:
        graph.reconnect()
        message = error.message if isinstance(error, Neo4jError) else str(error)
        return {"variant": "CALL { ... } IN TRANSACTIONS OF 10000 ROWS",
                "skipped": f"failed after {time.perf_counter() - started:.1f} s: {type(error).__name__}: "
                           f"{(message or '')[:200]}"}
    return summary("CALL { ... } IN TRANSACTIONS OF 10000 ROWS", time.perf_counter() - started, nodes, [],
                   note="one auto-commit statement (Python driver); not resumable: a failure or restart "
                        "starts over with a rescan; no per-batch times")


def resp(port, *words):
    """One RESP command to FalkorDB's Redis port (there is no redis-cli here)."""
    with socket.create_connection(("127.0.0.1", int(port))) as connection:
        payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        connection.sendall(payload.encode())
        data = b""
        while True:
            chunk = connection.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            if _complete(data):
                break
        return data.decode(errors="replace")


def _complete(data):
    try:
        _parse(data, 0)
        return True
    except (IndexError, ValueError):
        return False


def _parse(data, at):
    kind, end = data[at:at + 1], data.index(b"\r\n", at)
    head = data[at + 1:end]
    if kind in (b"+", b"-", b":"):
        return end + 2
    if kind == b"$":
        length = int(head)
        if length < 0:
            return end + 2
        if len(data) < end + 2 + length + 2:
            raise IndexError
        return end + 2 + length + 2
    if kind == b"*":
        at = end + 2
        for _ in range(max(0, int(head))):
            at = _parse(data, at)
        return at
    raise IndexError


def spike(graph, settings, nodes):
    """EXPLAIN and read-only timing of one slice of BATCH ids as a list and as a range, at the start,
    the middle and the end of the planned ids (a flat form costs the same at each)."""
    ids = [r[0] for r in graph.run("MATCH (p:Project) RETURN id(p) AS i ORDER BY i")]
    rows, explain = [], {}
    predicate = "p.name IS NOT NULL AND p.normalizedName IS NULL"
    for where, offset in (("start", 0), ("middle", len(ids) // 2), ("end", len(ids) - BATCH)):
        chunk = ids[offset:offset + BATCH]
        forms = {
            "id list": (f"UNWIND $ids AS i MATCH (p:Project) WHERE id(p) = i AND ({predicate}) RETURN count(p)",
                        {"ids": chunk}),
            "id range": (f"MATCH (p:Project) WHERE id(p) >= $low AND id(p) <= $high AND ({predicate}) "
                         "RETURN count(p)", {"low": chunk[0], "high": chunk[-1]}),
        }
        for form, (query, parameters) in forms.items():
            falkor = settings["name"] == "falkordb"
            if falkor:  # parameters are pasted into the query text there: send the values as text, over RESP
                text = query.replace("$ids", json.dumps(chunk)).replace("$low", str(chunk[0])).replace(
                    "$high", str(chunk[-1]))
                if where == "start":
                    answer = resp(settings["redis_port"], "GRAPH.EXPLAIN", "falkordb", text)
                    explain[form] = "\n".join(l for l in answer.splitlines() if l and l[0] not in "*$")
                timings = []
                for _ in range(3):
                    start = time.perf_counter()
                    answer = resp(settings["redis_port"], "GRAPH.QUERY", "falkordb", text)
                    timings.append((time.perf_counter() - start) * 1000)
                counted = answer
            else:
                if where == "start":
                    summary_ = graph.session.run("EXPLAIN " + query, parameters).consume()
                    explain[form] = json.dumps(summary_.plan, default=str) if summary_.plan else "no plan returned"
                timings = []
                for _ in range(3):
                    start = time.perf_counter()
                    counted = graph.value(query, **parameters)
                    timings.append((time.perf_counter() - start) * 1000)
            rows.append({"form": form, "slice": where, "median_ms": statistics.median(timings),
                         "counted": counted if not isinstance(counted, str) else None})
    return {"rows": rows, "explain": explain}


def markdown(results):
    lines = [f"# scripts/bench: batches of {BATCH:,}, commit {results['commit']}\n"]
    for run in results["runs"]:
        nodes = run["nodes"]
        for server, variants in run["servers"].items():
            lines.append(f"## {server}, {nodes:,} Project nodes\n")
            lines.append("| variant | items | wall s | items/s | planning s | Σ batches s | other s | batches | p50 ms | "
                         "p99 ms | first 10 ms | last 10 ms | last/first | last/first, medians | peak RSS MB | CPU s | note |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for v in variants["variants"]:
                if v.get("skipped"):
                    lines.append(f"| {v['variant']} | | | | | | | | | | | | | | | | {v['skipped']} |")
                    continue
                f = lambda key, fmt="{:,.1f}": fmt.format(v[key]) if v.get(key) is not None else ""
                lines.append(f"| {v['variant']} | {f('items', '{:,}')} | {f('wall_s', '{:.2f}')} | {f('items_per_s', '{:,.0f}')} | "
                             f"{f('planning_s', '{:.2f}')} | {f('batches_s', '{:.2f}')} | "
                             f"{f('other_s', '{:.2f}')} | {v['batches'] or ''} | {f('p50_ms')} | {f('p99_ms')} | "
                             f"{f('first10_ms')} | {f('last10_ms')} | {f('last_over_first', '{:.2f}')} | "
                             f"{f('last_over_first_median', '{:.2f}')} | "
                             f"{f('peak_rss_mb')} | {f('cpu_s', '{:.2f}')} | {v['note']} |")
            ratios = variants.get("ratios", {})
            verifies = [v["verify_s"] for v in variants["variants"] if v.get("verify_s") is not None]
            if verifies:
                lines.append(f"\nThe migration's verify query (sluice runs it after the last batch, the bare loop does "
                             f"not), timed alone after each bare loop: {', '.join(f'{s:.2f}' for s in verifies)} s")
            if ratios:
                lines.append("")
                for key, value in ratios.items():
                    lines.append(f"- {key}: **{value:.2f}**")
            if variants.get("spike"):
                lines.append("\nAddressing spike (read-only `count(p)` of one slice, median of 3):\n")
                lines.append("| form | slice | median ms |")
                lines.append("|---|---|---:|")
                for row in variants["spike"]["rows"]:
                    lines.append(f"| {row['form']} | {row['slice']} | {row['median_ms']:.1f} |")
                for form, plan in variants["spike"]["explain"].items():
                    lines.append(f"\nEXPLAIN, {form}:\n```\n{plan[:1500]}\n```")
            lines.append("")
    if len(results["runs"]) > 1:
        lines.append("## Scaling: wall time (planning included) against the guide's loop\n")
        lines.append("| server | nodes | guide's loop s | sluice run s | guide / run | daemon s | guide / daemon | "
                     "guide last/first | run last/first |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        servers = sorted({name for run in results["runs"] for name in run["servers"]})
        for server in servers:
            for run in results["runs"]:
                found = best_of(run["servers"].get(server, {}).get("variants", []))
                guide, ours, daemon = found.get(GUIDE_NAME), found.get(RUN_NAME), found.get(DAEMON_NAME)
                cell = lambda v, key, fmt: fmt.format(v[key]) if v and v.get(key) is not None else ""
                at_least = "≥ " if guide and guide.get("stopped") else ""
                ratio = lambda v: f"**{at_least}{guide['wall_s'] / v['wall_s']:.2f}**" if guide and v else ""
                lines.append(f"| {server} | {run['nodes']:,} | {at_least}{cell(guide, 'wall_s', '{:.1f}')} | "
                             f"{cell(ours, 'wall_s', '{:.1f}')} | {ratio(ours)} | {cell(daemon, 'wall_s', '{:.1f}')} | "
                             f"{ratio(daemon)} | {cell(guide, 'last_over_first', '{:.2f}')} | "
                             f"{cell(ours, 'last_over_first', '{:.2f}')} |")
        lines.append("")
    return "\n".join(lines)


def plot(results, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    for run in results["runs"]:
        for server, variants in run["servers"].items():
            figure, axes = plt.subplots(figsize=(9, 5))
            for v in variants["variants"]:
                if v.get("batch_ms"):
                    axes.plot(range(1, len(v["batch_ms"]) + 1), v["batch_ms"], label=v["variant"])
            axes.set_xlabel("batch")
            axes.set_ylabel("ms")
            axes.set_title(f"{server}, {run['nodes']:,} nodes: per-batch latency")
            axes.legend()
            figure.savefig(os.path.join(out, f"batches-{server}-{run['nodes']}.png"), dpi=100)
            plt.close(figure)
    return True


def best_of(variants):
    """Each variant's shortest run when it ran more than once (`--variants bare,run,bare,run`): the machine's
    noise only adds time (FalkorDB's batches of 10,000 take ~22 or ~38 ms by the host's moment, switching between
    runs and within them), so the ratios compare each variant at its best."""
    found = {}
    for v in variants:
        if not v.get("skipped") and (v["variant"] not in found or v["wall_s"] < found[v["variant"]]["wall_s"]):
            found[v["variant"]] = v
    return found


# A variant run this many times or more also gets medians: of its wall times, and of its flatness.
MEDIAN_RUNS = 3


def median_walls(variants):
    """Each variant's median wall time when it ran three times or more: FalkorDB's batches switch between two speeds
    by the host's moment (a bare loop of a million: 2.04-2.94 s in five runs), so one lucky run can decide a ratio
    of shortest runs; the medians say what a typical run gives."""
    walls = {}
    for v in variants:
        if not v.get("skipped"):
            walls.setdefault(v["variant"], []).append(v["wall_s"])
    return {name: statistics.median(found) for name, found in walls.items() if len(found) >= MEDIAN_RUNS}


def schedule(variants, rounds):
    """The variants in the order they run: as given for one round; for more, the guide's loop once (it is the slow
    one, and quadratic), then the others `rounds` times, each round shifted by one from the one before, so that a
    server slowing down over the bench weighs on each variant alike."""
    if rounds == 1:
        return list(variants)
    repeated = [label for label in variants if label != "guide"]
    order = [label for label in variants if label == "guide"][:1]
    for number in range(rounds):
        shift = number % len(repeated) if repeated else 0
        order += repeated[shift:] + repeated[:shift]
    return order


def bench_server(name, nodes, args, save):
    """`save(entry)` after every variant, so a bench that fails later keeps what it measured."""
    settings = server_settings(name)
    copy = ArcadeCopy(settings) if name == "arcadedb" else None
    reset = settings["redis_port"] if name == "falkordb" and args.delete_falkordb_graph else None
    fresh = copy.fresh if copy else lambda graph, nodes: load(graph, nodes, reset)
    graph = Graph(settings)
    supported, why = call_in_transactions_supported(graph)
    runs = {"guide": lambda: guide_loop(graph, nodes, args.guide_limit), "bare": lambda: bare_loop(settings, nodes, args),
            "run": lambda: sluice_run(settings, nodes, args), "daemon": lambda: daemon_run(settings, nodes, args),
            "call": lambda: call_in_transactions(graph, nodes)}
    variants = []
    if args.warm_up:
        # The first variant would otherwise pay for the server's cold caches and (ArcadeDB's JVM) its
        # just-in-time compilation: one untimed bare loop on fresh data first, so every variant meets it warm.
        fresh(graph, nodes)
        warm = bare_loop(settings, nodes, args)
        print(f"bench: {name}: warmed up (untimed bare loop: {warm['wall_s']:.2f} s)", file=sys.stderr, flush=True)
    for label in schedule(args.variants, args.rounds):
        if label == "call" and not supported:
            variants.append({"variant": "CALL { ... } IN TRANSACTIONS OF 10000 ROWS",
                             "skipped": f"not supported by this server ({why})"})
            continue
        loading = fresh(graph, nodes)
        print(f"bench: {name}: loaded {nodes:,} nodes in {loading:.1f} s; running {label}",
              file=sys.stderr, flush=True)
        result = runs[label]()
        result["fresh_data_s"] = loading
        if result.get("verify_query"):
            result["verify_s"] = timed_verify(graph, result["verify_query"])
        if result.get("skipped"):
            print(f"bench: {name}: {label}: {result['skipped']}", file=sys.stderr, flush=True)
            variants.append(result)
            save({"variants": variants})
            continue
        ok, why_not = check(graph, nodes)
        if not ok and not result.get("stopped"):
            raise SystemExit(f"bench: {name} {label}: wrong result: {why_not}")
        print(f"bench: {name}: {label}: {result['wall_s']:.2f} s", file=sys.stderr, flush=True)
        variants.append(result)
        save({"variants": variants})
    found, medians = best_of(variants), median_walls(variants)
    guide, bare = found.get(GUIDE_NAME), found.get(BARE_NAME)
    verifies = [v["verify_s"] for v in variants if v.get("verify_s") is not None]
    ratios = {}
    for label, ours in (("sluice run", found.get(RUN_NAME)), ("daemon", found.get(DAEMON_NAME))):
        if not ours:
            continue
        own = [v for v in variants if v["variant"] == ours["variant"]]
        if guide:
            bound = ", at least: the guide's loop was stopped" if guide.get("stopped") else ""
            ratios[f"{label} over the guide's loop (speed-up, wall time incl. planning{bound})"] = (
                guide["wall_s"] / ours["wall_s"])
        if bare:
            ratios[f"{label} items/s over the bare loop's"] = ours["items_per_s"] / bare["items_per_s"]
            if bare.get("verify_s") is not None:
                ratios[f"{label} items/s over the bare loop's followed by the verify query"] = (
                    (bare["wall_s"] + bare["verify_s"]) / ours["wall_s"])
            if ours["variant"] in medians and BARE_NAME in medians:
                ratios[f"{label} items/s over the bare loop's, medians of {len(own)} runs"] = (
                    medians[BARE_NAME] / medians[ours["variant"]])
                if verifies:
                    ratios[f"{label} items/s over the bare loop's followed by the verify query, medians"] = (
                        (medians[BARE_NAME] + statistics.median(verifies)) / medians[ours["variant"]])
        ratios[f"{label} last 10 / first 10 batches"] = ours.get("last_over_first", 0)
        ratios[f"{label} last 10 / first 10 batches, medians"] = ours.get("last_over_first_median", 0)
        # The shortest run is the one likeliest to have met FalkorDB's fast batches for a while, and so to have
        # first and last batches of two speeds (one of 25 batches: 14-17 ms, then 24-29 ms; 1.41): the middle of
        # all the runs' ratios says more about flatness than the shortest run's.
        flatness = [v["last_over_first"] for v in own if v.get("last_over_first") is not None]
        if len(flatness) >= MEDIAN_RUNS:
            ratios[f"{label} last 10 / first 10 batches, median of its {len(flatness)} runs"] = (
                statistics.median(flatness))
    if guide:
        ratios["guide's loop last 10 / first 10 batches"] = guide.get("last_over_first", 0)
        ratios["guide's loop last 10 / first 10 batches, medians"] = guide.get("last_over_first_median", 0)
    entry = {"variants": variants, "ratios": ratios}
    if args.spike:
        fresh(graph, nodes)
        print(f"bench: {name}: addressing spike", file=sys.stderr, flush=True)
        entry["spike"] = spike(graph, settings, nodes)
    graph.run("MATCH (n:Project) WITH n LIMIT 1 RETURN count(n)")
    graph.close()
    if copy:
        copy.remove()
    return entry


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=lambda text: [int(n) for n in text.split(",")], default=[1_000_000])
    parser.add_argument("--server", action="append", required=True)
    parser.add_argument("--variants", type=lambda text: text.split(","), default=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--engine-bench", required=True)
    parser.add_argument("--migrations", required=True)
    parser.add_argument("--commit", default="")
    parser.add_argument("--build", default="release build", help="which build of sluice ran, for the notes")
    parser.add_argument("--daemon-timeout", type=float, default=7200)
    parser.add_argument("--spike", action="store_true")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false")
    parser.add_argument("--guide-limit", type=float, default=None)
    parser.add_argument("--delete-falkordb-graph", action="store_true",
                        help="empty FalkorDB's graph with GRAPH.DELETE on its Redis port before each load")
    args = parser.parse_args()
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"bench: unknown variant {', '.join(sorted(unknown))} (known: {', '.join(VARIANTS)})")
    os.makedirs(args.out, exist_ok=True)
    results = {"nodes": args.nodes, "batch": BATCH, "commit": args.commit,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": []}
    for nodes in args.nodes:
        run = {"nodes": nodes, "servers": {}}
        results["runs"].append(run)
        for name in args.server:
            def save(entry, name=name):  # kept as it grows
                run["servers"][name] = entry
                with open(os.path.join(args.out, "results.json"), "w") as handle:
                    json.dump(results, handle, indent=1)
            save(bench_server(name, nodes, args, save))
    text = markdown(results)
    with open(os.path.join(args.out, "results.md"), "w") as handle:
        handle.write(text)
    print(text)
    if plot(results, args.out):
        print(f"bench: plots in {args.out}/batches-*.png", file=sys.stderr)
    # The FalkorDB driver is left open on purpose (no GOODBYE): end without closing it.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except SystemExit as failure:  # leave without closing the drivers (no GOODBYE to FalkorDB)
        print(failure, file=sys.stderr, flush=True)
        os._exit(failure.code if isinstance(failure.code, int) else 1)
