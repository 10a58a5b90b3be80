import Foundation
import Systemd
import Testing

/// systemd's own parser reads `systemd/sluice.catalog`: `journalctl --update-catalog` into a private
/// root (never the host's catalog database), then every message id must be listed with its subject.
@Suite struct JournalCatalogTests {
    @Test func journalctlParsesAnEntryForEveryMessageID() async throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-catalog-\(JournalTestJournal.uniqueToken())")
        let catalogs = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: catalogs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(
            at: repository.appendingPathComponent("systemd/sluice.catalog"),
            to: catalogs.appendingPathComponent("sluice.catalog")
        )
        print("RAN \(#function) with journalctl --root \(root.path)")

        _ = try await JournalTestJournal.journalctl(["--root", root.path, "--update-catalog"])
        let listed = try await JournalTestJournal.journalctl(["--root", root.path, "--list-catalog"])
            .split(separator: "\n")
        #expect(listed.count == SluiceMessageID.allCases.count, "\(listed)")
        for id in SluiceMessageID.allCases {
            let line = listed.first { $0.hasPrefix(id.rawValue + " ") }
            // Job events name their job in the subject; the daemon's waits may come with no job at all.
            let subject =
                [
                    .waiting, .waitOver, .credentialsRefused, .postgresRefused, .workerShared, .daemonStarted,
                    .daemonStopping, .daemonStopped, .configurationReloaded, .reloadNeedsRestart,
                ].contains(id)
                ? " sluice: sluice " : " sluice: sluice job @SLUICE_JOB@"
            #expect(line?.contains(subject) == true, "\(id): \(line ?? "not listed")")
            let entry = try await JournalTestJournal.journalctl(["--root", root.path, "--dump-catalog", id.rawValue])
            #expect(entry.contains("Defined-By: sluice"), "\(id): \(entry)")
        }
    }

    /// The README's journal table lists every id by its hex, the only spelling `journalctl MESSAGE_ID=` matches (it
    /// named one by its Swift name before, and left eight out).
    @Test func theReadmeListsEveryMessageIDByItsHex() throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("  | ") }
        for id in SluiceMessageID.allCases {
            #expect(rows.contains { $0.contains("| `\(id.rawValue)` |") }, "\(id) has no row in the README's table")
        }
        let named = readme.matches(of: /MESSAGE_ID `([^`]*)`/).map { String($0.output.1) }
        #expect(named.allSatisfy { SluiceMessageID(rawValue: $0) != nil }, "not an id journalctl matches: \(named)")
    }
}
