import Bolt
import Foundation
import JobStore
import NIOCore

/// A job's migration parameters as bound once at planning (`// sluice:param asOf = date()`), kept in
/// the job's `options.parameters` so that a job resumed tomorrow still uses today's `$asOf`.
///
/// Values are stored as PackStream, base64 in the JSON: that keeps every Bolt type exact (a date stays
/// a date, an integer does not turn into a float), which JSON alone would not.
public enum BoundParameters {
    /// The parameters as the `parameters` object of the job's options.
    public static func encode(_ values: [String: BoltValue]) -> PostgresJSON {
        var object: [String: String] = [:]
        for (name, value) in values {
            var buffer = ByteBuffer()
            buffer.writePackStream(value)
            object[name] = Data(buffer.readableBytesView).base64EncodedString()
        }
        // JSONEncoder, not JSONSerialization: the latter sorts keys through ICU's collator, whose data then stays
        // resident (about 2 MB) in a daemon that must stay small.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return PostgresJSON(text: String(decoding: data, as: UTF8.self))
    }

    /// The parameters recorded in a job's options, or nil when none were recorded yet.
    public static func decode(options: PostgresJSON) throws(EngineError) -> [String: BoltValue]? {
        let document = try? JSONSerialization.jsonObject(with: Data(options.text.utf8)) as? [String: Any]
        guard let recorded = document?["parameters"] as? [String: String] else { return nil }
        var values: [String: BoltValue] = [:]
        for (name, text) in recorded {
            guard let bytes = Data(base64Encoded: text) else {
                throw .migration("the job's recorded parameter \(name) is not base64")
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                values[name] = try buffer.readPackStreamValue()
            } catch {
                throw .migration("the job's recorded parameter \(name) does not decode: \(error)")
            }
        }
        return values
    }
}
