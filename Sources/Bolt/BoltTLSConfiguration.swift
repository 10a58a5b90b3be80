import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whom a `bolt+s://` connection trusts: the system's trust store, or the CAs of one PEM file (a
/// private CA, as most self-hosted Neo4j setups use). Whether TLS is used at all is the URL's scheme.
public struct BoltTLSConfiguration: Sendable, Hashable {
    /// A PEM file of CA certificates trusted instead of the system's trust store; nil for the store.
    public var caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile
    }

    /// The TLS context for a connection to `url`, or nil for `bolt://`. Checked here rather than at the
    /// handshake, so a missing CA file or a CA file the scheme would ignore is reported as such.
    func makeContext(for url: BoltURL) throws(BoltError) -> NIOSSLContext? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch url.tls {
        case .none:
            if let caFile { throw .tls(host: url.host, port: url.port, .caFileIgnored(path: caFile, scheme: "bolt")) }
            return nil
        case .selfSignedAccepted:
            if let caFile {
                throw .tls(host: url.host, port: url.port, .caFileIgnored(path: caFile, scheme: url.tls.scheme))
            }
            configuration.certificateVerification = .none
        case .verified:
            configuration.certificateVerification = .fullVerification
            if let caFile {
                configuration.trustRoots = .certificates(try Self.certificates(in: caFile, for: url))
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tls(host: url.host, port: url.port, .handshakeFailed("cannot set up TLS: \(error)"))
        }
    }

    /// The client handler for one connection: SNI and hostname verification use the URL's host, unless it
    /// is an IP address (SNI forbids those; the certificate is then checked against the address).
    func makeHandler(context: NIOSSLContext, for url: BoltURL) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: url.host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : url.host)
    }

    /// `error` from the TLS layer as a ``BoltError/tls(host:port:_:)``; nil when it is not a TLS error.
    func failure(_ error: any Error, connectingTo url: BoltURL) -> BoltError? {
        let failure: BoltTLSFailure
        switch error {
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            failure = .hostnameMismatch(expected: url.host)
        case NIOSSLError.handshakeFailed(let sslError) as NIOSSLError:
            let text = "\(sslError)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                failure = .certificateVerifyFailed(
                    trusting: caFile.map { "the CA file \($0)" } ?? "the system trust store"
                )
            } else if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG")
                || text.contains("EOF during handshake")
            {
                failure = .handshakeFailed("the server does not answer in TLS; is this its TLS port?")
            } else {
                failure = .handshakeFailed(text)
            }
        case let error as NIOSSLError:
            failure = .handshakeFailed("\(error)")
        case let error as NIOSSLExtraError:
            failure = .handshakeFailed("\(error)")
        case let error as BoringSSLError:
            failure = .handshakeFailed("\(error)")
        default:
            return nil
        }
        return .tls(host: url.host, port: url.port, failure)
    }

    private static func certificates(in path: String, for url: BoltURL) throws(BoltError) -> [NIOSSLCertificate] {
        func unreadable(_ reason: String) -> BoltError {
            .tls(host: url.host, port: url.port, .unreadableCAFile(path: path, reason: reason))
        }
        guard access(path, R_OK) == 0 else { throw unreadable(String(cString: strerror(errno))) }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw unreadable("not a PEM certificate file")
        }
        guard !certificates.isEmpty else { throw unreadable("it holds no PEM certificate") }
        return certificates
    }
}
