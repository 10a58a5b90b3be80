import Testing

@testable import Migrations

@Suite struct MigrationStatusTests {
    private func file(_ version: Int, _ text: String = minimalMigration) throws -> MigrationFile {
        try parse(text, name: "\(version)_m\(version).cypher")
    }

    private func applied(_ file: MigrationFile, checksum: String? = nil) -> AppliedMigration {
        AppliedMigration(version: file.version, checksum: checksum ?? file.checksum, name: file.name)
    }

    @Test func pendingAppliedChangedAndMissing() throws {
        let one = try file(1)
        let two = try file(2)
        let three = try file(3)
        let gone = AppliedMigration(version: MigrationVersion(4), checksum: "abc", name: "deleted")
        let statuses = MigrationStatus.classify(
            files: [three, one, two],
            applied: [gone, applied(one), applied(two, checksum: "0000")]
        )
        #expect(statuses.map(\.version.number) == [1, 2, 3, 4])
        #expect(statuses.map(\.state) == [.applied, .changedAfterApply, .pending, .missingFile])
        #expect(statuses[0].file == one && statuses[0].applied == applied(one))
        #expect(statuses[2].applied == nil)
        #expect(statuses[3].file == nil && statuses[3].applied == gone)
    }

    @Test func runningWinsAndPartialCountsWhenNotApplied() throws {
        let one = try file(1)
        let two = try file(2)
        let three = try file(3)
        let statuses = MigrationStatus.classify(
            files: [one, two, three],
            applied: [applied(one)],
            running: [MigrationVersion(1)],
            partiallyApplied: [MigrationVersion(2), MigrationVersion(3)]
        )
        #expect(statuses.map(\.state) == [.running, .partiallyApplied, .partiallyApplied])
        #expect(MigrationStatus.State.partiallyApplied.rawValue == "partially applied")
    }

    @Test func nothingApplied() throws {
        let files = [try file(1), try file(5)]
        #expect(MigrationStatus.classify(files: files, applied: []).map(\.state) == [.pending, .pending])
    }

    @Test func theLastRecordOfAVersionCounts() throws {
        let one = try file(1)
        let statuses = MigrationStatus.classify(files: [one], applied: [applied(one, checksum: "old"), applied(one)])
        #expect(statuses.map(\.state) == [.applied])
    }

    /// Edited in a comment or re-saved with CRLF: changed after apply, since the checksum covers the bytes.
    @Test func anyByteChangedIsAChange() throws {
        let original = try file(1)
        let recorded = applied(original)
        for text in [minimalMigration + "// reviewed\n", minimalMigration.replacingOccurrences(of: "\n", with: "\r\n")]
        {
            let edited = try file(1, text)
            #expect(MigrationStatus.classify(files: [edited], applied: [recorded]).map(\.state) == [.changedAfterApply])
        }
    }

    @Test func catalogClassifiesItsMigrations() throws {
        let catalog = try MigrationCatalog(folder: "migrations", migrations: [try file(2), try file(1)])
        #expect(catalog.statuses(applied: [applied(try file(1))]).map(\.state) == [.applied, .pending])
    }
}
