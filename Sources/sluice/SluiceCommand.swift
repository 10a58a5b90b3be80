import ArgumentParser
import Bolt
import Daemon
import Foundation
import Logging
import Systemd

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Runs Neo4j graph migrations as resumable, throttled batch jobs.",
        version: SluiceVersion.current,
        subcommands: [
            DaemonCommand.self, ConfigCommand.self, CypherCommand.self, RunCommand.self, DBCommand.self,
            ScheduleCommand.self, NewCommand.self, CheckCommand.self, ListCommand.self, EnqueueCommand.self,
            StatusCommand.self, JobsCommand.self, PauseCommand.self, ResumeCommand.self, CancelCommand.self,
            ThrottleCommand.self, HistoryCommand.self,
            VerifyCommand.self, BaselineCommand.self, FinalizeCommand.self,
        ]
    )

    /// Parses and runs a command. Every failure prints as one line, `sluice: error: ...`: sluice's own with exit
    /// status 1, bad usage (an unknown option, a value of the wrong type) with ArgumentParser's status 64 and its
    /// message naming the option, without the usage text (`--help` has it). Help and explicit exit codes pass through.
    static func main() async {
        MallocTuning.apply()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CommandError {
            fail(error.description)
        } catch let error as BoltError {
            fail(error.description)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode {
                exit(withError: error)
            }
            fail(message(for: error), status: code.rawValue)
        }
    }

    /// Prints `message` as sluice's one-line error and exits with `status`. When stderr is the journal (the daemon or
    /// `ExecReload=`'s `config check` under systemd), the line starts with the syslog prefix `<3>`, which journald
    /// (`SyslogLevelPrefix=`, on by default) turns into priority err: the error that stops the unit or fails a reload
    /// is then seen by `journalctl -p err` and priority-based alerts, not stored at the stream's info. A terminal or a
    /// pipe gets the line unchanged.
    static func fail(_ message: String, status: Int32 = 1) -> Never {
        var standardError = StandardOutput.error
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        standardError.write("\(SluiceLogging.stderrPrefix(for: .error))sluice: error: \(line)\n")
        Foundation.exit(status)
    }
}
