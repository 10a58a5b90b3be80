import Foundation

/// The migrations of one folder, in version order.
///
/// Loading reads and checks every file and reports every problem at once. Files that are not
/// `.cypher` are left out (hidden files silently, others listed in ``ignored`` so that `sluice check`
/// can mention them); a `.cypher` file with a name that is not `NNN_snake_name.cypher` is an error,
/// because silently leaving out a migration is worse than refusing to start. Gaps between versions
/// are allowed (branches merge); two files with one version are not.
public struct MigrationCatalog: Sendable {
    public let folder: String
    /// Sorted by version, versions unique.
    public let migrations: [MigrationFile]
    /// Paths of files in the folder that are not migrations.
    public let ignored: [String]

    /// A catalog of `migrations`; refuses two migrations with one version, naming both files.
    public init(folder: String, migrations: [MigrationFile], ignored: [String] = []) throws(InvalidMigrations) {
        let sorted = migrations.sorted { ($0.version, $0.path) < ($1.version, $1.path) }
        var errors: [MigrationError] = []
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            errors.append(
                MigrationError(
                    path: next.path,
                    line: nil,
                    reason: .duplicateVersion(next.version, otherPath: previous.path)
                )
            )
        }
        guard errors.isEmpty else { throw InvalidMigrations(errors) }
        self.folder = folder
        self.migrations = sorted
        self.ignored = ignored
    }

    /// Reads every migration in `folder`.
    public static func load(folder: String) throws(InvalidMigrations) -> MigrationCatalog {
        let read = try read(folder: folder)
        let catalog: MigrationCatalog
        do {
            catalog = try MigrationCatalog(folder: folder, migrations: read.migrations, ignored: read.ignored)
        } catch {
            throw InvalidMigrations(read.errors + error.errors)
        }
        guard read.errors.isEmpty else { throw InvalidMigrations(read.errors) }
        return catalog
    }

    /// The migration with `version` in `folder`, read for a job that needs only that file: a problem in another
    /// file (one that does not parse, a misnamed one, two files sharing another version) does not stop it and is
    /// returned in `otherProblems` instead, so that a file added to the folder during a long job cannot fail it.
    ///
    /// Throws when the folder cannot be listed, when a file of `version` (by the number its name starts with) is
    /// unreadable or invalid, or when two files hold `version`. `migration` is nil when no file has it.
    public static func migration(
        _ version: MigrationVersion,
        folder: String
    ) throws(InvalidMigrations) -> (migration: MigrationFile?, otherProblems: [MigrationError]) {
        let read = try read(folder: folder)
        let isOwn = { (path: String) in Self.leadingVersion(ofPath: path) == version }
        let own = read.migrations.filter { $0.version == version }
        var problems = read.errors.filter { isOwn($0.path) }
        do {
            _ = try MigrationCatalog(folder: folder, migrations: own)
        } catch {
            problems += error.errors
        }
        guard problems.isEmpty else { throw InvalidMigrations(problems) }
        var otherProblems = read.errors.filter { !isOwn($0.path) }
        do {
            _ = try MigrationCatalog(folder: folder, migrations: read.migrations.filter { $0.version != version })
        } catch {
            otherProblems += error.errors
        }
        return (own.first, InvalidMigrations(otherProblems).errors)
    }

    /// The version a file's name starts with (`010` in `010_oops.cypher`, also when the rest of the name is
    /// invalid), or nil when it starts with none.
    private static func leadingVersion(ofPath path: String) -> MigrationVersion? {
        let name = path.split(separator: "/").last ?? ""
        return MigrationVersion(name.prefix { $0.isASCII && $0.isNumber })
    }

    /// Every `.cypher` file of `folder` parsed: the migrations that parsed, the other files, and every file's
    /// problems. Throws only when the folder cannot be listed.
    private static func read(
        folder: String
    ) throws(InvalidMigrations) -> (migrations: [MigrationFile], ignored: [String], errors: [MigrationError]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw InvalidMigrations([MigrationError(path: folder, line: nil, reason: .unreadable(Self.reason(error)))])
        }
        var migrations: [MigrationFile] = []
        var ignored: [String] = []
        var errors: [MigrationError] = []
        for name in names where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard exists, !isDirectory.boolValue, MigrationFileName.looksLikeMigration(name) else {
                ignored.append(path)
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                errors.append(
                    MigrationError(path: path, line: nil, reason: .unreadable("permission denied or not a file"))
                )
                continue
            }
            do {
                migrations.append(try MigrationParser.parse(Array(data), path: path))
            } catch {
                errors += error.errors
            }
        }
        return (migrations, ignored, errors)
    }

    /// The migration with `version`, if the folder has it.
    public func migration(_ version: MigrationVersion) -> MigrationFile? {
        migrations.first { $0.version == version }
    }

    /// Each migration's state given what was applied: see ``MigrationStatus/classify(files:applied:)``.
    public func statuses(applied: [AppliedMigration]) -> [MigrationStatus] {
        MigrationStatus.classify(files: migrations, applied: applied)
    }

    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSCocoaErrorDomain, error.code == NSFileReadNoSuchFileError { return "no such folder" }
        return error.localizedDescription
    }
}
