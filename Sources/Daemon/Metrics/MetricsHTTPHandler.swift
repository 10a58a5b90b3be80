import NIOCore
import NIOHTTP1

/// Answers `GET /metrics` (and `HEAD`) with the exposition `render` returns, 404 on any other path and 405 on other
/// methods there. Only IO: what the text says is ``OpenMetricsText``'s business, so this handler is tested on an
/// `EmbeddedChannel`. Runs behind NIO's HTTP/1.1 server pipeline, which parses requests and orders pipelined ones.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let path = "/metrics"

    private let render: @Sendable () -> String
    private var request: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        let body: String
        if path != Self.path {
            (status, body) = (.notFound, "not found: metrics are at \(Self.path)\n")
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        } else if head.method != .GET && head.method != .HEAD {
            (status, body) = (.methodNotAllowed, "only GET and HEAD\n")
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            headers.add(name: "allow", value: "GET, HEAD")
        } else {
            (status, body) = (.ok, render())
            headers.add(name: "content-type", value: OpenMetricsText.contentType)
        }
        let buffer = context.channel.allocator.buffer(string: body)
        headers.add(name: "content-length", value: "\(buffer.readableBytes)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil
        )
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
