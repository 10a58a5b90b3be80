import NIOCore

/// The opening exchange of a Bolt connection: the client sends a magic preamble and four version
/// proposals, the server answers with the one it picked (or zero).
///
/// The first proposal is a range 5.7 down to 5.1: FalkorDB reads only the first proposal and ignores
/// the range byte, so it must be one it echoes (see BOLT-SERVERS.md). 5.0, which authenticates in HELLO,
/// comes second.
enum BoltHandshake {
    static let magic: UInt32 = 0x6060_B017
    static let responseLength = 4

    /// Each proposal is `00 range minor major`: the server may pick major.(minor - range)...major.minor.
    static let proposals: [(major: UInt8, minor: UInt8, range: UInt8)] = [
        (5, 7, 6),
        (5, 0, 0),
        (0, 0, 0),
        (0, 0, 0),
    ]

    static func writeRequest(into buffer: inout ByteBuffer) {
        buffer.writeInteger(magic)
        for proposal in proposals {
            buffer.writeBytes([0, proposal.range, proposal.minor, proposal.major])
        }
    }

    /// The version the server picked, or an error when it picked none this client speaks.
    static func readResponse(from buffer: inout ByteBuffer) throws(BoltError) -> BoltVersion? {
        guard let bytes = buffer.readBytes(length: responseLength) else { return nil }
        let version = BoltVersion(major: bytes[3], minor: bytes[2])
        if bytes == [0, 0, 0, 0] {
            throw .handshakeRejected(proposed: "5.1-5.7, 5.0")
        }
        // "HTTP" answers a Bolt client that reached an HTTP port.
        if bytes == Array("HTTP".utf8) {
            throw .protocolViolation("the server answered the Bolt handshake with HTTP: is this the HTTP port?")
        }
        guard BoltVersion.supported.contains(version) else {
            throw .handshakeRejected(proposed: "5.1-5.7, 5.0 (server chose \(version))")
        }
        return version
    }
}
