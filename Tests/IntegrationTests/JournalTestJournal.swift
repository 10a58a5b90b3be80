import Foundation
import Testing

/// The standalone journald `scripts/services start journald` runs, read back with `journalctl`.
///
/// Entries go in through libsystemd's fixed socket (/run/systemd/journal/socket); the journal files
/// land in `SLUICE_TEST_JOURNAL`. Without it the test is skipped with a printed line, except under
/// `CI=true`, where it fails: CI must never pass by skipping.
struct JournalTestJournal: CustomStringConvertible {
    /// One journal entry: each field's values (a field may occur more than once), as text.
    typealias Entry = [String: [String]]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let directory: String

    var description: String { "the journal in \(directory)" }

    /// The journal, or nil (test skipped, said so) when it is not configured outside CI.
    static func fromEnvironment(sourceLocation: SourceLocation = #_sourceLocation) -> JournalTestJournal? {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["SLUICE_TEST_JOURNAL"], !directory.isEmpty else {
            let reason = "journald: SLUICE_TEST_JOURNAL is not set (run the tests through scripts/test)"
            if environment["CI"] == "true" {
                Issue.record("CI=true but \(reason)", sourceLocation: sourceLocation)
            } else {
                print("SKIPPED on \(reason)")
            }
            return nil
        }
        return JournalTestJournal(directory: directory)
    }

    /// A value no other test run uses, for a field that singles out this test's entries.
    static func uniqueToken() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// The entries with `field=value`, oldest first, once there are `count` of them; journald
    /// writes asynchronously, so this polls for up to `timeout`.
    func entries(
        where field: String,
        is value: String,
        count: Int,
        timeout: Duration = .seconds(5)
    ) async throws -> [Entry] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let entries = try await read(["\(field)=\(value)"])
            if entries.count >= count || ContinuousClock.now >= deadline {
                return entries
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// `journalctl --directory ... -o json --all` with the given matches, decoded.
    private func read(_ matches: [String]) async throws -> [Entry] {
        let output = try await Self.journalctl(
            ["--directory", directory, "-o", "json", "--all", "--no-pager"] + matches
        )
        return try output.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure(description: "journalctl printed a line that is not a JSON object: \(line)")
            }
            return object.mapValues(Self.values)
        }
    }

    /// journalctl's JSON spells a printable value as a string, any other as an array of byte values,
    /// a field that occurs several times as an array of those, and an unreadable one as null.
    private static func values(_ json: Any) -> [String] {
        switch json {
        case let text as String:
            return [text]
        case let array as [Any] where array.allSatisfy({ $0 is NSNumber }):
            return [String(decoding: array.map { ($0 as! NSNumber).uint8Value }, as: UTF8.self)]
        case let array as [Any]:
            return array.flatMap(values)
        default:
            return []
        }
    }

    /// Runs `journalctl` with the arguments; its standard output, or an error with its standard error.
    static func journalctl(_ arguments: [String]) async throws -> String {
        let run = try await ProcessRun.run(URL(fileURLWithPath: "/usr/bin/env"), ["journalctl"] + arguments)
        guard run.status == 0 else {
            throw Failure(
                description: "journalctl \(arguments.joined(separator: " ")) exited with \(run.status): \(run.errors)"
            )
        }
        return run.output
    }
}
