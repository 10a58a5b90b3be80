import Bolt
import NIOCore
import NIOPosix

/// A TCP forwarder in front of a real server, started in the test process on a random port, that breaks
/// connections on command: what a network, a load balancer or a dying server does to a client, on cue.
///
/// Faults are armed, then fire on the traffic that follows: ``cutAfter(bytesFromServer:)`` cuts in the
/// middle of a result, ``cutWhenClientSends(pattern:)`` right after a given request reached the server (its
/// answer is lost, not its effect), ``cutAll()`` and ``refuseNew(for:)`` play a server that died and
/// restarts. A cut resets the client's side (RST), as a crashed peer or a firewall does.
///
/// All state lives on one event loop; the methods hop onto it.
final class FaultProxy: Sendable {
    /// The address clients connect to.
    let host: String
    let port: Int
    private let relay: NIOLoopBound<Relay>

    /// The COMMIT message as it travels: chunk length 2, an empty structure with tag 0x12, end marker.
    static let commitMessage: [UInt8] = [0x00, 0x02, 0xB0, 0x12, 0x00, 0x00]
    /// GOODBYE (tag 0x02), framed the same way.
    static let goodbyeMessage: [UInt8] = [0x00, 0x02, 0xB0, 0x02, 0x00, 0x00]

    private init(host: String, port: Int, relay: NIOLoopBound<Relay>) {
        self.host = host
        self.port = port
        self.relay = relay
    }

    /// Starts forwarding from a random port below the ephemeral range on `host` (any loopback address) to `target`.
    static func start(to target: BoltURL, listeningOn host: String = "127.0.0.1") async throws -> FaultProxy {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let relay = try await loop.submit {
            NIOLoopBound(Relay(loop: loop, target: target, host: host), eventLoop: loop)
        }.get()
        // Below the kernel's ephemeral ports (32768 and up): while the proxy refuses (`refuseNew`) its port is
        // unbound, and one of those the kernel gave to an outgoing connection meanwhile, so the proxy could not listen
        // again (a CI run: "Address already in use", the daemon refused for good). Private servers use 28000-32767.
        for _ in 0..<100 {
            let candidate = Int.random(in: 20_000...27_999)
            if let port = try? await loop.flatSubmit({ relay.value.listen(port: candidate) }).get() {
                return FaultProxy(host: host, port: port, relay: relay)
            }
        }
        let port = try await loop.flatSubmit { relay.value.listen(port: 0) }.get()
        return FaultProxy(host: host, port: port, relay: relay)
    }

    /// The proxy's address with the scheme of `tls`.
    func url(tls: BoltURL.TLS = .none) -> BoltURL {
        BoltURL(host: host, port: port, tls: tls)
    }

    /// Resets every open connection now.
    func cutAll() async {
        await onLoop { $0.cutAll() }
    }

    /// Cuts the connection that receives the `bytesFromServer`-th byte from the server from now on,
    /// after forwarding exactly that many bytes. Fires once.
    func cutAfter(bytesFromServer: Int) async {
        await onLoop { $0.serverByteBudget = bytesFromServer }
    }

    /// Cuts the connection whose client sends `pattern`, once those bytes are on their way to the server:
    /// the server acts on the request, its answer never reaches the client. Fires once.
    func cutWhenClientSends(pattern: [UInt8]) async {
        await onLoop { $0.clientPattern = pattern }
    }

    /// Holds every chunk of data, both ways, for `amount` before forwarding it (zero: no delay).
    func delay(_ amount: Duration) async {
        await onLoop { $0.delay = .nanoseconds(Int64(amount / .nanoseconds(1))) }
    }

    /// Stops listening for `duration` (new connections are refused, as by a server that is down), then
    /// listens again on the same port. Open connections are left alone: combine with ``cutAll()``.
    func refuseNew(for duration: Duration) async {
        await onLoop { $0.refuseNew(for: .nanoseconds(Int64(duration / .nanoseconds(1)))) }
    }

    /// The start of the server's answer to the request ``cutWhenClientSends(pattern:)`` cut off (it never reached
    /// the client); nil until the server answers. Whether the server acted on the request: ``isSuccess(_:)``.
    func lostAnswer() async -> [UInt8]? {
        let relay = self.relay
        return (try? await relay.eventLoop.submit { relay.value.lostAnswer }.get()) ?? nil
    }

    /// Whether a Bolt answer starts with `SUCCESS` (a one-field structure, tag 0x70, after the chunk length): a
    /// lost COMMIT answer that says so committed; `FAILURE` (0x7F) says the server refused it.
    static func isSuccess(_ answer: [UInt8]) -> Bool {
        answer.count >= 4 && answer[2] == 0xB1 && answer[3] == 0x70
    }

    /// The bytes each client sent so far, one entry per connection in the order they were accepted.
    func bytesFromClients() async -> [[UInt8]] {
        let relay = self.relay
        return (try? await relay.eventLoop.submit { relay.value.links.map(\.fromClient) }.get()) ?? []
    }

    /// Closes the listener and every connection.
    func stop() async {
        await onLoop { $0.stop() }
    }

    private func onLoop(_ body: @escaping @Sendable (Relay) -> Void) async {
        let relay = self.relay
        try? await relay.eventLoop.submit { body(relay.value) }.get()
    }
}

/// The proxy's state and its forwarding, on one event loop.
private final class Relay {
    let loop: any EventLoop
    let target: BoltURL
    let host: String
    var port = 0
    var listener: (any Channel)?
    /// Every connection accepted, open or not (their transcripts stay readable).
    var links: [Link] = []
    var serverByteBudget: Int?
    /// The first bytes the server answered on a connection whose answers are lost.
    var lostAnswer: [UInt8]?
    var clientPattern: [UInt8]?
    var delay: TimeAmount = .zero
    /// When the last delayed chunk is released: later chunks never overtake it.
    var lastRelease = NIODeadline.now()

    init(loop: any EventLoop, target: BoltURL, host: String) {
        self.loop = loop
        self.target = target
        self.host = host
    }

    func listen(port: Int) -> EventLoopFuture<Int> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let link = Link(client: channel)
                    bound.value.links.append(link)
                    try channel.pipeline.syncOperations.addHandler(ClientSide(relay: bound.value, link: link))
                }
            }
            .bind(host: host, port: port)
            .map { channel in
                bound.value.listener = channel
                bound.value.port = channel.localAddress?.port ?? port
                return bound.value.port
            }
    }

    func connectToServer(for link: Link) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let boundLink = NIOLoopBound(link, eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServerSide(relay: bound.value, link: boundLink.value)
                    )
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                let link = boundLink.value
                switch result {
                case .success(let server):
                    link.server = server
                    if !link.client.isActive {
                        server.close(promise: nil)
                        return
                    }
                    for buffer in link.pendingToServer {
                        bound.value.forward(buffer, to: server)
                    }
                    link.pendingToServer.removeAll()
                case .failure:
                    Self.reset(link.client)
                }
            }
    }

    // MARK: Traffic

    func fromClient(_ buffer: ByteBuffer, on link: Link) {
        let bytes = Array(buffer.readableBytesView)
        link.fromClient += bytes
        var cut = false
        if let pattern = clientPattern {
            let window = link.clientTail + bytes
            if window.count >= pattern.count,
                (0...(window.count - pattern.count)).contains(where: {
                    window[$0..<$0 + pattern.count].elementsEqual(pattern)
                })
            {
                clientPattern = nil
                cut = true
            }
            link.clientTail = Array(window.suffix(pattern.count - 1))
        }
        if let server = link.server {
            forward(buffer, to: server)
        } else {
            link.pendingToServer.append(buffer)
        }
        if cut {
            // The request goes on to the server, the client is cut off: its answer is lost.
            link.answerLost = true
            Self.reset(link.client)
        }
    }

    func fromServer(_ buffer: ByteBuffer, on link: Link) {
        if link.answerLost {
            if lostAnswer == nil { lostAnswer = Array(buffer.readableBytesView.prefix(16)) }
            link.server?.close(promise: nil)  // the answer came and is dropped; the server has acted
            return
        }
        guard let budget = serverByteBudget else {
            forward(buffer, to: link.client)
            return
        }
        if buffer.readableBytes < budget {
            serverByteBudget = budget - buffer.readableBytes
            forward(buffer, to: link.client)
            return
        }
        serverByteBudget = nil
        forward(buffer.getSlice(at: buffer.readerIndex, length: budget)!, to: link.client)
        cut(link)
    }

    private func forward(_ buffer: ByteBuffer, to channel: any Channel) {
        guard delay > .zero else {
            channel.writeAndFlush(buffer, promise: nil)
            return
        }
        lastRelease = max(.now() + delay, lastRelease)
        loop.scheduleTask(deadline: lastRelease) {
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    // MARK: Faults

    func cut(_ link: Link) {
        Self.reset(link.client)
        link.server?.close(promise: nil)
    }

    func cutAll() {
        for link in links where link.client.isActive || link.server?.isActive == true {
            cut(link)
        }
    }

    func refuseNew(for duration: TimeAmount) {
        listener?.close(promise: nil)
        listener = nil
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(in: duration) {
            bound.value.listen(port: bound.value.port).whenFailure { error in
                print("FaultProxy: cannot listen again on port \(bound.value.port): \(error)")
            }
        }
    }

    func stop() {
        listener?.close(promise: nil)
        listener = nil
        for link in links {
            link.client.close(promise: nil)
            link.server?.close(promise: nil)
        }
    }

    /// Closes with a TCP reset (SO_LINGER 0) instead of an orderly FIN.
    static func reset(_ channel: any Channel) {
        guard channel.isActive else { return }
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// One client connection and the server connection opened for it.
private final class Link {
    let client: any Channel
    var server: (any Channel)?
    /// What the client sent before the server connection was up.
    var pendingToServer: [ByteBuffer] = []
    /// Everything the client sent, for tests that check what went over the wire.
    var fromClient: [UInt8] = []
    /// The end of the client's last chunk, so a pattern split across reads is still found.
    var clientTail: [UInt8] = []
    /// The client was cut after its request went to the server: the server's answers are dropped.
    var answerLost = false

    init(client: any Channel) {
        self.client = client
    }
}

private final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let relay: Relay
    let link: Link

    init(relay: Relay, link: Link) {
        self.relay = relay
        self.link = link
    }

    func channelActive(context: ChannelHandlerContext) {
        relay.connectToServer(for: link)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        relay.fromClient(unwrapInboundIn(data), on: link)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The server keeps the connection while an answer is awaited to be dropped.
        if !link.answerLost {
            link.server?.close(promise: nil)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private final class ServerSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let relay: Relay
    let link: Link

    init(relay: Relay, link: Link) {
        self.relay = relay
        self.link = link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        relay.fromServer(unwrapInboundIn(data), on: link)
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.client.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
