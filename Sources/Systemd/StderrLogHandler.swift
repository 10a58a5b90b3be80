import Glibc
import Logging

/// A swift-log handler writing one readable line per entry to stderr, for terminals and for runs
/// without a journal: `2026-11-25T13:00:00Z info sluice: batch committed items_done=20000 migration=007`.
///
/// The time is UTC; metadata follows the message as sorted `key=value` pairs (nested keys dotted),
/// a value quoted and escaped when it is empty or holds spaces, quotes, `=` or control characters,
/// so an entry stays on one line. Secret-looking keys are redacted (``LogRedaction``).
public struct StderrLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let redaction: LogRedaction

    public init(
        label: String,
        logLevel: Logger.Level = .info,
        redaction: LogRedaction = .standard,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = logLevel
        self.redaction = redaction
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = LogMetadataFlattening.merged(
            handler: metadata,
            provider: metadataProvider,
            event: event,
            redaction: redaction
        )
        Self.write(
            Self.line(
                time: time(nil),
                level: event.level,
                label: label,
                message: event.message.description,
                metadata: metadata
            )
        )
    }

    /// The line for one entry, without its newline; `metadata` must be redacted already.
    static func line(
        time: time_t,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = "\(timestamp(time)) \(level.rawValue) \(label): \(message)"
        for (key, value) in LogMetadataFlattening.pairs(metadata) {
            line += " \(key)=\(quoted(value))"
        }
        return line
    }

    /// Writes the line and its newline to fd 2 in one `write`, so lines from several threads do not
    /// interleave.
    static func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if result > 0 {
                written += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// `2026-11-25T13:00:00Z`.
    static func timestamp(_ time: time_t) -> String {
        var time = time
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The value as is when it is plain, otherwise in double quotes with `\`, `"` and control
    /// characters escaped.
    static func quoted(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "=" }
        guard !plain else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += "\\u{\(String(scalar.value, radix: 16))}"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
