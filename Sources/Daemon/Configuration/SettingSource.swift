/// Where a setting's effective value came from, as `sluice config check` shows it.
public enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    case defaultValue
    case file(path: String, line: Int)
    case environment(String)
    /// A secret read from a file: a systemd credential or a `*_file` setting.
    case secretFile(String)

    public var description: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path, let line): "\(path):\(line)"
        case .environment(let name): "environment \(name)"
        case .secretFile(let path): "file \(path)"
        }
    }
}
