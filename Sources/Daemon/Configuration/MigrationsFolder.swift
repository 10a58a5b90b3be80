import Foundation

/// Where migration files are read from: a folder named explicitly (flag, `SLUICE_MIGRATIONS`, `[migrations]
/// folder`), else `./migrations`, else the folder a package installs them to (a daemon under systemd runs in `/`).
public enum MigrationsFolder {
    /// Where a package installs a project's migrations.
    public static let installed = "/usr/share/sluice/migrations"

    /// The folder to read: `explicit` when given, else `./migrations` when it exists, else ``installed`` when that
    /// exists, else `migrations` (whose absence the error then names).
    public static func toRead(explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: "migrations"), fileManager.fileExists(atPath: installed) {
            return installed
        }
        return "migrations"
    }
}
