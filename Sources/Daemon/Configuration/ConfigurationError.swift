/// Why the configuration cannot be used; each names where the bad value was written, so the fix is one edit.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not TOML sluice understands.
    case syntax(path: String, TOMLError)
    /// A section or key sluice does not know (a typo would otherwise be ignored silently).
    case unknownKey(path: String, line: Int, key: String, known: [String])
    /// A value of the wrong type or out of range: `where` is `FILE:LINE` or `environment NAME`.
    case invalidValue(source: SettingSource, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read configuration \(path): \(reason)"
        case .syntax(let path, let error):
            "\(path):\(error.line): \(error.reason)"
        case .unknownKey(let path, let line, let key, let known):
            "\(path):\(line): unknown setting \(key)"
                + (known.isEmpty ? "" : " (known here: \(known.joined(separator: ", ")))")
        case .invalidValue(let source, let key, let reason):
            switch source {
            case .file(let path, let line): "\(path):\(line): \(key): \(reason)"
            default: "\(source): \(key): \(reason)"
            }
        }
    }
}
