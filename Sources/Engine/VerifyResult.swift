import Bolt
import Migrations

/// What a migration's verify query answered: `ok` and every other column, for the operator to read.
public struct VerifyResult: Sendable, Hashable, CustomStringConvertible {
    public var passed: Bool
    /// The first row's columns in the query's order; empty when it returned no row.
    public var columns: [String]
    public var values: [BoltValue]

    public init(passed: Bool, columns: [String], values: [BoltValue]) {
        self.passed = passed
        self.columns = columns
        self.values = values
    }

    /// The first row as a map of its columns (null when the query returned no row), for `--json` output.
    public var answer: BoltValue {
        guard !columns.isEmpty else { return .null }
        return .map(Dictionary(zip(columns, values)) { first, _ in first })
    }

    /// `ok=false, unparsed=2`: the query's answer, as a job's error quotes it.
    public var description: String {
        guard !columns.isEmpty else { return "no row returned" }
        return zip(columns, values).map { "\($0)=\($1)" }.joined(separator: ", ")
    }

    /// Runs `query` (with the job's bound parameters) and reads its `ok` column: true passes, anything
    /// else (false, null, a missing column, no row) fails.
    public static func run(
        _ query: MigrationQuery,
        connection: BoltConnection,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions
    ) async throws(EngineError) -> VerifyResult {
        let records: [BoltRecord]
        do {
            records = try await connection.run(query.text, parameters: parameters, options: options).collect()
        } catch .server(let error) {
            throw .migration("verify query (line \(query.line)) failed: \(error.message)")
        } catch {
            throw .bolt(error)
        }
        guard let record = records.first else { return VerifyResult(passed: false, columns: [], values: []) }
        return VerifyResult(passed: record["ok"]?.boolValue == true, columns: record.keys, values: record.values)
    }
}
