/// How a metadata key becomes a journal field name.
///
/// The rule, in order:
/// 1. ASCII letters are upper-cased; every other character but digits and `_` becomes `_`
///    (`items_done` is `ITEMS_DONE`, `error.message` is `ERROR_MESSAGE`, `latency-ms` is `LATENCY_MS`).
/// 2. A name that is empty, starts with a digit or `_` (journald reserves a leading `_` for fields
///    it sets itself and drops such names from clients), or is one of the fields the handler writes
///    itself (``handlerFields``) gets `SLUICE_` in front: `message` is `SLUICE_MESSAGE`, so a
///    metadata key can neither forge nor duplicate the entry's own fields.
/// 3. The name is cut to 64 characters, journald's limit.
///
/// Keys that differ only in case or punctuation share a field; the journal then keeps both values.
/// `MESSAGE_ID` is deliberately not protected: it comes from metadata (``SluiceLogKey/messageID``).
enum JournalFieldName {
    /// The fields ``JournalLogHandler`` sets from the event itself.
    static let handlerFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "LOGGER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    static let maximumLength = 64
    static let prefix = "SLUICE_"

    static func forMetadataKey(_ key: String) -> String {
        var name = String(
            String.UnicodeScalarView(
                key.unicodeScalars.map { scalar in
                    switch scalar {
                    case "a"..."z": Unicode.Scalar(scalar.value - 32)!
                    case "A"..."Z", "0"..."9", "_": scalar
                    default: "_"
                    }
                }
            )
        )
        let reserved = name.unicodeScalars.first.map { $0 == "_" || ("0"..."9").contains($0) } ?? true
        if reserved || handlerFields.contains(name) {
            name = prefix + name
        }
        return String(name.prefix(maximumLength))
    }
}
