import ArgumentParser
import Foundation
import Migrations

/// `sluice new NAME`: writes the next migration file from the template.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create the next migration file, every part of the format explained.",
        discussion: """
            The file is numbered one past the highest version in the folder (which is created if missing) and \
            is never written over an existing file. It is valid as it is and changes nothing until edited.

            Example, creating migrations/009_normalize_project_names.cypher:
              sluice new normalize_project_names
            """
    )

    @OptionGroup var migrations: MigrationsOptions
    @OptionGroup var file: ConfigFileOptions

    @Argument(help: "The migration's name: lower-case words joined by '_' (normalize_project_names).")
    var name: String

    func run() throws {
        guard MigrationFileName.isValidName(name) else {
            let suggestion = Self.snakeCase(name)
            throw CommandError(
                "invalid name '\(name)': use lower-case letters and digits in words joined by '_', starting with a letter"
                    + (MigrationFileName.isValidName(suggestion) ? " (\(suggestion))" : "")
            )
        }
        let folder = migrations.folderToWrite(configured: try file.daemonConfiguration().migrationsFolder)
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create \(folder): \(error.localizedDescription)")
        }
        let existing = (try? fileManager.contentsOfDirectory(atPath: folder)) ?? []
        let numbers = existing.filter(MigrationFileName.looksLikeMigration).map {
            $0.prefix { $0.isASCII && $0.isNumber }
        }
        let highest = numbers.compactMap { Int($0) }.max() ?? 0
        let digits = max(3, numbers.map(\.count).max() ?? 0)
        let fileName = MigrationFileName(version: MigrationVersion(highest + 1), name: name)
        let path = folder + "/" + fileName.fileName(digits: digits)
        do {
            try Data(MigrationTemplate.text(for: fileName).utf8).write(
                to: URL(fileURLWithPath: path),
                options: .withoutOverwriting
            )
        } catch {
            throw CommandError(
                "cannot create \(path): \(fileManager.fileExists(atPath: path) ? "it exists" : error.localizedDescription)"
            )
        }
        var output = StandardOutput()
        output.write(path + "\n")
    }

    /// `Normalize Project-Names` as `normalize_project_names`, to suggest.
    private static func snakeCase(_ text: String) -> String {
        text.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "_")
    }
}
