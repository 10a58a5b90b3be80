import Foundation

@testable import Migrations

/// A complete, valid migration file, to which tests add or change one thing; what they append starts on line 19.
let minimalMigration = """
    // sluice:description Marks every Thing.

    // sluice:up data
    MATCH (t:Thing)
    WHERE t.marked IS NULL
    SET t.marked = true

    // sluice:up verify
    MATCH (t:Thing) WHERE t.marked IS NULL RETURN count(t) = 0 AS ok

    // sluice:down data
    MATCH (t:Thing)
    WHERE t.marked IS NOT NULL
    REMOVE t.marked

    // sluice:down verify
    MATCH (t:Thing) WHERE t.marked IS NOT NULL RETURN count(t) = 0 AS ok


    """

/// Parses `text` as the file `migrations/<name>`.
func parse(_ text: String, name: String = "001_test.cypher") throws -> MigrationFile {
    try MigrationParser.parse(Array(text.utf8), path: "migrations/" + name)
}

/// The errors parsing `text` reports, as (line, reason); empty when it parses.
func problems(_ text: String, name: String = "001_test.cypher") -> [(line: Int?, reason: MigrationError.Reason)] {
    do {
        _ = try MigrationParser.parse(Array(text.utf8), path: "migrations/" + name)
        return []
    } catch {
        return error.errors.map { ($0.line, $0.reason) }
    }
}

/// The repository's own `migrations/` folder.
let repositoryMigrations = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("migrations").path

/// A fresh, empty folder under the temporary directory, removed by `body`'s end.
func withTemporaryFolder<T>(_ body: (String) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-migrations-\(UUID())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try body(folder)
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

extension String {
    /// Whitespace runs as single spaces, for comparing Cypher laid out differently.
    var collapsingWhitespace: String {
        split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
