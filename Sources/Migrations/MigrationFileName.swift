/// The name of a migration file, `NNN_snake_name.cypher`: its version and its name.
///
/// The file name is the only place a migration's version and name are written, so that a copied or
/// renamed file cannot say one thing in its name and another inside.
public struct MigrationFileName: Sendable, Hashable {
    public static let fileExtension = "cypher"

    public let version: MigrationVersion
    public let name: String

    public init(version: MigrationVersion, name: String) {
        self.version = version
        self.name = name
    }

    /// Parses `007_normalize_project_names.cypher` (a file name, not a path).
    public init(parsing fileName: String) throws(MigrationError.Reason) {
        let suffix = "." + Self.fileExtension
        guard fileName.hasSuffix(suffix) else { throw .invalidFileName(fileName) }
        let stem = fileName.dropLast(suffix.count)
        guard let underscore = stem.firstIndex(of: "_"),
            let version = MigrationVersion(stem[..<underscore])
        else { throw .invalidFileName(fileName) }
        let name = String(stem[stem.index(after: underscore)...])
        guard Self.isValidName(name) else { throw .invalidFileName(fileName) }
        self.init(version: version, name: name)
    }

    /// Whether `name` is snake case: lower-case ASCII letters and digits in words joined by single
    /// underscores, starting with a letter (`normalize_project_names`).
    public static func isValidName(_ name: String) -> Bool {
        let words = name.split(separator: "_", omittingEmptySubsequences: false)
        guard let first = words.first?.first, first.isASCII, first.isLowercase else { return false }
        return words.allSatisfy { word in
            !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        }
    }

    /// Whether a file in the migrations folder is meant as a migration: every `.cypher` file is, so a
    /// misnamed one (`7-normalize.cypher`) is reported instead of silently left out.
    public static func looksLikeMigration(_ fileName: String) -> Bool {
        fileName.hasSuffix("." + fileExtension)
    }

    /// `007_normalize_project_names.cypher`, the version with at least `digits` digits.
    public func fileName(digits: Int = 3) -> String {
        let number = String(version.number)
        return String(repeating: "0", count: max(0, digits - number.count)) + number + "_" + name + "."
            + Self.fileExtension
    }
}
