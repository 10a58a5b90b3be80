import NIOCore

/// Acknowledges every segment the server sends at once, instead of after Linux's delayed-ACK timer (40 ms).
///
/// A server that writes one answer in two pieces (FalkorDB's Bolt does, for HELLO's and some RUN's answers) with
/// Nagle's algorithm on holds the second piece until the first is acknowledged, and the client waits for the rest
/// of the answer before it sends anything the acknowledgement could ride on: three such waits cost a `sluice run` 0.13 s
/// before its first batch. Linux drops `TCP_QUICKACK` again as the connection goes on, so it is set after every read.
/// First in the pipeline, next to the socket.
final class TCPQuickAckHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    #if os(Linux)
    /// `TCP_QUICKACK` from `<netinet/tcp.h>`.
    private static let quickAck = ChannelOptions.tcpOption(NIOBSDSocket.Option(rawValue: 12))
    #endif

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        #if os(Linux)
        try? context.channel.syncOptions?.setOption(Self.quickAck, value: 1)
        #endif
        context.fireChannelRead(data)
    }
}
