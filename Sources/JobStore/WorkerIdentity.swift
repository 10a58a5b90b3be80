import Foundation

/// A daemon's stable name in the job table's lease columns.
///
/// Stable across restarts on purpose: after `kill -9` or a reboot, the successor (same identity) reclaims its lease
/// at once instead of waiting for it to expire. Two live daemons must never share one identity: each announces itself
/// as a ``WorkerInstance``, and one that finds another live instance announced under its identity takes no jobs.
public struct WorkerIdentity: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// `<hostname>/<machine-id prefix>/<unit>`: from `/etc/machine-id` (stable across reboots, unique per
    /// machine, unlike a hostname) and the systemd unit name, so two units on one machine differ.
    public static func derived(unit: String = Self.unit()) -> WorkerIdentity {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let machine =
            (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let id = machine.isEmpty ? "" : "/" + machine.prefix(12)
        return WorkerIdentity(rawValue: "\(host)\(id)/\(unit)")
    }

    /// The unit that runs this process: `SLUICE_UNIT`, which the unit file sets to its own name (`%n`); else
    /// `sluice.service` under systemd (`INVOCATION_ID` set), which restarts it under the same name; else, started
    /// by hand, `pid-<pid>`, which no other process shares: a daemon tried out in a shell beside the service must
    /// not take the service's live lease as its own.
    public static func unit(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let unit = environment["SLUICE_UNIT"], !unit.isEmpty { return unit }
        if environment["INVOCATION_ID"] != nil { return "sluice.service" }
        return "pid-\(getpid())"
    }
}
