import ArgumentParser
import Daemon
import Foundation
import JobStore
import Systemd

/// `sluice config check`: reads the configuration as the daemon would and prints what is in force, secrets masked,
/// with where each value came from. A bad value fails with its file, line and key.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print the effective configuration (secrets masked) and where each value came from.",
        discussion: """
            The file is --config, else SLUICE_CONFIG, else \(DaemonConfiguration.defaultPath) when present. Each \
            setting's environment variable overrides the file. The output is itself a valid configuration file. \
            Exit status 1, with FILE:LINE: [section] key: reason, when a value is invalid. With --quiet it prints \
            nothing when the configuration is valid: the unit's ExecReload= runs it so that `systemctl reload` fails \
            on a file with an error (the daemon would keep its settings and say so only in the journal).
            """
    )

    @OptionGroup var file: ConfigFileOptions

    @Flag(help: "Print nothing when the configuration is valid; errors (status 1) and warnings still go to stderr.")
    var quiet = false

    func run() throws {
        var output = StandardOutput()
        let configuration = try file.daemonConfiguration(readingPassword: true)
        do {
            try configuration.checkMigrationsFolder()
        } catch {
            throw CommandError(error.description)
        }
        if let warning = Self.passwordFileWarning(configuration) {
            var errors = StandardOutput.error
            errors.write("\(SluiceLogging.stderrPrefix(for: .warning))warning: \(warning)\n")
        }
        if quiet { return }
        output.write(Self.render(configuration))
        for caution in configuration.cautions {
            output.write("# caution: \(caution)\n")
        }
    }

    /// Run as root, the check reads a password file that the shipped unit's daemon cannot: `DynamicUser=yes` gives it
    /// a user of its own, which reads only what any user may, so the reload or restart the check approved fails with
    /// "permission denied". Said even with `--quiet` (how an operator checks before a reload), but not an error: the
    /// file serves `sluice` run outside systemd, or a unit with a fixed `User=` that can read it.
    static func passwordFileWarning(_ configuration: DaemonConfiguration) -> String? {
        guard getuid() == 0, let path = configuration.graph.passwordFile, !SecretFile.isReadableByAnyUser(path) else {
            return nil
        }
        let source = configuration.effective.first { $0.setting == .graphPasswordFile }?.source ?? .defaultValue
        return "\(source): \(Setting.graphPasswordFile.name): \(path) is read by root here, but not by the user the "
            + "shipped unit allocates (DynamicUser=yes), so its daemon cannot start or reload with it: under the unit "
            + "put the password in /etc/sluice/credentials/bolt-password and remove password_file"
    }

    /// The settings as TOML, each line commented with its source and environment variable.
    static func render(_ configuration: DaemonConfiguration) -> String {
        var lines = [
            "# sluice configuration in force; file: \(configuration.path ?? "none (defaults and environment)")"
        ]
        var section = ""
        let width = configuration.effective.map { $0.setting.key.count + 5 + $0.displayValue.count }.max() ?? 0
        for entry in configuration.effective {
            if entry.setting.section != section {
                section = entry.setting.section
                lines.append("")
                lines.append("[\(section)]")
            }
            // Run by hand, the check derives a worker identity of its own process, which no daemon has.
            let perProcess =
                entry.setting == .daemonWorker && entry.source == .defaultValue
                && WorkerIdentity.unit().hasPrefix("pid-")
            // The password is shown as a comment: it is never read from the file; so is a per-process worker, which
            // would pin every daemon given this output to one identity.
            let commented = !entry.setting.isFileKey || perProcess
            let assignment = (commented ? "# " : "") + "\(entry.setting.key) = \(entry.displayValue)"
            let padding = String(repeating: " ", count: max(1, width - assignment.count + 2))
            lines.append("\(assignment)\(padding)# \(entry.source) (\(entry.setting.environment))")
            if entry.setting == .graphPassword, entry.source == .defaultValue {
                // Run by hand, the check sees no credentials directory; the unit's daemon has one.
                lines.append("#   under systemd the unit's credential bolt-password applies ($CREDENTIALS_DIRECTORY)")
            }
            if perProcess {
                let unit = WorkerIdentity.derived(unit: "sluice.service")
                lines.append(
                    "#   this check's own; the unit's daemon is \(unit), one started by hand ends in pid-<its pid>"
                )
            }
            if entry.setting == .engineBatchTimeout {
                // Derived rather than set, so that it stays between batch_timeout and the watchdog's allowance.
                let bound = DurationText.format(configuration.graphAnswerTimeout)
                lines.append(
                    "#   a graph connection that hears nothing for \(bound) (this + [daemon] watchdog_margin / 2) "
                        + "while it awaits an answer is lost"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
