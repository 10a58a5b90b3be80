import ArgumentParser
import Bolt
import Foundation

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Runs Neo4j graph migrations as resumable, throttled batch jobs.",
        subcommands: [
            DaemonCommand.self, ConfigCommand.self, CypherCommand.self, RunCommand.self, DBCommand.self,
            ScheduleCommand.self, NewCommand.self, CheckCommand.self, ListCommand.self,
        ]
    )

    /// Parses and runs a command; failures of sluice's own print as one line and exit with status 1,
    /// usage errors as ArgumentParser reports them.
    static func main() async {
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
            exit(withError: error)
        }
    }

    private static func fail(_ message: String) -> Never {
        var standardError = StandardOutput.error
        standardError.write("sluice: error: \(message)\n")
        Foundation.exit(1)
    }
}
