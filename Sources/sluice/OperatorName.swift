import Foundation

/// Who is running this command, for the job's event log and history: `user@host`, the user as logged in when
/// acting through sudo, so the log names the person rather than root.
enum OperatorName {
    /// `user@host`; with `command`, `user@host (command)`: the person, and the command that acted for them where it
    /// is not the operator's own request of the job (`sluice run` queues and runs a job in one go).
    static func current(
        via command: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        let user =
            environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) }
            ?? environment["USER"] ?? "uid \(geteuid())"
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        return "\(user)@\(host)" + (command.map { " (\($0))" } ?? "")
    }
}
