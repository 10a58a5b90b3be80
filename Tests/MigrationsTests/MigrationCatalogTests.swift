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
