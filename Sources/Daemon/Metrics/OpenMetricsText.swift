import JobStore

/// Writes a ``MetricsSnapshot`` in the OpenMetrics 1.0 text format, which Prometheus scrapes natively. Pure
/// formatting: every family has `# TYPE` and `# HELP`, label values are escaped, the text ends with `# EOF`.
public enum OpenMetricsText {
    public static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, [(String, String)], String)]) {
            text += "# TYPE \(name) \(type)\n# HELP \(name) \(help)\n"
            for (suffix, labels, value) in samples {
                let labelText =
                    labels.isEmpty
                    ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                text += "\(name)\(suffix)\(labelText) \(value)\n"
            }
        }

        family(
            "sluice_daemon",
            "info",
            "The daemon's version and worker identity; present while the daemon is up.",
            [("_info", [("version", snapshot.version), ("worker", snapshot.worker)], "1")]
        )
        family(
            "sluice_daemon_start_time_seconds",
            "gauge",
            "When the daemon started, in seconds since the Unix epoch.",
            [("", [], number(snapshot.startTime))]
        )
        family(
            "sluice_job_store_up",
            "gauge",
            "1 when the last read of the job counts from Postgres succeeded.",
            [("", [], snapshot.jobStoreUp ? "1" : "0")]
        )
        if let counts = snapshot.jobsByState {
            family(
                "sluice_jobs",
                "gauge",
                "Jobs in the job table by state, all daemons sharing it, as last read.",
                JobState.allCases.map { ("", [("state", $0.rawValue)], "\(counts[$0] ?? 0)") }
            )
        }
        family(
            "sluice_items_committed",
            "counter",
            "Items committed by this daemon since it started, over all jobs.",
            [("_total", [], "\(snapshot.itemsCommitted)")]
        )
        let histogram = snapshot.batchLatency
        family(
            "sluice_batch_duration_seconds",
            "histogram",
            "Time from sending a batch to its commit, for every batch this daemon committed.",
            histogram.cumulative.map { bucket in
                ("_bucket", [("le", bucket.bound.map(number) ?? "+Inf")], "\(bucket.count)")
            } + [("_count", [], "\(histogram.count)"), ("_sum", [], number(histogram.sum))]
        )
        if let job = snapshot.job {
            let labels = [("job", job.id), ("migration", job.migration), ("direction", job.direction)]
            family(
                "sluice_job_items_done",
                "gauge",
                "Items of the running job done so far (changed, no longer matching or quarantined).",
                [("", labels, "\(job.done)")]
            )
            if let total = job.total {
                family(
                    "sluice_job_items_planned",
                    "gauge",
                    "Items in the running job's plan; absent while it is being planned.",
                    [("", labels, "\(total)")]
                )
            }
            family(
                "sluice_job_items_per_second",
                "gauge",
                "The running job's rate over its last 30 seconds of batches.",
                [("", labels, number(job.itemsPerSecond ?? 0))]
            )
            family(
                "sluice_throttle_state",
                "gauge",
                "1 for the throttle's state (running, throttled, paused) and the kind of reason for it.",
                [("", labels + [("state", job.throttleState), ("reason", job.throttleReason)], "1")]
            )
            family(
                "sluice_lease_age_seconds",
                "gauge",
                "Time since the running job's lease was last renewed; heartbeats renew it every third of the lease.",
                [("", labels, number(job.leaseAge.seconds))]
            )
            family(
                "sluice_job_seconds_since_progress",
                "gauge",
                "Time since the running job last committed a batch or the throttle last decided.",
                [("", labels, number(job.sinceProgress.seconds))]
            )
            family(
                "sluice_job_stuck",
                "gauge",
                "1 when the running job made no progress for [daemon] stuck_after or longer.",
                [("", labels, job.stuck ? "1" : "0")]
            )
        }
        text += "# EOF\n"
        return text
    }

    /// A label value with backslash, double quote and line feed escaped, as the format requires.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A float the way OpenMetrics spells it (`0.25`, `1.0`, `1e-05`, `+Inf`, `NaN`).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return "\(value)"
    }
}
