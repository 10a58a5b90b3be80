import ArgumentParser
import Foundation
import Migrations

/// `sluice check`: validates every migration file, offline.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate every migration file: format, steps, verify queries, versions.",
        discussion: """
            Prints each problem as FILE:LINE: REASON and exits with status 1 if there is any. Reads the files only: \
            whether a file changed after it was applied needs the applied history in the job store, which this \
            command does not read yet.
            """
    )

    @OptionGroup var migrations: MigrationsOptions
    @OptionGroup var file: ConfigFileOptions

    @Flag(help: "Print the result as one JSON object: ok, migrations, errors, ignored.")
    var json = false

    func run() throws {
        let folder = try migrations.existingFolderToRead(configured: try file.daemonConfiguration().migrationsFolder)
        let result: Result<MigrationCatalog, InvalidMigrations>
        do {
            result = .success(try MigrationCatalog.load(folder: folder))
        } catch {
            result = .failure(error)
        }
        var output = StandardOutput()
        if json {
            try output.write(Self.jsonText(result, folder: folder) + "\n")
        } else {
            switch result {
            case .success(let catalog):
                for path in catalog.ignored {
                    output.write("\(path): ignored, not a .cypher file\n")
                }
                let range = catalog.migrations.first.map { " (\($0.version) to \(catalog.migrations.last!.version))" }
                for warning in Self.templateLeftovers(catalog) {
                    output.write("\(warning)\n")
                }
                let count = catalog.migrations.count == 1 ? "1 migration" : "\(catalog.migrations.count) migrations"
                output.write("\(count) OK in \(folder)\(range ?? "")\n")
            case .failure(let invalid):
                output.write(invalid.description + "\n")
            }
        }
        if case .failure(let invalid) = result {
            throw MigrationsOptions.failure(invalid, folder: folder)
        }
    }

    /// What `sluice new`'s template left unchanged: valid, but a migration that says nothing of itself, or that
    /// changes nothing (its example label). Warnings: the files are valid, and the status stays 0.
    static func templateLeftovers(_ catalog: MigrationCatalog) -> [String] {
        catalog.migrations.flatMap { migration -> [String] in
            var warnings: [String] = []
            if migration.description.hasPrefix("TODO") {
                warnings.append("\(migration.path): warning: the description is still the template's TODO")
            }
            let steps = [MigrationDirection.Kind.up, .down].compactMap { migration.direction($0) }.flatMap(\.dataSteps)
            if steps.contains(where: { $0.pattern.labelsOrTypes.contains(MigrationTemplate.placeholderLabel) }) {
                warnings.append(
                    "\(migration.path): warning: a data step still matches the template's label "
                        + "\(MigrationTemplate.placeholderLabel), which no graph has: it changes nothing"
                )
            }
            return warnings
        }
    }

    private struct Report: Encodable {
        struct Migration: Encodable {
            var version: MigrationVersion
            var name: String
            var path: String
            var checksum: String
        }

        struct Problem: Encodable {
            var path: String
            var line: Int?
            var reason: String
        }

        var folder: String
        var ok: Bool
        var migrations: [Migration]
        var errors: [Problem]
        var ignored: [String]
    }

    private static func jsonText(_ result: Result<MigrationCatalog, InvalidMigrations>, folder: String) throws -> String
    {
        let report: Report
        switch result {
        case .success(let catalog):
            let migrations = catalog.migrations.map {
                Report.Migration(version: $0.version, name: $0.name, path: $0.path, checksum: $0.checksum)
            }
            report = Report(folder: folder, ok: true, migrations: migrations, errors: [], ignored: catalog.ignored)
        case .failure(let invalid):
            let errors = invalid.errors.map {
                Report.Problem(path: $0.path, line: $0.line, reason: $0.reason.description)
            }
            report = Report(folder: folder, ok: false, migrations: [], errors: errors, ignored: [])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
