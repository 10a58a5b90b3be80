import ArgumentParser
import Bolt
import Foundation

/// `sluice cypher`: runs one query and prints its records and counters.
struct CypherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cypher",
        abstract: "Run one Cypher query and print its records and update counters.",
        discussion: """
            Records print as a table (column widths from the first 1,000 rows), or with --json as one JSON \
            object per line, streamed; the counters then go to standard error.

            Examples:
              sluice cypher "RETURN 1 AS x"
              sluice cypher --param name='"Ada"' --param n=3 'UNWIND range(1, $n) AS i RETURN $name, i'
            """
    )

    @OptionGroup var graph: GraphOptions
    @OptionGroup var file: ConfigFileOptions

    @Flag(help: "Print records as JSON lines, one object per record.")
    var json = false

    @Option(
        name: .customLong("param"),
        help: ArgumentHelp(
            "A query parameter as NAME=VALUE; repeatable.",
            discussion: "VALUE is read as JSON when it is JSON (42, 1.5, true, null, \"text\", [1,2], {\"a\":1}), "
                + "otherwise as a string."
        )
    )
    var parameters: [String] = []

    @Argument(help: "The Cypher query.")
    var query: String

    func run() async throws {
        let parameters = try parsedParameters()
        try await graph.withConnection(configuration: try file.daemonConfiguration()) { connection, resolved in
            let result = try await connection.run(
                query,
                parameters: parameters,
                options: BoltTransactionOptions(database: resolved.database)
            )
            var output = StandardOutput()
            let rows = try await json ? printJSONLines(result, to: &output) : ResultTable.print(result, to: &output)
            let summary = try await result.summary()
            var report = json ? StandardOutput.error : output
            report.write(rows == 1 ? "1 row\n" : "\(rows) rows\n")
            for (name, value) in summary.counters.nonZero {
                report.write("\(name): \(value)\n")
            }
        }
    }

    private func parsedParameters() throws -> [String: BoltValue] {
        var parsed: [String: BoltValue] = [:]
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CommandError("invalid --param '\(parameter)': expected NAME=VALUE")
            }
            parsed[String(parts[0])] = BoltValue(parameterText: String(parts[1]))
        }
        return parsed
    }

    private func printJSONLines(_ result: BoltResult, to output: inout StandardOutput) async throws -> Int {
        var rows = 0
        for try await record in result {
            let object = BoltValue.map(Dictionary(uniqueKeysWithValues: zip(record.keys, record.values)))
            output.write(object.jsonText + "\n")
            rows += 1
        }
        return rows
    }
}
