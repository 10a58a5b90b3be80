import CSystemd
import Glibc
import Logging

/// A swift-log handler writing structured entries to the systemd journal through `sd_journal_sendv`.
///
/// Each entry carries `MESSAGE`, `PRIORITY` (from the level), `SYSLOG_IDENTIFIER`, `LOGGER` (the
/// logger's label), `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and one field per metadata leaf named by the
/// rule of ``JournalFieldName``, so `journalctl -u sluice MIGRATION=007` filters by metadata and
/// `MESSAGE_ID` (``SluiceLogKey/messageID``) links an entry to the catalog. Each field travels as
/// one iovec, so values may hold newlines or any bytes. Secret-looking keys are redacted first
/// (``LogRedaction``).
///
/// When the journal cannot be reached (`sd_journal_sendv` fails) the entry is written to stderr as
/// a ``StderrLogHandler`` line instead: under systemd stderr is itself a journal stream, so the entry
/// is kept, if without its fields.
public struct JournalLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// `SYSLOG_IDENTIFIER`, which `journalctl -t` and the short output show.
    public let identifier: String
    public let redaction: LogRedaction

    public init(
        label: String,
        identifier: String = "sluice",
        logLevel: Logger.Level = .info,
        redaction: LogRedaction = .standard,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.identifier = identifier
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
        if Self.send(fields(for: event, metadata: metadata)) < 0 {
            StderrLogHandler.write(
                StderrLogHandler.line(
                    time: time(nil),
                    level: event.level,
                    label: label,
                    message: event.message.description,
                    metadata: metadata
                )
            )
        }
    }

    /// The entry's fields in the order they are sent: the handler's own, then the metadata's.
    func fields(for event: LogEvent, metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(event.level.syslogPriority)),
            ("SYSLOG_IDENTIFIER", identifier),
            ("LOGGER", label),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        for (key, value) in LogMetadataFlattening.pairs(metadata) {
            fields.append((JournalFieldName.forMetadataKey(key), value))
        }
        return fields
    }

    /// Sends one entry, each `NAME=value` in its own iovec over one contiguous buffer; returns
    /// `sd_journal_sendv`'s result (negative errno on failure).
    private static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for (name, value) in fields {
            let start = bytes.count
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: value.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            let vectors = ranges.map { range in
                iovec(iov_base: buffer.baseAddress! + range.lowerBound, iov_len: range.count)
            }
            return sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}
