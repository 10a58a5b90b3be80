import ArgumentParser
import Daemon
import Foundation
import Migrations

/// Where the migration files are: `--migrations`, then `SLUICE_MIGRATIONS`, then the configuration file's folder
/// (commands with `--config`), then `./migrations`, then
/// the folder a package installs them to.
struct MigrationsOptions: ParsableArguments {
    /// Where a package installs a project's migrations, read when there is no `./migrations`.
    static let installedFolder = MigrationsFolder.installed

    @Option(
        name: .customLong("migrations"),
        help: ArgumentHelp(
            "Folder of migration files (env SLUICE_MIGRATIONS; default: given --config, its [migrations] folder; "
                + "else ./migrations, then \(installedFolder)).",
            valueName: "dir"
        )
    )
    var folder: String?

    private func explicitFolder(_ environment: [String: String]) -> String? {
        (folder ?? environment["SLUICE_MIGRATIONS"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The folder to read migrations from; `configured` is the daemon's configuration's `[migrations] folder`, for
    /// commands that read the files as the daemon does.
    func folderToRead(
        configured: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        MigrationsFolder.toRead(explicit: explicitFolder(environment) ?? configured)
    }

    /// ``folderToRead(configured:environment:)`` when it exists; else one line saying where it looked and how to name
    /// or make one (not a file problem followed by a summary of one problem).
    func existingFolderToRead(configured: String? = nil) throws -> String {
        let folder = folderToRead(configured: configured)
        guard FileManager.default.fileExists(atPath: folder) else {
            let named = explicitFolder(ProcessInfo.processInfo.environment) ?? configured
            throw CommandError(
                named == nil
                    ? "no migrations folder: neither ./migrations nor \(Self.installedFolder) exists; name one with "
                        + "--migrations or SLUICE_MIGRATIONS, or create ./migrations with `sluice new NAME`"
                    : "no migrations folder \(folder) (named by --migrations, SLUICE_MIGRATIONS or [migrations] "
                        + "folder): no such folder"
            )
        }
        return folder
    }

    /// The folder `sluice new` writes to: the one named (flag, variable, `configured`), else `./migrations`, never
    /// the installed one by default, which belongs to the package.
    func folderToWrite(
        configured: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        explicitFolder(environment) ?? configured ?? "migrations"
    }

    /// The folder's migrations; when any file is invalid, prints every problem (`file:line: reason`) and
    /// fails.
    func loadCatalog(configured: String? = nil) throws -> MigrationCatalog {
        let folder = try existingFolderToRead(configured: configured)
        do {
            return try MigrationCatalog.load(folder: folder)
        } catch {
            var output = StandardOutput.error
            output.write(error.description + "\n")
            throw Self.failure(error, folder: folder)
        }
    }

    /// The one-line summary a command fails with after printing `invalid`'s errors.
    static func failure(_ invalid: InvalidMigrations, folder: String) -> CommandError {
        let files = Set(invalid.errors.map(\.path)).count
        let problems = invalid.errors.count == 1 ? "1 problem" : "\(invalid.errors.count) problems"
        return CommandError("\(problems) in \(files == 1 ? "1 file" : "\(files) files") of \(folder)")
    }
}
