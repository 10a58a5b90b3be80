import NIOCore

@testable import Bolt

/// A decoder misbehaving on an input: libFuzzer's entry point traps on it (keeping the input as a crash
/// artifact), the unit tests record it.
struct FuzzFinding: Error, CustomStringConvertible {
    var description: String
}

/// What one fuzz input is fed to, by libFuzzer (scripts/fuzz) and by the unit tests' mutation sweep
/// (`DecoderMutationTests`). Any input may fail to decode; what must never happen is a trap, a hang,
/// unbounded memory, or a decoded value that this client cannot write and read back the same.
enum FuzzTarget: String, CaseIterable {
    /// The input as one PackStream value.
    case packStream = "packstream"
    /// The input as bytes from a server: chunks joined into messages by `BoltChunkDecoder`, each message
    /// decoded by `BoltResponse(from:)`. The first byte says where the bytes are split in two reads, so
    /// that messages arriving in pieces are exercised too.
    case messages

    func run(_ input: UnsafeRawBufferPointer) throws(FuzzFinding) {
        switch self {
        case .packStream:
            try Self.decodeValue(ByteBuffer(bytes: input))
        case .messages:
            guard let control = input.first else { return }
            let bytes = UnsafeRawBufferPointer(rebasing: input.dropFirst())
            Self.decodeMessages(bytes, splitAt: bytes.isEmpty ? 0 : Int(control) % bytes.count)
        }
    }

    /// Decodes one value; a value that decodes must render, re-encode and decode again to the same text
    /// (text rather than `==`, under which NaN differs from itself).
    static func decodeValue(_ input: ByteBuffer) throws(FuzzFinding) {
        var buffer = input
        let start = buffer.readerIndex
        let value: BoltValue
        do {
            value = try buffer.readPackStreamValue()
        } catch {
            guard buffer.readerIndex == start else {
                throw FuzzFinding(description: "a failed read moved the reader index: \(error)")
            }
            return
        }
        let text = value.description
        let json = value.jsonText
        var encoded = ByteBuffer()
        encoded.writePackStream(value)
        let again: BoltValue
        do {
            again = try encoded.readPackStreamValue()
        } catch {
            throw FuzzFinding(description: "\(text) was decoded but its encoding is refused: \(error)")
        }
        guard encoded.readableBytes == 0 else {
            throw FuzzFinding(description: "\(text) re-encoded has bytes left over")
        }
        guard again.description == text, again.jsonText == json else {
            throw FuzzFinding(description: "\(text) reads back as \(again.description)")
        }
    }

    static func decodeMessages(_ bytes: UnsafeRawBufferPointer, splitAt cut: Int) {
        let processor = NIOSingleStepByteToMessageProcessor(BoltChunkDecoder(maximumMessageSize: 1 << 20))
        for part in [bytes[..<cut], bytes[cut...]] {
            do {
                try processor.process(buffer: ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: part))) { message in
                    var message = message
                    guard let response = try? BoltResponse(from: &message) else { return }
                    switch response {
                    case .success(let metadata), .failure(let metadata):
                        _ = BoltValue.map(metadata).jsonText
                    case .record(let values):
                        _ = BoltValue.list(values).description
                    case .ignored:
                        break
                    }
                }
            } catch {
                return  // a chunk stream the decoder refuses (too large) ends the connection
            }
        }
    }
}
