import NIOCore
import Testing

@testable import Bolt

/// Chunking, handshake bytes and message encoding, fed as bytes.
@Suite struct BoltFramingTests {
    func decodeAll(_ bytes: [UInt8], splitAt cuts: [Int] = [], maximumMessageSize: Int = 1 << 20) throws -> [[UInt8]] {
        var decoder = NIOSingleStepByteToMessageProcessor(BoltChunkDecoder(maximumMessageSize: maximumMessageSize))
        var messages: [[UInt8]] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            try decoder.process(buffer: ByteBuffer(bytes: bytes[start..<cut])) { message in
                messages.append(Array(message.readableBytesView))
            }
            start = cut
        }
        return messages
    }

    @Test func singleChunkMessage() throws {
        #expect(try decodeAll([0x00, 0x02, 0xB0, 0x7E, 0x00, 0x00]) == [[0xB0, 0x7E]])
    }

    @Test func noopChunksBetweenMessagesAreSkipped() throws {
        let bytes: [UInt8] = [
            0x00, 0x00, 0x00, 0x02, 0xB0, 0x7E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xB0, 0x7E, 0x00, 0x00,
        ]
        #expect(try decodeAll(bytes) == [[0xB0, 0x7E], [0xB0, 0x7E]])
    }

    @Test func messageSpanningChunksAndReadsIsJoined() throws {
        let bytes: [UInt8] = [0x00, 0x01, 0xB0, 0x00, 0x01, 0x7E, 0x00, 0x00]
        for cut in 1..<bytes.count {
            #expect(try decodeAll(bytes, splitAt: [cut]) == [[0xB0, 0x7E]], "split at \(cut)")
        }
    }

    @Test func largeMessagesRoundTripThroughChunks() throws {
        for size in [1, 65_535, 65_536, 200_000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
            var buffer = ByteBuffer()
            buffer.writeBoltChunks(of: ByteBuffer(bytes: payload))
            if size > 65_535 {
                #expect(buffer.getInteger(at: 0, as: UInt16.self) == 65_535)
            }
            let bytes = Array(buffer.readableBytesView)
            #expect(try decodeAll(bytes, splitAt: [bytes.count / 3]) == [payload])
        }
    }

    @Test func oversizedMessageIsRefused() {
        var buffer = ByteBuffer()
        buffer.writeBoltChunks(of: ByteBuffer(bytes: [UInt8](repeating: 1, count: 200_000)))
        #expect(throws: BoltError.messageTooLarge(limit: 100_000)) {
            _ = try decodeAll(Array(buffer.readableBytesView), maximumMessageSize: 100_000)
        }
    }

    @Test func handshakeProposesBolt5RangeFirst() throws {
        var buffer = ByteBuffer()
        BoltHandshake.writeRequest(into: &buffer)
        #expect(
            Array(buffer.readableBytesView) == [
                0x60, 0x60, 0xB0, 0x17, 0x00, 0x06, 0x07, 0x05, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0,
            ]
        )
        var answer = ByteBuffer(bytes: [0x00, 0x00, 0x04, 0x05])
        #expect(try BoltHandshake.readResponse(from: &answer) == BoltVersion(major: 5, minor: 4))
        var partial = ByteBuffer(bytes: [0x00, 0x00])
        #expect(try BoltHandshake.readResponse(from: &partial) == nil)
        var none = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(throws: BoltError.self) { try BoltHandshake.readResponse(from: &none) }
        var http = ByteBuffer(bytes: Array("HTTP".utf8))
        #expect(throws: BoltError.self) { try BoltHandshake.readResponse(from: &http) }
        var bolt4 = ByteBuffer(bytes: [0, 0, 4, 4])
        #expect(throws: BoltError.self) { try BoltHandshake.readResponse(from: &bolt4) }
    }

    @Test func requestsEncodeAsSpecified() {
        func bytes(_ request: BoltRequest) -> [UInt8] {
            var buffer = ByteBuffer()
            request.encode(into: &buffer)
            return Array(buffer.readableBytesView)
        }
        #expect(bytes(.reset) == [0xB0, 0x0F])
        #expect(bytes(.commit) == [0xB0, 0x12])
        #expect(bytes(.rollback) == [0xB0, 0x13])
        #expect(bytes(.goodbye) == [0xB0, 0x02])
        #expect(bytes(.pull(n: 1000)) == [0xB1, 0x3F, 0xA1, 0x81, 0x6E, 0xC9, 0x03, 0xE8])
        #expect(bytes(.discard(n: -1)) == [0xB1, 0x2F, 0xA1, 0x81, 0x6E, 0xFF])
        #expect(
            bytes(.run(query: "RETURN 1", parameters: [:], extra: [:]))
                == [0xB3, 0x10, 0x88] + Array("RETURN 1".utf8) + [0xA0, 0xA0]
        )
        // Auth entries in the specification's order, whatever the hash seed: FalkorDB reads by position.
        let scheme: [UInt8] = [0x86] + Array("scheme".utf8) + [0x85] + Array("basic".utf8)
        let principal: [UInt8] = [0x89] + Array("principal".utf8) + [0x81, 0x75]
        let credentials: [UInt8] = [0x8B] + Array("credentials".utf8) + [0x81, 0x70]
        #expect(
            bytes(.logon(auth: .basic(user: "u", password: "p"))) == [0xB1, 0x6A, 0xA3] + scheme + principal
                + credentials
        )
        // Other message maps are sorted by key.
        #expect(
            bytes(.begin(extra: ["tx_timeout": 1, "db": "g", "mode": "r"]))
                == [0xB1, 0x11, 0xA3, 0x82] + Array("db".utf8) + [0x81, 0x67, 0x84] + Array("mode".utf8)
                + [0x81, 0x72, 0x8A] + Array("tx_timeout".utf8) + [0x01]
        )
    }

    @Test func responsesDecodeAndMalformedOnesAreErrors() throws {
        func decode(_ bytes: [UInt8]) throws -> BoltResponse {
            var buffer = ByteBuffer(bytes: bytes)
            return try BoltResponse(from: &buffer)
        }
        #expect(try decode([0xB1, 0x70, 0xA1, 0x81, 0x74, 0x01]) == .success(["t": 1]))
        #expect(try decode([0xB1, 0x71, 0x92, 0x01, 0x02]) == .record([1, 2]))
        #expect(try decode([0xB0, 0x7E]) == .ignored)
        #expect(try decode([0xB1, 0x7F, 0xA0]) == .failure([:]))
        #expect(throws: BoltError.self) { try decode([0xB0, 0x55]) }  // unknown message
        #expect(throws: BoltError.self) { try decode([0xB1, 0x71, 0x01]) }  // RECORD without a list
        #expect(throws: BoltError.self) { try decode([0xB1, 0x70, 0xA1, 0x81]) }  // truncated
        #expect(throws: BoltError.self) { try decode([0xB0, 0x7E, 0x00]) }  // trailing bytes
    }
}
