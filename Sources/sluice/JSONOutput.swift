import Foundation

/// How `--json` output is written: one document, keys sorted, instants ISO 8601 in UTC, a newline at the end.
enum JSONOutput {
    static func text<Document: Encodable>(_ document: Document) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    static func write<Document: Encodable>(_ document: Document) throws {
        var output = StandardOutput()
        output.write(try text(document))
    }
}
