import Testing

@testable import Migrations

@Suite struct MigrationNamingTests {
    @Test func versions() {
        #expect(MigrationVersion("007") == MigrationVersion(7))
        #expect(MigrationVersion("7") == MigrationVersion(7))
        #expect(MigrationVersion(7).description == "007")
        #expect(MigrationVersion(1234).description == "1234")
        #expect(MigrationVersion(2) < MigrationVersion(10))
        for text in ["", "0", "000", "-1", "7a", " 7", "٧"] {
            #expect(MigrationVersion(text) == nil, "\(text)")
        }
    }

    @Test func fileNames() throws {
        let name = try MigrationFileName(parsing: "007_normalize_project_names.cypher")
        #expect(name == MigrationFileName(version: MigrationVersion(7), name: "normalize_project_names"))
        #expect(name.fileName() == "007_normalize_project_names.cypher")
        #expect(name.fileName(digits: 4) == "0007_normalize_project_names.cypher")
        #expect(MigrationFileName.isValidName("add_v2_index"))
        for bad in ["", "Add", "add-index", "add__index", "_add", "add_", "2fa", "äpfel"] {
            #expect(!MigrationFileName.isValidName(bad), "\(bad)")
        }
    }

    @Test func theTemplateIsAValidMigrationThatKeepsItsOwnBookkeeping() throws {
        let fileName = MigrationFileName(version: MigrationVersion(9), name: "normalize_names")
        let file = try parse(MigrationTemplate.text(for: fileName), name: fileName.fileName())
        #expect(file.version == MigrationVersion(9))
        #expect(file.description.hasPrefix("TODO"))
        #expect(file.up.dataSteps.first?.change.contains("_sluice_m009") == true)
        #expect(file.finalize?.dataSteps.first?.change == "REMOVE n._sluice_m009")
        for direction in [file.up, file.down] {
            let verify = try #require(direction.verify)
            #expect(try #require(direction.dataSteps.first).isCountedToZero(by: verify), "no re-plan once it passes")
        }
    }
}
