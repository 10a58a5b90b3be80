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
                [.waiting, .waitOver, .credentialsRefused, .postgresRefused, .workerShared].contains(id)
                ? " sluice: sluice " : " sluice: sluice job @SLUICE_JOB@"
            #expect(line?.contains(subject) == true, "\(id): \(line ?? "not listed")")
            let entry = try await JournalTestJournal.journalctl(["--root", root.path, "--dump-catalog", id.rawValue])
            #expect(entry.contains("Defined-By: sluice"), "\(id): \(entry)")
        }
    }
}
