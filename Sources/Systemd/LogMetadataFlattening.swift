import Logging

/// Metadata as flat `key=value` pairs, the shape both the journal and a terminal line need.
///
/// Nested dictionaries become dotted keys (`bolt: [host: x]` is `bolt.host=x`, which the journal
/// spells `BOLT_HOST`), so each leaf stays a filterable field; arrays are rendered as text (`[a, b]`),
/// since a journal field holds one value. Pairs are sorted by key, so output is stable.
enum LogMetadataFlattening {
    static func pairs(_ metadata: Logger.Metadata) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        append(metadata, prefix: "", to: &pairs)
        return pairs.sorted { $0.key < $1.key }
    }

    private static func append(
        _ metadata: Logger.Metadata,
        prefix: String,
        to pairs: inout [(key: String, value: String)]
    ) {
        for (key, value) in metadata {
            let path = prefix + key
            if case .dictionary(let nested) = value, !nested.isEmpty {
                append(nested, prefix: path + ".", to: &pairs)
            } else {
                pairs.append((path, value.description))
            }
        }
    }

    /// Handler metadata, then the provider's, then the call's (later wins), then the event's error
    /// under swift-log's own keys `error.message` and `error.type`; redacted last, so nothing added
    /// along the way escapes it.
    static func merged(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        event: LogEvent,
        redaction: LogRedaction
    ) -> Logger.Metadata {
        var metadata = handler
        if let provided = provider?.get(), !provided.isEmpty {
            metadata.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            metadata.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            metadata["error.message"] = .string(String(describing: error))
            metadata["error.type"] = .string(String(reflecting: type(of: error)))
        }
        return redaction.redact(metadata)
    }
}
