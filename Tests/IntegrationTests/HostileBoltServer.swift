import Bolt
import NIOCore
import NIOPosix

/// A Bolt server that lies: it accepts the handshake with a version of the test's choosing and answers each
/// request with whatever bytes the test scripted, however malformed. What a buggy server, a proxy that
/// mangles traffic or an attacker on the path can send; the client must answer each with a typed error and
/// a closed connection, never a crash, a hang or unbounded memory.
final class HostileBoltServer: Sendable {
    /// What the server does when a whole request has arrived.
    enum Reply: Sendable {
        /// Writes these bytes (already chunked, or deliberately not).
        case send([UInt8])
        /// Writes these bytes, then closes the connection.
        case sendAndClose([UInt8])
        /// Writes `count` full chunks (65,535 bytes each) and no end marker: a message without end.
        case endlessMessage(chunks: Int)
        /// Stays silent.
        case nothing
    }

    /// Request tags (Bolt 5) the script reacts to.
    enum Request {
        static let hello: UInt8 = 0x01
        static let logon: UInt8 = 0x6A
        static let run: UInt8 = 0x10
        static let pull: UInt8 = 0x3F
    }

    let port: Int
    private let listener: any Channel

    private init(port: Int, listener: any Channel) {
        self.port = port
        self.listener = listener
    }

    var url: BoltURL { BoltURL(host: "127.0.0.1", port: port, tls: .none) }

    /// Starts listening on a random loopback port. `version` is the 4-byte handshake answer; `script` maps a
    /// request's tag to the reply.
    static func start(
        version: [UInt8] = [0x00, 0x00, 0x04, 0x05],
        script: @escaping @Sendable (_ tag: UInt8) -> Reply
    ) async throws -> HostileBoltServer {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Session(version: version, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return HostileBoltServer(port: listener.localAddress?.port ?? 0, listener: listener)
    }

    func stop() async {
        try? await listener.close()
    }

    /// One message, chunked as a server sends it: `tag` with `fields`.
    static func message(_ tag: UInt8, _ fields: [BoltValue]) -> [UInt8] {
        var body = ByteBuffer()
        body.writeInteger(UInt8(0xB0 | UInt8(fields.count)))
        body.writeInteger(tag)
        for field in fields {
            body.writePackStream(field)
        }
        return chunked(Array(body.readableBytesView))
    }

    /// A message body in one chunk (bodies here are small), followed by the end marker.
    static func chunked(_ body: [UInt8]) -> [UInt8] {
        [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body + [0x00, 0x00]
    }

    static func success(_ metadata: [String: BoltValue] = [:]) -> [UInt8] {
        message(0x70, [.map(metadata)])
    }

    /// The replies of a well-behaved server to HELLO and LOGON, so that a script only writes what it breaks.
    static func greeting(_ tag: UInt8) -> Reply? {
        switch tag {
        case Request.hello: .send(success(["server": "Neo4j/5.26.0", "connection_id": "bolt-hostile"]))
        case Request.logon: .send(success())
        default: nil
        }
    }

    /// The server's side of one connection: the handshake, then requests split at their end markers.
    private final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let version: [UInt8]
        let script: @Sendable (UInt8) -> Reply
        var received = ByteBuffer()
        var shookHands = false
        /// The request being read: its first chunk's second byte is its tag.
        var requestTag: UInt8?

        init(version: [UInt8], script: @escaping @Sendable (UInt8) -> Reply) {
            self.version = version
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.writeBuffer(&bytes)
            if !shookHands {
                guard received.readableBytes >= 20 else { return }
                received.moveReaderIndex(forwardBy: 20)
                shookHands = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: version)), promise: nil)
            }
            while let size = received.getInteger(at: received.readerIndex, as: UInt16.self) {
                guard size > 0 else {
                    received.moveReaderIndex(forwardBy: 2)
                    if let tag = requestTag {
                        requestTag = nil
                        answer(tag, context: context)
                    }
                    continue
                }
                guard received.readableBytes >= 2 + Int(size) else { return }
                if requestTag == nil {
                    requestTag = received.getInteger(at: received.readerIndex + 3, as: UInt8.self)
                }
                received.moveReaderIndex(forwardBy: 2 + Int(size))
            }
        }

        private func answer(_ tag: UInt8, context: ChannelHandlerContext) {
            switch script(tag) {
            case .send(let bytes):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            case .sendAndClose(let bytes):
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            case .endlessMessage(let count):
                var flood = context.channel.allocator.buffer(capacity: count * (2 + 0xFFFF))
                for _ in 0..<count {
                    flood.writeInteger(UInt16.max)
                    flood.writeRepeatingByte(0xA0, count: 0xFFFF)
                }
                context.writeAndFlush(wrapOutboundOut(flood), promise: nil)
            case .nothing:
                break
            }
        }
    }
}
