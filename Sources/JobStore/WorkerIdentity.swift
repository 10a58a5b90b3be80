import Foundation

/// A daemon's stable name in the job table's lease columns.
///
/// Stable across restarts on purpose: after `kill -9` or a reboot, the successor (same identity) reclaims its lease
/// at once instead of waiting for it to expire. Two live daemons must never share one identity.
public struct WorkerIdentity: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// `<hostname>/<machine-id prefix>/<unit>`: from `/etc/machine-id` (stable across reboots, unique per
    /// machine, unlike a hostname) and the systemd unit name, so two units on one machine differ.
    public static func derived(
        unit: String = ProcessInfo.processInfo.environment["SLUICE_UNIT"] ?? "sluice.service"
    )
        -> WorkerIdentity
    {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let machine =
            (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let id = machine.isEmpty ? "" : "/" + machine.prefix(12)
        return WorkerIdentity(rawValue: "\(host)\(id)/\(unit)")
    }
}
