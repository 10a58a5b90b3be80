/// The SQL text of the job store's statements for one schema.
///
/// Public so that tests (and operators debugging with `psql`) can run the very statements sluice runs: the claim race
/// test, for one, has independent `psql` processes `PREPARE` and `EXECUTE` ``claim``. Every parameter is cast
/// (`$1::text`), so each statement can be prepared without a type list.
public struct JobStoreStatements: Sendable {
    public let schema: JobStoreSchema

    public init(schema: JobStoreSchema) {
        self.schema = schema
    }

    private var s: String { schema.quoted }

    /// The columns a ``Job`` is read from.
    public static let jobColumns = """
        id, migration_version, migration_name, migration_checksum, direction, dry_run, target_url, target_database, \
        state, cancel_requested, priority, not_before, requested_batch_size, current_batch_size, plan_done, \
        plan_total, items_changed, items_skipped, items_quarantined, batches_done, late_arrivals, throttle_state, \
        throttle_reason, lease_owner, lease_token, lease_expires_at, heartbeat_at, attempts, last_error, options, \
        enqueued_by, created_at, started_at, finished_at, updated_at, operator_max_rate, after_job, rate, batch_at
        """

    /// The columns a ``JobControl`` is read from.
    static let controlColumns = """
        state, cancel_requested, priority, requested_batch_size, plan_done, operator_max_rate, \
        extract(epoch FROM lease_expires_at - now())::double precision AS lease_remaining
        """

    /// A job "holds its graph": the predicate of the partial unique index `jobs_one_active_per_target`.
    static func holdsTarget(_ alias: String) -> String {
        "(\(alias).state IN ('planning', 'running') OR (\(alias).state = 'paused' AND \(alias).started_at IS NOT NULL))"
    }

    /// Claims the next runnable job for worker `$1` with a lease of `$2` seconds, or returns no row.
    ///
    /// Runnable, in this order: a job this identity already leases (its previous incarnation crashed: reclaim at
    /// once), an abandoned job (planning or running with an expired or released lease; or paused with a cancel
    /// request its worker died before honouring, which would otherwise hold its graph for good), then queued jobs whose
    /// `not_before` has passed, by priority then age. Jobs whose graph is held by another job are skipped, and so is
    /// a queued job with an earlier queued job on its graph: migrations on one graph run in the order they were
    /// queued, even when claimers race (a later job cannot slip past an earlier one that a concurrent claimer has
    /// locked). A job queued after another (`after_job`, `sluice enqueue --all`) waits until that one has succeeded,
    /// and while it waits it holds up no one. Rows locked by a concurrent claimer are skipped (`SKIP LOCKED`), and a
    /// row that no longer qualifies once locked is re-checked and passed over, so two claimers never get the same
    /// job. Every claim raises
    /// `lease_token`, which fences the previous holder. Times are Postgres's, never the caller's clock: leases from
    /// `now()`, `started_at` (as `finished_at` in ``finish``) from `clock_timestamp()`, the moment of the change, since
    /// `now()` is when the statement's transaction began, which can precede the commit of the job it waited for: a
    /// job would then seem to start before the one before it on its graph had ended.
    ///
    /// The row back leads with how the previous lease ended, read before this claim overwrites it: `previous_owner`,
    /// and `previous_released`, true when that owner let the lease go (``release``: a shutdown, a pause honoured, the
    /// graph's hold) and false when it did not (a crash, a kill, the watchdog: the lease expired, or this identity
    /// takes its own live one), which is what tells the journal's "taken up again" from "reclaimed".
    public var claim: String { claim(only: nil) }

    /// ``claim`` for a daemon, which serves one graph server only: parameter `$3` is the target URL it may take jobs
    /// for (every database on it), so jobs for other servers stay queued for the workers that serve them; `$4` is the
    /// daemon's instance (``announceWorker``), which gets no job while another live instance has announced worker `$1`
    /// since it did. Two live daemons under one identity would otherwise take the job from each other about once a
    /// second, each claim taking the identity's own live lease as after a crash; the announcement alone would see it
    /// only up to a third of a lease later.
    ///
    /// A job `sluice run` started (``Job/isForeground``) is the run's to go on with, after a stop, a pause or a crash
    /// alike: a daemon takes it only to end it when it is cancelled (``cancel``), never to run it.
    public var claimServingURL: String {
        claim(
            only: """
                j.target_url = $3::text
                      AND (j.options->>'\(Job.foregroundOption)' IS DISTINCT FROM 'true' OR j.cancel_requested)
                      AND NOT EXISTS (
                          SELECT 1 FROM \(s).workers AS w
                          WHERE w.worker = $1::text AND w.instance IS DISTINCT FROM $4::uuid AND w.alive_until > now())
                """
        )
    }

    /// ``claim`` of job `$3` alone, when it is the one due on its graph: `sluice run` takes the job it enqueued or
    /// found, never another graph's that happens to be due first.
    public var claimJob: String { claim(only: "j.id = $3::bigint") }

    /// ``claim`` among the jobs that also meet `condition`, when given.
    private func claim(only condition: String?) -> String {
        """
        WITH candidate AS (
            SELECT j.id, j.lease_owner AS previous_owner,
                   j.lease_owner IS NOT NULL AND j.lease_expires_at IS NULL AS previous_released
            FROM \(s).jobs AS j
            WHERE ((j.state = 'queued' AND (j.not_before IS NULL OR j.not_before <= now()))
                   OR (j.state IN ('planning', 'running')
                       AND (j.lease_expires_at IS NULL OR j.lease_expires_at <= now() OR j.lease_owner = $1::text))
                   OR (j.state = 'paused' AND j.cancel_requested
                       AND (j.lease_expires_at IS NULL OR j.lease_expires_at <= now())))\(condition.map { "\n      AND \($0)" } ?? "")
              AND NOT EXISTS (
                  SELECT 1 FROM \(s).jobs AS other
                  WHERE other.target_url = j.target_url AND other.target_database = j.target_database
                    AND other.id <> j.id AND \(Self.holdsTarget("other")))
              AND (j.state <> 'queued' OR \(predecessorDone("j")))
              AND NOT EXISTS (
                  SELECT 1 FROM \(s).jobs AS earlier
                  WHERE j.state = 'queued' AND earlier.state = 'queued'
                    AND earlier.target_url = j.target_url AND earlier.target_database = j.target_database
                    AND (earlier.priority > j.priority OR (earlier.priority = j.priority AND earlier.id < j.id))
                    AND \(predecessorDone("earlier")))
            ORDER BY (j.state <> 'queued' AND j.lease_owner IS NOT DISTINCT FROM $1::text) DESC,
                     (j.state <> 'queued') DESC, j.priority DESC, j.id
            LIMIT 1
            FOR UPDATE OF j SKIP LOCKED
        )
        UPDATE \(s).jobs AS j
        SET state = CASE WHEN j.state <> 'queued' THEN j.state
                         WHEN j.plan_total IS NULL THEN 'planning' ELSE 'running' END,
            lease_owner = $1::text,
            lease_token = j.lease_token + 1,
            lease_expires_at = now() + make_interval(secs => $2::double precision),
            heartbeat_at = now(),
            attempts = j.attempts + 1,
            last_error = NULL,
            started_at = coalesce(j.started_at, clock_timestamp()),
            rate = NULL,
            checkpoint_at = NULL,
            rate_window_done = NULL,
            updated_at = now()
        FROM candidate
        WHERE j.id = candidate.id
        RETURNING candidate.previous_owner, candidate.previous_released, \(Self.jobColumns.split(separator: ",").map { "j." + $0.trimmingSpaces }.joined(separator: ", "))
        """
    }

    /// The job `alias` waits for no other: it was not queued after one, or that one has succeeded.
    private func predecessorDone(_ alias: String) -> String {
        """
        (\(alias).after_job IS NULL OR EXISTS (
            SELECT 1 FROM \(s).jobs AS before WHERE before.id = \(alias).after_job AND before.state = 'succeeded'))
        """
    }

    /// Renews lease `$2` on job `$1` for `$3` seconds; optionally records throttle state `$4`/reason `$5` and batch
    /// size `$6` (NULL keeps them). No row back: the lease was lost.
    public var heartbeat: String {
        """
        UPDATE \(s).jobs
        SET lease_expires_at = now() + make_interval(secs => $3::double precision),
            heartbeat_at = now(),
            throttle_state = coalesce($4::text, throttle_state),
            throttle_reason = CASE WHEN $4::text IS NULL THEN throttle_reason ELSE $5::text END,
            current_batch_size = coalesce($6::integer, current_batch_size),
            updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint
        RETURNING \(Self.controlColumns)
        """
    }

    /// Records a batch: job `$1`, token `$2`, from offset `$3` to `$4`; counters `$5` changed, `$6` skipped;
    /// batch size `$7`, throttle `$8`/`$9`; lease renewed for `$10` seconds. No row back: lease lost or offset moved.
    /// The rate is the entries recorded since the window's start (`checkpoint_at`, `rate_window_done`: the first
    /// checkpoint after the claim, or one that restarted the window) over the time since, so pauses between batches
    /// count and a stop does not, as in the daemon's STATUS=: from one batch's end to another's, each batch counted
    /// with the pause before it (a window started at the claim counted the first batch without one, 20-50% over a
    /// rate cap in its first half minute). The window restarts after 30 s so the rate follows changes.
    public var checkpoint: String {
        """
        UPDATE \(s).jobs
        SET plan_done = $4::bigint,
            items_changed = items_changed + $5::bigint,
            items_skipped = items_skipped + $6::bigint,
            items_quarantined = (SELECT count(*) FROM \(s).quarantine AS q WHERE q.job_id = $1::bigint),
            batches_done = batches_done + 1,
            batch_at = now(),
            rate = CASE WHEN checkpoint_at IS NULL OR now() <= checkpoint_at THEN rate
                        ELSE greatest(0, $4::bigint - coalesce(rate_window_done, $3::bigint))
                             / extract(epoch FROM now() - checkpoint_at)::double precision
                   END,
            checkpoint_at = CASE WHEN checkpoint_at IS NULL OR now() - checkpoint_at >= interval '30 seconds'
                                 THEN now() ELSE checkpoint_at END,
            rate_window_done = CASE WHEN checkpoint_at IS NULL OR now() - checkpoint_at >= interval '30 seconds'
                                    THEN $4::bigint ELSE coalesce(rate_window_done, $3::bigint) END,
            current_batch_size = coalesce($7::integer, current_batch_size),
            throttle_state = coalesce($8::text, throttle_state),
            throttle_reason = CASE WHEN $8::text IS NULL THEN throttle_reason ELSE $9::text END,
            lease_expires_at = now() + make_interval(secs => $10::double precision),
            heartbeat_at = now(),
            updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint AND plan_done = $3::bigint
          AND (plan_total IS NULL OR $4::bigint <= plan_total)
        RETURNING \(Self.controlColumns)
        """
    }

    var quarantineInsert: String {
        """
        INSERT INTO \(s).quarantine (job_id, item, plan_offset, error)
        SELECT $1::bigint, q.item, q.plan_offset, q.error
        FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS q (item, plan_offset, error)
        ON CONFLICT (job_id, item) DO UPDATE
            SET error = EXCLUDED.error, plan_offset = EXCLUDED.plan_offset, quarantined_at = now()
        """
    }

    /// Job `$1`'s lease token, owner, offset and state, locked for the rest of the transaction.
    var lockJob: String {
        "SELECT lease_token, lease_owner, plan_done, plan_total, state FROM \(s).jobs WHERE id = $1::bigint FOR UPDATE"
    }

    var enqueue: String {
        """
        INSERT INTO \(s).jobs (migration_version, migration_name, migration_checksum, direction, dry_run, target_url,
                               target_database, requested_batch_size, priority, not_before, enqueued_by, options,
                               after_job)
        VALUES ($1::text, $2::text, $3::text, $4::text, $5::boolean, $6::text, $7::text, $8::integer, $9::integer,
                $10::timestamptz, $11::text, $12::jsonb, $13::bigint)
        RETURNING \(Self.jobColumns)
        """
    }

    var notify: String { "SELECT pg_notify($1::text, $2::text)" }

    /// Marks job `$1` as `sluice run`'s own (``Job/isForeground``).
    var markForeground: String {
        "UPDATE \(s).jobs SET options = options || '{\"\(Job.foregroundOption)\": true}'::jsonb WHERE id = $1::bigint"
    }
    var setActor: String { "SELECT set_config('sluice.actor', $1::text, true)" }

    var job: String { "SELECT \(Self.jobColumns) FROM \(s).jobs WHERE id = $1::bigint" }

    var jobs: String {
        """
        SELECT \(Self.jobColumns) FROM \(s).jobs
        WHERE ($1::text[] IS NULL OR state = ANY ($1::text[]))
        ORDER BY id DESC LIMIT $2::bigint
        """
    }

    var countsByState: String { "SELECT state, count(*) AS n FROM \(s).jobs GROUP BY state" }

    /// Worker `$1` serves graph server `$2` with sluice `$3` and is alive for `$4` seconds more, as instance `$5` (a
    /// UUID) running as `$6` (``WorkerInstance``): written when the row is this instance's, gone or lapsed, or when
    /// `$7` (taking over: the instance's first announcement) says to take it from any other. No row back: another
    /// live instance announced the worker since this one did, and keeps it. A worker that was gone (its row lapsed)
    /// or is another instance now starts again.
    var announceWorker: String {
        """
        INSERT INTO \(s).workers AS w (worker, target_url, version, alive_until, instance, process)
        VALUES ($1::text, $2::text, $3::text, now() + make_interval(secs => $4::double precision), $5::uuid, $6::text)
        ON CONFLICT (worker) DO UPDATE
        SET target_url = EXCLUDED.target_url, version = EXCLUDED.version, seen_at = now(),
            alive_until = EXCLUDED.alive_until, instance = EXCLUDED.instance, process = EXCLUDED.process,
            started_at = CASE WHEN w.alive_until < now() OR w.instance IS DISTINCT FROM EXCLUDED.instance
                              THEN now() ELSE w.started_at END
        WHERE $7::boolean OR w.instance IS NOT DISTINCT FROM EXCLUDED.instance OR w.alive_until <= now()
        RETURNING worker
        """
    }

    /// Worker `$1`'s row, as long as its time alive has not lapsed.
    var liveWorker: String {
        """
        SELECT worker, target_url, version, started_at, seen_at, process FROM \(s).workers
        WHERE worker = $1::text AND alive_until > now()
        """
    }

    /// Instance `$2` of worker `$1` stops serving; a row another instance announced since is not its own to delete.
    var retireWorker: String { "DELETE FROM \(s).workers WHERE worker = $1::text AND instance = $2::uuid" }

    /// Every worker that announced itself, and whether its time alive has not lapsed, on Postgres's clock (a lapsed
    /// one was killed or hangs: a daemon that stops deletes its row).
    var workers: String {
        """
        SELECT worker, target_url, version, started_at, seen_at, process, alive_until > now() AS alive
        FROM \(s).workers ORDER BY worker
        """
    }

    var pause: String {
        """
        UPDATE \(s).jobs SET state = 'paused', updated_at = now()
        WHERE id = $1::bigint AND state IN ('queued', 'planning', 'running')
        RETURNING \(Self.jobColumns)
        """
    }

    /// Back to where it was: queued if it never started, else planning/running (still holding its graph). A worker
    /// that still holds the lease just carries on; otherwise the job is claimable at once (lease released/expired).
    var resume: String {
        """
        UPDATE \(s).jobs
        SET state = CASE WHEN started_at IS NULL THEN 'queued' WHEN plan_total IS NULL THEN 'planning' ELSE 'running' END,
            updated_at = now()
        WHERE id = $1::bigint AND state = 'paused' AND NOT cancel_requested
        RETURNING \(Self.jobColumns)
        """
    }

    /// Cancels at once when no worker holds a live lease and no daemon is needed to end it; otherwise asks a worker (it
    /// finishes its batch, records it, and ends the job as cancelled), so the graph is not handed to the next job
    /// while a batch is in flight.
    ///
    /// A job no worker holds that changed items is left to a live daemon serving its graph server, when one has
    /// announced itself (``announceWorker``): it claims the job with its cancel pending and ends it in the graph too
    /// (the partial history on the `(:Migration)` node, the job's node finished), which this client, with no graph
    /// connection, cannot. The NOTIFY wakes it. Without such a daemon the job ends here, in Postgres alone.
    var cancel: String {
        let atOnce = """
            (j.state = 'queued'
                   OR ((j.lease_expires_at IS NULL OR j.lease_expires_at <= now())
                       AND NOT (j.items_changed > 0 AND EXISTS (
                           SELECT 1 FROM \(s).workers AS w
                           WHERE w.target_url = j.target_url AND w.alive_until > now()))))
            """
        return """
            UPDATE \(s).jobs AS j
            SET cancel_requested = true,
                state = CASE WHEN \(atOnce) THEN 'cancelled' ELSE j.state END,
                finished_at = CASE WHEN \(atOnce) THEN clock_timestamp() ELSE j.finished_at END,
                lease_expires_at = CASE WHEN \(atOnce) THEN NULL ELSE j.lease_expires_at END,
                updated_at = now()
            WHERE j.id = $1::bigint AND j.state IN ('queued', 'planning', 'running', 'paused')
            RETURNING \(Self.jobColumns)
            """
    }

    var setPriority: String {
        """
        UPDATE \(s).jobs SET priority = $2::integer, updated_at = now()
        WHERE id = $1::bigint AND state NOT IN ('succeeded', 'failed', 'cancelled')
        RETURNING \(Self.jobColumns)
        """
    }

    /// The operator's cap `$2` (items per second; NULL clears it) on unfinished job `$1`.
    var setMaxRate: String {
        """
        UPDATE \(s).jobs SET operator_max_rate = $2::integer, updated_at = now()
        WHERE id = $1::bigint AND state NOT IN ('succeeded', 'failed', 'cancelled')
        RETURNING \(Self.jobColumns)
        """
    }

    /// The newest unfinished job (not a dry run) of migration `$3` on graph `$1`/`$2`: what a second enqueue meets.
    var unfinishedForMigration: String {
        """
        SELECT \(Self.jobColumns) FROM \(s).jobs
        WHERE target_url = $1::text AND target_database = $2::text AND migration_version = $3::text
          AND NOT dry_run AND state IN ('queued', 'planning', 'running', 'paused')
        ORDER BY id DESC LIMIT 1
        """
    }

    var setBatchSize: String {
        """
        UPDATE \(s).jobs SET requested_batch_size = $2::integer, updated_at = now()
        WHERE id = $1::bigint AND state NOT IN ('succeeded', 'failed', 'cancelled')
        RETURNING \(Self.jobColumns)
        """
    }

    var finish: String {
        """
        UPDATE \(s).jobs
        SET state = $3::text, finished_at = clock_timestamp(), last_error = coalesce($4::text, last_error),
            lease_expires_at = NULL, updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint AND state IN ('planning', 'running', 'paused')
        RETURNING \(Self.jobColumns)
        """
    }

    var release: String {
        """
        UPDATE \(s).jobs SET lease_expires_at = NULL, updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint
        """
    }

    /// Keeps a job's bound parameters (`$3`, a JSON object) in its `options.parameters`, fenced by the lease token.
    var recordParameters: String {
        """
        UPDATE \(s).jobs SET options = options || jsonb_build_object('parameters', $3::jsonb), updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint
        """
    }

    var recordError: String {
        """
        UPDATE \(s).jobs SET last_error = $3::text, updated_at = now()
        WHERE id = $1::bigint AND lease_token = $2::bigint
        """
    }

    var insertHistory: String {
        """
        INSERT INTO \(s).history (migration_version, migration_name, checksum, direction, target_url, target_database,
                                  job_id, applied_by, duration_ms, items, status, quarantined, requested_by)
        VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::text, $9::bigint,
                $10::bigint, $11::text,
                coalesce((SELECT items_quarantined FROM \(s).jobs WHERE id = $7::bigint), 0),
                (SELECT enqueued_by FROM \(s).jobs WHERE id = $7::bigint))
        """
    }

    /// The history entry of job `$1`, ended cancelled or failed after it changed items, when nothing recorded one:
    /// `partial` for a cancelled job, `failed` for a failed one, so that `list` shows the migration partially applied
    /// and its `down` is accepted. `$2` is the worker that ended it (nil: the job's last one, for a job an operator
    /// cancelled with no worker holding it).
    var insertHistoryOfEndedJob: String {
        """
        INSERT INTO \(s).history (migration_version, migration_name, checksum, direction, target_url, target_database,
                                  job_id, applied_by, duration_ms, items, status, quarantined, requested_by)
        SELECT migration_version, migration_name, migration_checksum, direction, target_url, target_database, id,
               coalesce($2::text, lease_owner, enqueued_by),
               greatest(0, (extract(epoch FROM coalesce(finished_at, now()) - coalesce(started_at, created_at)) * 1000))::bigint,
               items_changed, CASE state WHEN 'cancelled' THEN 'partial' ELSE 'failed' END, items_quarantined, enqueued_by
        FROM \(s).jobs
        WHERE id = $1::bigint AND state IN ('cancelled', 'failed') AND items_changed > 0 AND NOT dry_run
          AND NOT EXISTS (SELECT 1 FROM \(s).history WHERE job_id = $1::bigint)
        """
    }

    var history: String {
        """
        SELECT id, migration_version, migration_name, checksum, direction, target_url, target_database, job_id,
               applied_at, applied_by, duration_ms, items, status, quarantined, requested_by
        FROM \(s).history
        WHERE ($1::text IS NULL OR (target_url = $1::text AND target_database = $2::text))
        ORDER BY id DESC LIMIT $3::bigint
        """
    }

    /// One line of a dry run's preview, as job `$1`'s event.
    var insertPreview: String {
        """
        INSERT INTO \(s).job_events (job_id, kind, new_value, actor, lease_token)
        VALUES ($1::bigint, 'preview', $2::text, $3::text, $4::bigint)
        """
    }

    var events: String {
        """
        SELECT id, job_id, at, kind, old_value, new_value, actor, lease_token
        FROM \(s).job_events WHERE job_id = $1::bigint ORDER BY id
        """
    }

    var quarantine: String {
        """
        SELECT item, plan_offset, error, quarantined_at FROM \(s).quarantine
        WHERE job_id = $1::bigint ORDER BY plan_offset NULLS LAST, item LIMIT $2::bigint
        """
    }

    // MARK: plans

    var planDelete: String { "DELETE FROM \(s).plans WHERE job_id = $1::bigint" }

    var planCreate: String {
        "INSERT INTO \(s).plans (job_id, kind, lease_token) VALUES ($1::bigint, $2::text, $3::bigint)"
    }

    var planLock: String {
        "SELECT job_id, kind, total, complete, created_at FROM \(s).plans WHERE job_id = $1::bigint FOR UPDATE"
    }

    var plan: String {
        "SELECT job_id, kind, total, complete, created_at FROM \(s).plans WHERE job_id = $1::bigint"
    }

    var planChunkInsert: String {
        """
        INSERT INTO \(s).plan_chunks (job_id, first_offset, entry_count, entries, runs)
        VALUES ($1::bigint, $2::bigint, $3::integer, $4::bytea, $5::boolean)
        """
    }

    /// Run `$2`'s items, `$3` of them, packed by ``JobPlanCodec``: numbered after the job's last run.
    var planRunInsert: String {
        """
        INSERT INTO \(s).plan_runs (job_id, run, entry_count, entries)
        SELECT $1::bigint, coalesce(max(run) + 1, 0), $2::integer, $3::bytea FROM \(s).plan_runs WHERE job_id = $1::bigint
        """
    }

    var planRuns: String {
        "SELECT run, entry_count FROM \(s).plan_runs WHERE job_id = $1::bigint ORDER BY run"
    }

    /// Items `[$3, $3 + $4)` of run `$2` (binary result).
    var planRunPage: String {
        """
        SELECT substring(entries FROM ($3::bigint * 8 + 1)::integer FOR ($4::bigint * 8)::integer) AS page
        FROM \(s).plan_runs WHERE job_id = $1::bigint AND run = $2::integer
        """
    }

    var planRunsClear: String { "DELETE FROM \(s).plan_runs WHERE job_id = $1::bigint" }

    var planSetTotal: String {
        "UPDATE \(s).plans SET total = $2::bigint WHERE job_id = $1::bigint"
    }

    var planComplete: String {
        "UPDATE \(s).plans SET complete = true, completed_at = now() WHERE job_id = $1::bigint RETURNING total"
    }

    var jobPlanned: String {
        """
        UPDATE \(s).jobs
        SET plan_total = $2::bigint, late_arrivals = late_arrivals + $3::bigint,
            state = CASE WHEN state = 'planning' THEN 'running' ELSE state END, updated_at = now()
        WHERE id = $1::bigint
        """
    }

    /// Entries `[$2, $2 + $3)` of job `$1`'s plan, from the chunks that cover them (binary result): the byte slice of
    /// a listed chunk, the runs of a chunk stored as runs (``JobPlanCodec``). The `first_offset > $2 - 65536` bound
    /// keeps it an index range scan however long the plan is.
    var planSlice: String {
        """
        SELECT first_offset, entry_count, runs,
               CASE WHEN runs THEN entries
                    ELSE substring(entries FROM (greatest($2::bigint - first_offset, 0) * 8 + 1)::integer
                                   FOR ((least(first_offset + entry_count, $2::bigint + $3::bigint)
                                         - greatest(first_offset, $2::bigint)) * 8)::integer) END AS slice
        FROM \(s).plan_chunks
        WHERE job_id = $1::bigint AND first_offset < $2::bigint + $3::bigint
          AND first_offset > $2::bigint - \(JobPlanCodec.maximumChunkEntries)
          AND first_offset + entry_count > $2::bigint
        ORDER BY first_offset
        """
    }
}
