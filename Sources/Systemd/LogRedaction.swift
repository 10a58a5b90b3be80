import Logging

/// Replaces the values of secret-looking metadata keys by `***` before any handler writes them.
///
/// The journal is readable by every member of `systemd-journal` and `adm` and is kept for weeks, so
/// a password that reaches it once has leaked. Redaction goes by key: a key whose letters and digits
/// (lower-cased, separators dropped) contain one of ``secretKeyFragments`` is secret, at any depth of
/// nested metadata. Values are not inspected: a secret inside another value (a URL with a password,
/// an error message quoting a conninfo) is the caller's to keep out, as is the log message itself.
public struct LogRedaction: Sendable {
    /// What a secret value is replaced by.
    public static let replacement = "***"

    /// The fragments sluice treats as secret: a lease `token` too, since it fences writers.
    public static let standard = LogRedaction(secretKeyFragments: [
        "password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey",
        "authorization",
    ])

    /// Lower-case letters and digits; a key matches when its normalized form contains one.
    public let secretKeyFragments: [String]

    public init(secretKeyFragments: [String]) {
        self.secretKeyFragments = secretKeyFragments.map(Self.normalized).filter { !$0.isEmpty }
    }

    /// Whether the value under this key must not be written.
    public func isSecret(key: String) -> Bool {
        let key = Self.normalized(key)
        return secretKeyFragments.contains { key.contains($0) }
    }

    /// The metadata with every secret value replaced, nested dictionaries and arrays included.
    public func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var redacted = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            redacted[key] = isSecret(key: key) ? .string(Self.replacement) : redact(value)
        }
        return redacted
    }

    private func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string, .stringConvertible:
            value
        case .dictionary(let metadata):
            .dictionary(redact(metadata))
        case .array(let values):
            .array(values.map(redact))
        }
    }

    private static func normalized(_ key: String) -> String {
        String(key.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) })
    }
}
