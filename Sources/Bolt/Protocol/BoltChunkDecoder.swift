import NIOCore

/// Joins Bolt chunks into whole messages.
///
/// Every message travels as chunks of at most 65,535 bytes, each with a two-byte length, and ends with
/// an empty chunk. An empty chunk between messages is a NOOP (a keep-alive) and is skipped. A message
/// that arrives in one chunk, the usual case, is handed on as a slice without copying.
package struct BoltChunkDecoder: NIOSingleStepByteToMessageDecoder {
    package typealias InboundOut = ByteBuffer

    /// Messages larger than this are refused, so a hostile or broken server cannot make us buffer
    /// without bound.
    let maximumMessageSize: Int

    /// The chunks of a message that spans several of them.
    private var partialMessage: ByteBuffer?

    package init(maximumMessageSize: Int = 64 * 1024 * 1024) {
        self.maximumMessageSize = maximumMessageSize
    }

    package mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        while true {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return nil }
            if length == 0 {
                buffer.moveReaderIndex(forwardBy: 2)
                if let message = partialMessage {
                    partialMessage = nil
                    return message
                }
                continue  // NOOP between messages
            }
            // A single-chunk message: header, payload and the end marker are all here.
            if partialMessage == nil,
                buffer.getInteger(at: buffer.readerIndex + 2 + Int(length), as: UInt16.self) == 0
            {
                buffer.moveReaderIndex(forwardBy: 2)
                let message = buffer.readSlice(length: Int(length))!
                buffer.moveReaderIndex(forwardBy: 2)
                return message
            }
            guard buffer.readableBytes >= 2 + Int(length) else { return nil }
            let size = (partialMessage?.readableBytes ?? 0) + Int(length)
            guard size <= maximumMessageSize else {
                throw BoltError.messageTooLarge(limit: maximumMessageSize)
            }
            buffer.moveReaderIndex(forwardBy: 2)
            var chunk = buffer.readSlice(length: Int(length))!
            if partialMessage == nil {
                partialMessage = ByteBuffer()
            }
            partialMessage!.writeBuffer(&chunk)
        }
    }

    package mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

extension ByteBuffer {
    /// Writes a message's encoded bytes as chunks of at most 65,535 bytes followed by the end marker.
    package mutating func writeBoltChunks(of message: ByteBuffer) {
        var message = message
        repeat {
            let length = Swift.min(message.readableBytes, Int(UInt16.max))
            writeInteger(UInt16(length))
            var chunk = message.readSlice(length: length)!
            writeBuffer(&chunk)
        } while message.readableBytes > 0
        writeInteger(UInt16(0))
    }

    /// Encodes a request and writes it chunked.
    package mutating func writeBoltMessage(_ request: BoltRequest, scratch: inout ByteBuffer) {
        scratch.clear()
        request.encode(into: &scratch)
        writeBoltChunks(of: scratch)
    }
}
