import Foundation
import Testing

@testable import Migrations

@Suite struct MigrationCatalogTests {
    @Test func sortedByVersionWithGapsAndNonMigrationsLeftOut() throws {
        try withTemporaryFolder { folder in
            try write(minimalMigration, to: folder + "/010_ten.cypher")
            try write(minimalMigration, to: folder + "/2_two.cypher")
            try write(minimalMigration, to: folder + "/001_one.cypher")
            try write("notes", to: folder + "/README.md")
            try write("*.cypher text eol=lf", to: folder + "/.gitattributes")
            try FileManager.default.createDirectory(atPath: folder + "/drafts", withIntermediateDirectories: false)
            let catalog = try MigrationCatalog.load(folder: folder)
            #expect(catalog.migrations.map(\.version.number) == [1, 2, 10])
            #expect(catalog.migrations.map(\.name) == ["one", "two", "ten"])
            #expect(catalog.migrations[1].path == folder + "/2_two.cypher")
            #expect(catalog.ignored == [folder + "/README.md", folder + "/drafts"])
            #expect(catalog.migration(MigrationVersion(10))?.name == "ten")
            #expect(catalog.migration(MigrationVersion(3)) == nil)
        }
    }

    /// A job needs only its own file: the others' problems come back beside it instead of failing the lookup.
    @Test func oneMigrationIsReadWithoutTheOtherFilesProblems() throws {
        try withTemporaryFolder { folder in
            try write(minimalMigration, to: folder + "/001_one.cypher")
            try write("// sluice:description no sections", to: folder + "/010_oops.cypher")
            try write(minimalMigration, to: folder + "/Oops.cypher")
            try write(minimalMigration, to: folder + "/012_a.cypher")
            try write(minimalMigration, to: folder + "/12_b.cypher")
            let found = try MigrationCatalog.migration(MigrationVersion(1), folder: folder)
            #expect(found.migration?.path == folder + "/001_one.cypher")
            #expect(
                Set(found.otherProblems.map(\.path)) == [
                    folder + "/010_oops.cypher", folder + "/Oops.cypher", folder + "/12_b.cypher",
                ]
            )
            #expect(throws: InvalidMigrations.self) { try MigrationCatalog.load(folder: folder) }
            #expect(try MigrationCatalog.migration(MigrationVersion(2), folder: folder).migration == nil)
        }
    }

    /// The job's own file invalid, or its version held by two files, still fails the lookup, naming only that file.
    @Test func oneMigrationThatIsInvalidOrAmbiguousIsRefused() throws {
        try withTemporaryFolder { folder in
            try write("// sluice:description no sections", to: folder + "/010_oops.cypher")
            try write(minimalMigration, to: folder + "/007_first.cypher")
            try write(minimalMigration, to: folder + "/7_second.cypher")
            try write(minimalMigration, to: folder + "/001_one.cypher")
            for (version, path) in [(10, "/010_oops.cypher"), (7, "/7_second.cypher")] {
                #expect {
                    try MigrationCatalog.migration(MigrationVersion(version), folder: folder)
                } throws: { error in
                    Set(((error as? InvalidMigrations)?.errors ?? []).map(\.path)) == [folder + path]
                }
            }
            #expect(throws: InvalidMigrations.self) {
                try MigrationCatalog.migration(MigrationVersion(1), folder: folder + "/missing")
            }
        }
    }

    @Test func duplicateVersionsNameBothFiles() throws {
        try withTemporaryFolder { folder in
            try write(minimalMigration, to: folder + "/007_first.cypher")
            try write(minimalMigration, to: folder + "/7_second.cypher")
            try write(minimalMigration, to: folder + "/008_fine.cypher")
            #expect {
                try MigrationCatalog.load(folder: folder)
            } throws: { error in
                let errors = (error as? InvalidMigrations)?.errors ?? []
                return errors.map(\.description) == [
                    "\(folder)/7_second.cypher: version 007 is also used by \(folder)/007_first.cypher: each version must be unique"
                ]
            }
        }
    }

    @Test func everyProblemInTheFolderAtOnce() throws {
        try withTemporaryFolder { folder in
            try write(minimalMigration, to: folder + "/001_one.cypher")
            try write(minimalMigration, to: folder + "/1_again.cypher")
            try write(
                minimalMigration.replacingOccurrences(of: "// sluice:description", with: "// description"),
                to: folder + "/002_two.cypher"
            )
            try write(minimalMigration, to: folder + "/3-three.cypher")
            #expect {
                try MigrationCatalog.load(folder: folder)
            } throws: { error in
                let errors = (error as? InvalidMigrations)?.errors ?? []
                return errors.map(\.reason) == [
                    .missingDescription,
                    .duplicateVersion(MigrationVersion(1), otherPath: folder + "/001_one.cypher"),
                    .invalidFileName("3-three.cypher"),
                ]
            }
        }
    }

    @Test func missingFolder() {
        #expect {
            try MigrationCatalog.load(folder: "/nonexistent/sluice-migrations")
        } throws: { error in
            "\(error)" == "/nonexistent/sluice-migrations: cannot read: no such folder"
        }
    }

    @Test func emptyFolderIsAnEmptyCatalog() throws {
        try withTemporaryFolder { folder in
            let catalog = try MigrationCatalog.load(folder: folder)
            #expect(catalog.migrations.isEmpty)
        }
    }
}
