import Logging

/// The job store's tables, as versioned DDL steps applied in order, each recorded in `schema_version`.
///
/// Applied at start (by `sluice db migrate` or the daemon) in one transaction under a Postgres advisory lock keyed by
/// the schema name: two daemons starting together serialize, the second finds the work done. DDL is transactional
/// in Postgres, so a failed step leaves nothing half-made. Never edit a released step; add a new one.
public struct JobStoreSchema: Sendable, Equatable {
    /// The schema's name (validated: lower-case identifier, at most 40 bytes so derived names fit Postgres's 63).
    public let name: String
    /// The name quoted for SQL text.
    public let quoted: String

    /// Validates `name`.
    public init(_ name: String) throws(JobStoreError) {
        guard PostgresIdentifier.isValid(name), name.utf8.count <= 40 else { throw .invalidSchemaName(name) }
        self.name = name
        self.quoted = PostgresIdentifier.quote(name)
    }

    /// The NOTIFY channel for control commands and new jobs: `<schema>_control` (`sluice_control`). Payload: job id.
    public var controlChannel: String { name + "_control" }

    /// The version this build of sluice creates and understands.
    public static var latestVersion: Int { steps.last!.version }

    /// One DDL step.
    struct Step: Sendable {
        let version: Int
        let description: String
        let sql: @Sendable (String) -> String
    }

    /// All steps, oldest first. `s` is the quoted schema name.
    static let steps: [Step] = [
        Step(version: 1, description: "jobs, plans, quarantine, events, history") { s in
            """
            CREATE TABLE \(s).jobs (
                id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                migration_version    text NOT NULL,
                migration_name       text NOT NULL DEFAULT '',
                migration_checksum   text NOT NULL,
                direction            text NOT NULL CHECK (direction IN ('up', 'down')),
                dry_run              boolean NOT NULL DEFAULT false,
                target_url           text NOT NULL CHECK (target_url !~ '^[^:/?#]+://[^/?#]*@'),
                target_database      text NOT NULL DEFAULT '',
                state                text NOT NULL DEFAULT 'queued' CHECK (state IN
                                         ('queued', 'planning', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
                cancel_requested     boolean NOT NULL DEFAULT false,
                priority             integer NOT NULL DEFAULT 0,
                not_before           timestamptz,
                requested_batch_size integer NOT NULL CHECK (requested_batch_size > 0),
                current_batch_size   integer CHECK (current_batch_size > 0),
                plan_done            bigint NOT NULL DEFAULT 0 CHECK (plan_done >= 0),
                plan_total           bigint CHECK (plan_total >= 0),
                items_changed        bigint NOT NULL DEFAULT 0,
                items_skipped        bigint NOT NULL DEFAULT 0,
                items_quarantined    bigint NOT NULL DEFAULT 0,
                batches_done         bigint NOT NULL DEFAULT 0,
                late_arrivals        bigint NOT NULL DEFAULT 0,
                throttle_state       text NOT NULL DEFAULT 'none',
                throttle_reason      text,
                lease_owner          text,
                lease_token          bigint NOT NULL DEFAULT 0,
                lease_expires_at     timestamptz,
                heartbeat_at         timestamptz,
                attempts             integer NOT NULL DEFAULT 0,
                last_error           text,
                options              jsonb NOT NULL DEFAULT '{}',
                enqueued_by          text NOT NULL,
                created_at           timestamptz NOT NULL DEFAULT now(),
                started_at           timestamptz,
                finished_at          timestamptz,
                updated_at           timestamptz NOT NULL DEFAULT now(),
                CHECK (plan_total IS NULL OR plan_done <= plan_total)
            );

            -- One active job per graph, enforced by Postgres itself: a second claim on the same target fails with a
            -- unique violation however the race is timed. A paused job that has started keeps its graph, so no other
            -- migration interleaves with a half-applied one.
            CREATE UNIQUE INDEX jobs_one_active_per_target ON \(s).jobs (target_url, target_database)
                WHERE state IN ('planning', 'running') OR (state = 'paused' AND started_at IS NOT NULL);
            CREATE INDEX jobs_claimable ON \(s).jobs (priority DESC, id)
                WHERE state IN ('queued', 'planning', 'running');
            CREATE INDEX jobs_by_state ON \(s).jobs (state, id);
            -- The queue of each graph: only its head may be claimed.
            CREATE INDEX jobs_queued_by_target ON \(s).jobs (target_url, target_database, priority DESC, id)
                WHERE state = 'queued';

            -- The plan: entries (graph ids or boundaries) packed 8 bytes little-endian into chunks of at most 65536.
            CREATE TABLE \(s).plans (
                job_id       bigint PRIMARY KEY REFERENCES \(s).jobs (id) ON DELETE CASCADE,
                kind         text NOT NULL CHECK (kind IN ('ids', 'boundaries')),
                total        bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
                complete     boolean NOT NULL DEFAULT false,
                lease_token  bigint NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT now(),
                completed_at timestamptz
            );
            CREATE TABLE \(s).plan_chunks (
                job_id       bigint NOT NULL REFERENCES \(s).plans (job_id) ON DELETE CASCADE,
                first_offset bigint NOT NULL CHECK (first_offset >= 0),
                entry_count  integer NOT NULL CHECK (entry_count BETWEEN 1 AND 65536),
                entries      bytea NOT NULL CHECK (length(entries) = entry_count * 8),
                PRIMARY KEY (job_id, first_offset)
            );
            -- Uncompressed out-of-line storage: substring() then reads only the TOAST pages a slice covers.
            ALTER TABLE \(s).plan_chunks ALTER COLUMN entries SET STORAGE EXTERNAL;

            CREATE TABLE \(s).quarantine (
                job_id         bigint NOT NULL REFERENCES \(s).jobs (id) ON DELETE CASCADE,
                item           bigint NOT NULL,
                plan_offset    bigint,
                error          text NOT NULL,
                quarantined_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, item)
            );

            CREATE TABLE \(s).job_events (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                job_id      bigint NOT NULL REFERENCES \(s).jobs (id) ON DELETE CASCADE,
                at          timestamptz NOT NULL DEFAULT now(),
                kind        text NOT NULL CHECK (kind IN ('state', 'lease', 'throttle', 'error', 'priority', 'batch_size')),
                old_value   text,
                new_value   text,
                actor       text,
                lease_token bigint
            );
            CREATE INDEX job_events_by_job ON \(s).job_events (job_id, id);

            CREATE TABLE \(s).history (
                id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                migration_version text NOT NULL,
                migration_name    text NOT NULL,
                checksum          text NOT NULL,
                direction         text NOT NULL CHECK (direction IN ('up', 'down')),
                target_url        text NOT NULL,
                target_database   text NOT NULL,
                job_id            bigint REFERENCES \(s).jobs (id) ON DELETE SET NULL,
                applied_at        timestamptz NOT NULL DEFAULT now(),
                applied_by        text NOT NULL,
                duration_ms       bigint NOT NULL CHECK (duration_ms >= 0),
                items             bigint NOT NULL CHECK (items >= 0),
                status            text NOT NULL CHECK (status IN ('applied', 'partial', 'failed', 'rolled_back'))
            );
            CREATE INDEX history_by_target ON \(s).history (target_url, target_database, migration_version, id);

            -- Every change that matters is logged by the database, whichever code path made it. The actor is the
            -- transaction's `sluice.actor` setting (operators' commands), else the lease owner.
            CREATE FUNCTION \(s).jobs_log_events() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                who text := coalesce(nullif(current_setting('sluice.actor', true), ''), NEW.lease_owner);
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO \(s).job_events (job_id, kind, new_value, actor)
                        VALUES (NEW.id, 'state', NEW.state, coalesce(nullif(current_setting('sluice.actor', true), ''), NEW.enqueued_by));
                    RETURN NULL;
                END IF;
                IF NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'lease', OLD.lease_owner, NEW.lease_owner, who, NEW.lease_token);
                END IF;
                IF NEW.state IS DISTINCT FROM OLD.state THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'state', OLD.state, NEW.state, who, NEW.lease_token);
                END IF;
                IF NEW.cancel_requested AND NOT OLD.cancel_requested AND NEW.state = OLD.state THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'state', OLD.state, 'cancel requested', who, NEW.lease_token);
                END IF;
                IF (NEW.throttle_state, NEW.throttle_reason) IS DISTINCT FROM (OLD.throttle_state, OLD.throttle_reason) THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'throttle', OLD.throttle_state || coalesce(': ' || OLD.throttle_reason, ''),
                                NEW.throttle_state || coalesce(': ' || NEW.throttle_reason, ''), who, NEW.lease_token);
                END IF;
                IF NEW.last_error IS DISTINCT FROM OLD.last_error AND NEW.last_error IS NOT NULL THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'error', OLD.last_error, NEW.last_error, who, NEW.lease_token);
                END IF;
                IF NEW.priority IS DISTINCT FROM OLD.priority THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'priority', OLD.priority::text, NEW.priority::text, who, NEW.lease_token);
                END IF;
                IF NEW.requested_batch_size IS DISTINCT FROM OLD.requested_batch_size THEN
                    INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                        VALUES (NEW.id, 'batch_size', OLD.requested_batch_size::text, NEW.requested_batch_size::text,
                                who, NEW.lease_token);
                END IF;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER jobs_log_events AFTER INSERT OR UPDATE ON \(s).jobs
                FOR EACH ROW EXECUTE FUNCTION \(s).jobs_log_events();
            """
        },
        Step(version: 2, description: "operator max rate, job chains, measured rate, quarantined in history") { s in
            """
            -- `sluice throttle JOB --max-rate N`: a cap above the throttle's own decisions, until cleared (NULL).
            ALTER TABLE \(s).jobs ADD COLUMN operator_max_rate integer CHECK (operator_max_rate > 0);
            -- `sluice enqueue --all`: a job that waits until the job it was queued after has succeeded.
            ALTER TABLE \(s).jobs ADD COLUMN after_job bigint REFERENCES \(s).jobs (id) ON DELETE SET NULL;
            -- Plan entries per second over the recent batches, on Postgres's clock, so `sluice status` shows the rate
            -- without asking the daemon; checkpoint_at is when the last batch (or the claim) was recorded.
            ALTER TABLE \(s).jobs ADD COLUMN rate double precision CHECK (rate >= 0);
            ALTER TABLE \(s).jobs ADD COLUMN checkpoint_at timestamptz;
            CREATE INDEX jobs_after ON \(s).jobs (after_job) WHERE after_job IS NOT NULL;
            -- What `sluice enqueue` looks up to refuse a second unfinished job of one migration on one graph.
            CREATE INDEX jobs_unfinished_by_migration ON \(s).jobs (target_url, target_database, migration_version)
                WHERE state IN ('queued', 'planning', 'running', 'paused');

            ALTER TABLE \(s).history ADD COLUMN quarantined bigint NOT NULL DEFAULT 0 CHECK (quarantined >= 0);
            ALTER TABLE \(s).history ADD COLUMN requested_by text;
            UPDATE \(s).history AS h SET quarantined = j.items_quarantined, requested_by = j.enqueued_by
                FROM \(s).jobs AS j WHERE j.id = h.job_id;

            ALTER TABLE \(s).job_events DROP CONSTRAINT job_events_kind_check;
            ALTER TABLE \(s).job_events ADD CONSTRAINT job_events_kind_check
                CHECK (kind IN ('state', 'lease', 'throttle', 'error', 'priority', 'batch_size', 'max_rate'));

            CREATE FUNCTION \(s).jobs_log_max_rate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO \(s).job_events (job_id, kind, old_value, new_value, actor, lease_token)
                    VALUES (NEW.id, 'max_rate', OLD.operator_max_rate::text, NEW.operator_max_rate::text,
                            coalesce(nullif(current_setting('sluice.actor', true), ''), NEW.lease_owner),
                            NEW.lease_token);
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER jobs_log_max_rate AFTER UPDATE OF operator_max_rate ON \(s).jobs
                FOR EACH ROW WHEN (NEW.operator_max_rate IS DISTINCT FROM OLD.operator_max_rate)
                EXECUTE FUNCTION \(s).jobs_log_max_rate();

            -- A chain stops at its first failure, as `sluice run --all` does: when a job fails or is cancelled, the
            -- jobs queued after it are cancelled too (and theirs, the trigger firing again for each).
            CREATE FUNCTION \(s).jobs_cancel_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE \(s).jobs
                SET state = 'cancelled', cancel_requested = true, finished_at = now(), lease_expires_at = NULL,
                    last_error = format('not run: job %s, which it was queued after, %s', NEW.id,
                                        CASE WHEN NEW.state = 'failed' THEN 'failed' ELSE 'was cancelled' END),
                    updated_at = now()
                WHERE after_job = NEW.id AND state IN ('queued', 'paused') AND started_at IS NULL;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER jobs_cancel_dependents AFTER UPDATE OF state ON \(s).jobs
                FOR EACH ROW WHEN (NEW.state IN ('failed', 'cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
                EXECUTE FUNCTION \(s).jobs_cancel_dependents();
            """
        },
        Step(version: 3, description: "plan staging: items sorted by Postgres, not the graph") { s in
            """
            -- Planning streams a job's items here in the order the graph finds them; completing the plan reads them
            -- back sorted (an index range scan, no sort) into plan_chunks. A graph server sorting a million ids holds
            -- them all in its heap (ArcadeDB refuses past 500,000). Unlogged: a crashed Postgres loses only plans
            -- still being made, which are made again.
            CREATE UNLOGGED TABLE \(s).plan_staging (
                job_id bigint NOT NULL REFERENCES \(s).plans (job_id) ON DELETE CASCADE,
                item   bigint NOT NULL,
                PRIMARY KEY (job_id, item)
            );
            """
        },
        Step(version: 4, description: "plan staging as sorted runs, merged by sluice") { s in
            """
            -- Planning stages a job's items as one sorted run per chunk the graph hands over (sorted by sluice, which
            -- holds no more than a chunk); completing the plan merges the runs into plan_chunks reading a page of each
            -- at a time. Staged as a row per item, a million items cost 10 to 13 s of index inserts and a sorted
            -- read. Unlogged, like the staging it replaces: a crashed Postgres loses only plans still being made.
            DROP TABLE \(s).plan_staging;
            CREATE UNLOGGED TABLE \(s).plan_runs (
                job_id      bigint NOT NULL REFERENCES \(s).plans (job_id) ON DELETE CASCADE,
                run         integer NOT NULL CHECK (run >= 0),
                entry_count integer NOT NULL CHECK (entry_count > 0),
                entries     bytea NOT NULL,
                PRIMARY KEY (job_id, run)
            );
            -- Uncompressed: a page is read with substring() from the TOAST pages it covers.
            ALTER TABLE \(s).plan_runs ALTER COLUMN entries SET STORAGE EXTERNAL;
            """
        },
        Step(version: 5, description: "plan chunks of consecutive ids stored as runs") { s in
            """
            -- A chunk whose ids run consecutively (a graph that deleted little) is stored as its runs, 16 bytes each
            -- (first id, length), when that is smaller than its ids listed: four million ids were 32 MB of plan
            -- written while planning and read back while running, and are a few KB now. Chunks stored before keep
            -- their ids listed.
            ALTER TABLE \(s).plan_chunks ADD COLUMN runs boolean NOT NULL DEFAULT false;
            ALTER TABLE \(s).plan_chunks DROP CONSTRAINT plan_chunks_check;
            ALTER TABLE \(s).plan_chunks ADD CONSTRAINT plan_chunks_entries_check CHECK (
                CASE WHEN runs THEN length(entries) BETWEEN 16 AND entry_count * 8 - 1 AND length(entries) % 16 = 0
                     ELSE length(entries) = entry_count * 8 END
            );
            """
        },
        Step(version: 6, description: "plans of finished jobs deleted") { s in
            """
            -- Finishing a job now deletes its plan, never read again; these are the plans finished jobs left before.
            DELETE FROM \(s).plans WHERE job_id IN (
                SELECT id FROM \(s).jobs WHERE state IN ('succeeded', 'failed', 'cancelled'));
            """
        },
        Step(version: 7, description: "the rate measured over a window of batches") { s in
            """
            -- The plan offset at the start of the rate's window; checkpoint_at is now that window's start (the claim,
            -- the plan's end, or the checkpoint that restarted it), no longer the last checkpoint's time.
            ALTER TABLE \(s).jobs ADD COLUMN rate_window_done bigint;
            """
        },
        Step(version: 8, description: "the daemons that serve the store") { s in
            """
            -- Each daemon says here which graph server it serves and renews how long it is alive for, as a lease: a
            -- queued job that no live daemon serves (none runs, or they serve its URL spelled otherwise) is told so
            -- by `sluice enqueue` and `sluice status` instead of waiting in silence. A daemon that stops deletes its
            -- row; a killed one's lapses.
            CREATE TABLE \(s).workers (
                worker     text PRIMARY KEY,
                target_url text NOT NULL,
                version    text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                seen_at    timestamptz NOT NULL DEFAULT now(),
                alive_until timestamptz NOT NULL
            );
            """
        },
        Step(version: 9, description: "each daemon process's instance on its worker's row") { s in
            """
            -- A worker identity is one live daemon's: a claim lets an identity take its own live lease at once (the
            -- restart after kill -9), so two daemons sharing one (a configuration copied to a second host) took the job
            -- from each other about once a second. Each daemon process now announces itself as an instance of its own,
            -- with where it runs; one that finds its worker announced by another live instance since its own
            -- announcement takes no jobs (its claims are refused) until that row is gone or lapses. Rows announced
            -- before this step have neither.
            ALTER TABLE \(s).workers ADD COLUMN instance uuid;
            ALTER TABLE \(s).workers ADD COLUMN process text;
            """
        },
        Step(version: 10, description: "finalize recorded in the history") { s in
            """
            -- `sluice finalize` records itself as a history entry of its own (status 'finalized', direction 'up'), so
            -- that `list` shows a finalized migration from the job store alone and `history` says who finalized it,
            -- when, and how many items it stripped. Such an entry leaves the migration applied.
            ALTER TABLE \(s).history DROP CONSTRAINT history_status_check;
            ALTER TABLE \(s).history ADD CONSTRAINT history_status_check
                CHECK (status IN ('applied', 'partial', 'failed', 'rolled_back', 'finalized'));
            """
        },
        Step(version: 11, description: "a dry run's preview in its job's events") { s in
            """
            -- What a daemon's dry run found (`sluice enqueue --dry-run`: the items each data step would change, the
            -- pre-flight checks it could not make) is kept as the job's 'preview' events, one per line, written as the
            -- job ends, so that `sluice status`, which reads Postgres only, shows it, not the daemon's journal alone.
            ALTER TABLE \(s).job_events DROP CONSTRAINT job_events_kind_check;
            ALTER TABLE \(s).job_events ADD CONSTRAINT job_events_kind_check
                CHECK (kind IN ('state', 'lease', 'throttle', 'error', 'priority', 'batch_size', 'max_rate', 'preview'));
            """
        },
        Step(version: 12, description: "when the last batch was recorded") { s in
            """
            -- The rate is only measured at a checkpoint: a job whose worker hangs or died kept its last rate and ETA in
            -- `sluice status` until the lease ran out. batch_at tells how long no batch came. The rate's window now
            -- starts at the first checkpoint after a claim (checkpoint_at and rate_window_done NULL until then), as
            -- the daemon's own rate does, not at the claim: a window that starts before a batch and ends after one
            -- counts each batch but not the pause a rate cap puts after the last.
            ALTER TABLE \(s).jobs ADD COLUMN batch_at timestamptz;
            """
        },
    ]

    /// The applied version, or `nil` when the schema (or its version table) does not exist.
    func currentVersion(on connection: isolated PostgresConnection) throws(PostgresError) -> Int? {
        let exists = try connection.query(
            "SELECT to_regclass($1::text) IS NOT NULL AS present",
            [quoted + ".schema_version"]
        )
        guard try exists[0].decode("present", as: Bool.self) else { return nil }
        let rows = try connection.query("SELECT coalesce(max(version), 0) AS version FROM \(quoted).schema_version")
        return try rows[0].decode("version", as: Int.self)
    }

    /// Applies the missing steps; returns the version before and after.
    func migrate(on connection: isolated PostgresConnection, logger: Logger) throws -> (from: Int, to: Int) {
        // Fast path: already current, no lock, no DDL (a role without CREATE can run an up-to-date store).
        if let version = try currentVersion(on: connection), version >= Self.latestVersion {
            guard version == Self.latestVersion else {
                throw JobStoreError.schemaTooNew(schema: name, found: version, supported: Self.latestVersion)
            }
            return (version, version)
        }
        // DDL waits for other sessions' locks and works through whole tables: no bound on the server's silence.
        return try connection.withoutAnswerTimeout { connection in try migrateLocked(on: connection, logger: logger) }
    }

    /// Applies the missing steps in one transaction, under the schema's advisory lock.
    private func migrateLocked(
        on connection: isolated PostgresConnection,
        logger: Logger
    ) throws -> (from: Int, to: Int) {
        try connection.withTransaction { connection in
            // Serializes concurrent migrators of this schema; released at commit or rollback.
            try connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                ["sluice.schema." + name]
            )
            let schemaExists = try connection.query(
                "SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1::text",
                [name]
            )
            if try schemaExists[0].decode("n", as: Int.self) == 0 {
                try connection.runScript("CREATE SCHEMA \(quoted)")
            }
            try connection.runScript(
                """
                CREATE TABLE IF NOT EXISTS \(quoted).schema_version (
                    version     integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now(),
                    applied_by  text NOT NULL DEFAULT current_user
                )
                """
            )
            let from = try currentVersion(on: connection) ?? 0
            if from > Self.latestVersion {
                throw JobStoreError.schemaTooNew(schema: name, found: from, supported: Self.latestVersion)
            }
            for step in Self.steps where step.version > from {
                logger.info(
                    "applying job store schema step",
                    metadata: ["schema": "\(name)", "schema.version": "\(step.version)", "step": "\(step.description)"]
                )
                try connection.runScript(step.sql(quoted))
                try connection.query(
                    "INSERT INTO \(quoted).schema_version (version, description) VALUES ($1::integer, $2::text)",
                    [step.version, step.description]
                )
            }
            return (from, Self.latestVersion)
        }
    }
}
