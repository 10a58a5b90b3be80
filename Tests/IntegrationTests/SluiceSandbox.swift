import Foundation
import Testing

/// sluice installed by `scripts/install` under a real systemd (`scripts/sandbox`: systemd as PID 1 in private
/// namespaces), for the end-to-end tests of the unit: `systemctl`, `journalctl` and signals act on the real unit.
///
/// Inside, `/usr/local` is a folder of the host's checkout (`.sandbox/NAME/usr-local`), and `/etc`, `/run` and the
/// journal are the sandbox's own: all vanish at ``stop()``. The network is the host's, so the daemon reaches the
/// services of `scripts/services`.
final class SluiceSandbox: Sendable {
    let name: String

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("scripts/sandbox")

    /// The output of a command that ran inside.
    typealias Run = ProcessRun

    /// A command inside failed.
    struct CommandFailed: Error, CustomStringConvertible {
        var command: [String]
        var run: Run
        var description: String {
            "`\(command.joined(separator: " "))` exited \(run.status): \(run.errors)\(run.output)"
        }
    }

    private init(name: String) {
        self.name = name
    }

    /// Boots a sandbox and installs `binary` into it with `scripts/install`; each host folder of `binds` is seen
    /// inside at the path it maps to. Nil when the sandbox cannot start on this machine (not root, no sandbox
    /// tool): the reason is printed, and under `CI=true` recorded as a failure, since CI must never pass by
    /// skipping.
    static func start(
        name: String,
        binary: URL,
        binds: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> SluiceSandbox? {
        let sandbox = SluiceSandbox(name: name)
        let run = try await sandbox.script(
            ["up", "--binary", binary.path]
                + binds.sorted { $0.key < $1.key }.flatMap { ["--bind", "\($0.key):\($0.value)"] }
        )
        if run.status == 3 {
            let reason = run.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("CI=true but the systemd sandbox cannot start: \(reason)", sourceLocation: sourceLocation)
            } else {
                print("SKIPPED \(name): \(reason)")
            }
            return nil
        }
        guard run.status == 0 else { throw CommandFailed(command: ["scripts/sandbox", "up"], run: run) }
        return sandbox
    }

    /// Powers the sandbox off and removes its files; safe to call twice.
    func stop() async {
        _ = try? await script(["down"])
    }

    /// Runs `command` inside and returns its standard output; throws when it fails.
    @discardableResult
    func exec(_ command: String..., input: String? = nil) async throws -> String {
        try await exec(command, input: input)
    }

    @discardableResult
    func exec(_ command: [String], input: String? = nil) async throws -> String {
        let run = try await script(["exec"] + command, input: input)
        guard run.status == 0 else { throw CommandFailed(command: command, run: run) }
        return run.output
    }

    /// Runs `command` inside and returns how it went, whatever its status.
    func run(_ command: [String]) async throws -> Run {
        try await script(["exec"] + command)
    }

    /// Writes `text` to `path` inside, creating its folder; `mode` as chmod takes it.
    func write(_ text: String, to path: String, mode: String = "0644") async throws {
        try await exec(
            [
                "sh", "-c", "mkdir -p \"$(dirname \"$1\")\" && umask 077 && cat > \"$1\" && chmod \"$2\" \"$1\"", "sh",
                path, mode,
            ],
            input: text
        )
    }

    /// Installs a drop-in for `sluice.service` and reloads systemd.
    func dropIn(_ text: String, named name: String = "test") async throws {
        try await write(text, to: "/run/systemd/system/sluice.service.d/\(name).conf")
        try await exec("systemctl", "daemon-reload")
    }

    /// `systemctl show` of the unit: the properties asked for, by name.
    func show(_ properties: String...) async throws -> [String: String] {
        let output = try await exec(["systemctl", "show", "sluice", "-p", properties.joined(separator: ",")])
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The journal entries `journalctl -o json` gives for `arguments` (e.g. `["-u", "sluice", "MIGRATION=007"]`),
    /// each as its fields; fields that journald keeps as bytes are left out.
    func journal(_ arguments: [String]) async throws -> [[String: String]] {
        let output = try await exec(["journalctl", "--no-pager", "-o", "json"] + arguments)
        return output.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return object.compactMapValues { $0 as? String }
        }
    }

    private func script(_ arguments: [String], input: String? = nil) async throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_SANDBOX_NAME"] = name
        return try await ProcessRun.run(Self.script, arguments, environment: environment, input: input)
    }
}
