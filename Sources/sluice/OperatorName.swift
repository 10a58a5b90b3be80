import Foundation

/// Who is running this command, for the job's event log and history: `user@host`, the user as logged in when
/// acting through sudo, so the log names the person rather than root.
enum OperatorName {
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let user =
            environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) }
            ?? environment["USER"] ?? "uid \(geteuid())"
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        return "\(user)@\(host)"
    }
}
