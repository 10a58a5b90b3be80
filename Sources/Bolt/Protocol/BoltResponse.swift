import NIOCore

/// A message the server sends: a summary (SUCCESS, FAILURE, IGNORED) or a RECORD of a result stream.
package enum BoltResponse: Sendable, Equatable {
    case success([String: BoltValue])
    case record([BoltValue])
    case ignored
    case failure([String: BoltValue])

    /// Decodes one whole message (its chunks already joined). The message must fill the buffer exactly.
    package init(from buffer: inout ByteBuffer) throws(BoltError) {
        do {
            let (tag, fieldCount) = try buffer.readPackStreamStructureHeader()
            switch (tag, fieldCount) {
            case (0x70, 1):
                self = .success(try Self.readMap(from: &buffer, message: "SUCCESS"))
            case (0x71, 1):
                guard case .list(let values) = try buffer.readPackStreamValue() else {
                    throw BoltError.protocolViolation("RECORD without a list of values")
                }
                self = .record(values)
            case (0x7E, 0):
                self = .ignored
            case (0x7F, 1):
                self = .failure(try Self.readMap(from: &buffer, message: "FAILURE"))
            default:
                throw BoltError.protocolViolation(
                    "unknown server message 0x\(String(tag, radix: 16, uppercase: true)) with \(fieldCount) fields"
                )
            }
        } catch let error as BoltError {
            throw error
        } catch let error as PackStreamError {
            throw .malformedMessage(error)
        } catch {
            throw .protocolViolation("\(error)")
        }
        if buffer.readableBytes > 0 {
            throw .protocolViolation("\(buffer.readableBytes) bytes left over after a server message")
        }
    }

    private static func readMap(from buffer: inout ByteBuffer, message: String) throws -> [String: BoltValue] {
        guard case .map(let metadata) = try buffer.readPackStreamValue() else {
            throw BoltError.protocolViolation("\(message) without a metadata map")
        }
        return metadata
    }

    var name: String {
        switch self {
        case .success: "SUCCESS"
        case .record: "RECORD"
        case .ignored: "IGNORED"
        case .failure: "FAILURE"
        }
    }
}
