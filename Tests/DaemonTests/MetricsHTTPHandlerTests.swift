import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Daemon

/// The handler behind NIO's HTTP/1.1 server pipeline, fed raw request bytes on an `EmbeddedChannel`.
@Suite struct MetricsHTTPHandlerTests {
    private func exchange(_ request: String) throws -> (response: String, channel: EmbeddedChannel) {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler { "# EOF\n" })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9464)).wait()
        #expect(channel.isActive)
        try channel.writeInbound(channel.allocator.buffer(string: request))
        var response = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            response += String(buffer: buffer)
        }
        return (response, channel)
    }

    @Test func getMetricsAnswersWithTheExpositionAndKeepsTheConnection() throws {
        let (response, channel) = try exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("content-type: \(OpenMetricsText.contentType)\r\n"))
        #expect(response.contains("content-length: 6\r\n"))
        #expect(response.hasSuffix("\r\n\r\n# EOF\n"))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func aQueryStringIsIgnoredAndHeadHasNoBody() throws {
        let (response, channel) = try exchange("HEAD /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix("content-length: 6\r\n\r\n"))
        _ = try channel.finish()
    }

    @Test func otherPathsAre404AndOtherMethods405() throws {
        let (missing, first) = try exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(!missing.contains("# EOF"))
        _ = try first.finish()
        let (post, second) = try exchange("POST /metrics HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n")
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(post.contains("allow: GET, HEAD\r\n"))
        _ = try second.finish()
    }

    @Test func connectionCloseIsHonoured() throws {
        let (response, channel) = try exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(response.contains("connection: close\r\n"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
