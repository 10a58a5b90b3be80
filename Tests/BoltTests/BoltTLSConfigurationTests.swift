import Testing

@testable import Bolt

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a TLS configuration refuses before any socket is opened, and how its errors read.
@Suite struct BoltTLSConfigurationTests {
    static let plain = BoltURL(host: "db", port: 7687)
    static let verified = BoltURL(host: "db", port: 7687, tls: .verified)
    static let selfSigned = BoltURL(host: "db", port: 7687, tls: .selfSignedAccepted)

    @Test func plainBoltNeedsNoContext() throws {
        #expect(try BoltTLSConfiguration().makeContext(for: Self.plain) == nil)
    }

    @Test func selfSignedAcceptedNeedsNoCAFile() throws {
        #expect(try BoltTLSConfiguration().makeContext(for: Self.selfSigned) != nil)
    }

    @Test func aCAFileTheSchemeWouldIgnoreIsRefused() {
        let configuration = BoltTLSConfiguration(caFile: "/etc/ca.pem")
        #expect(throws: BoltError.tls(host: "db", port: 7687, .caFileIgnored(path: "/etc/ca.pem", scheme: "bolt"))) {
            try configuration.makeContext(for: Self.plain)
        }
        #expect {
            try configuration.makeContext(for: Self.selfSigned)
        } throws: { error in
            "\(error)"
                == "TLS: a CA file (/etc/ca.pem) was given for bolt+ssc://db:7687, which verifies no certificate; "
                + "use bolt+s:// to verify the server against it"
        }
    }

    @Test func aMissingCAFileSaysWhy() {
        let configuration = BoltTLSConfiguration(caFile: "/nonexistent/ca.pem")
        #expect {
            try configuration.makeContext(for: Self.verified)
        } throws: { error in
            "\(error)" == "TLS: cannot use the CA file /nonexistent/ca.pem for db:7687: No such file or directory"
        }
    }

    @Test func aFileWithoutCertificatesIsRefused() throws {
        let path = "/tmp/sluice-not-a-ca-\(getpid()).pem"
        let file = try #require(fopen(path, "w"))
        fputs("not a certificate\n", file)
        fclose(file)
        defer { unlink(path) }
        #expect {
            try BoltTLSConfiguration(caFile: path).makeContext(for: Self.verified)
        } throws: { error in
            guard case BoltError.tls(_, _, .unreadableCAFile(path, _)) = error else { return false }
            return !(error as! BoltError).isRetryable
        }
    }

    @Test func failuresAreOneLineNamingTheServer() {
        let verify = BoltError.tls(host: "db", port: 7687, .certificateVerifyFailed(trusting: "the CA file /ca.pem"))
        #expect("\(verify)".hasPrefix("TLS: certificate verify failed for db:7687: "))
        #expect("\(verify)".contains("/ca.pem"))
        let mismatch = BoltError.tls(host: "127.0.0.2", port: 1, .hostnameMismatch(expected: "127.0.0.2"))
        #expect(
            "\(mismatch)"
                == "TLS: hostname mismatch for 127.0.0.2:1: the server's certificate is not valid for '127.0.0.2'"
        )
        #expect(!"\(verify)\(mismatch)".contains("\n"))
    }
}
