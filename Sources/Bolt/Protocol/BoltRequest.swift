import NIOCore

/// A message the client sends. Encoding is PackStream: a structure whose tag is the message type.
///
/// Message maps are written in a fixed key order (sorted, auth entries in the specification's order):
/// FalkorDB reads some maps by position, not by key, so a hash-ordered map would fail at random.
package enum BoltRequest: Sendable, Equatable {
    /// `auth` is carried in HELLO only on Bolt 5.0; later versions send it in LOGON.
    case hello(extra: [String: BoltValue], auth: BoltAuth?)
    case logon(auth: BoltAuth)
    case goodbye
    case reset
    case run(query: String, parameters: [String: BoltValue], extra: [String: BoltValue])
    case begin(extra: [String: BoltValue])
    case commit
    case rollback
    /// `n == -1` discards or pulls everything that is left.
    case discard(n: Int64)
    case pull(n: Int64)

    var tag: UInt8 {
        switch self {
        case .hello: 0x01
        case .goodbye: 0x02
        case .reset: 0x0F
        case .run: 0x10
        case .begin: 0x11
        case .commit: 0x12
        case .rollback: 0x13
        case .discard: 0x2F
        case .pull: 0x3F
        case .logon: 0x6A
        }
    }

    /// The message's name as the specification spells it, for logs and errors.
    var name: String {
        switch self {
        case .hello: "HELLO"
        case .logon: "LOGON"
        case .goodbye: "GOODBYE"
        case .reset: "RESET"
        case .run: "RUN"
        case .begin: "BEGIN"
        case .commit: "COMMIT"
        case .rollback: "ROLLBACK"
        case .discard: "DISCARD"
        case .pull: "PULL"
        }
    }

    func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .hello(let extra, let auth):
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 1)
            let token = auth?.token ?? []
            buffer.writePackStreamMapHeader(count: extra.count + token.count)
            buffer.writeEntries(extra.sorted { $0.key < $1.key })
            buffer.writeEntries(token)
        case .begin(let extra):
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 1)
            buffer.writeSortedMap(extra)
        case .logon(let auth):
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 1)
            buffer.writePackStreamMapHeader(count: auth.token.count)
            buffer.writeEntries(auth.token)
        case .goodbye, .reset, .commit, .rollback:
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 0)
        case .run(let query, let parameters, let extra):
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 3)
            buffer.writePackStream(.string(query))
            buffer.writePackStream(map: parameters)
            buffer.writeSortedMap(extra)
        case .discard(let n), .pull(let n):
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: 1)
            buffer.writePackStreamMapHeader(count: 1)
            buffer.writePackStream(string: "n")
            buffer.writePackStream(integer: n)
        }
    }
}

extension ByteBuffer {
    fileprivate mutating func writeEntries(_ entries: [(key: String, value: BoltValue)]) {
        for (key, value) in entries {
            writePackStream(string: key)
            writePackStream(value)
        }
    }

    fileprivate mutating func writeSortedMap(_ map: [String: BoltValue]) {
        writePackStreamMapHeader(count: map.count)
        writeEntries(map.sorted { $0.key < $1.key })
    }
}
