/// SQL identifiers (schema and channel names) that sluice must put into statement text, since Postgres takes no
/// parameters there. Only names matching a strict pattern are accepted, and they are quoted anyway.
public enum PostgresIdentifier {
    /// Lower-case letters, digits and `_`, starting with a letter or `_`, at most 63 bytes (Postgres's limit).
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        for (i, b) in bytes.enumerated() {
            let lower = b >= 97 && b <= 122
            let digit = b >= 48 && b <= 57
            guard lower || b == 95 || (digit && i > 0) else { return false }
        }
        return true
    }

    /// `"name"` with embedded quotes doubled.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }
}
