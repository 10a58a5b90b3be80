import Bolt
import Foundation
import Testing

/// `bolt+s://` and `bolt+ssc://` through the stunnel front that `scripts/services` puts before ArcadeDB.
/// Its certificate, signed by a test CA, is valid for `localhost` and `127.0.0.1` only.
@Suite struct BoltTLSTests {
    /// The TLS front, from the environment; nil (skipped, or failed under `CI=true`) when not running.
    struct Front {
        let url: BoltURL
        let ca: String
        let otherCA: String
        let auth: BoltAuth
        let options: BoltTransactionOptions

        static func fromEnvironment(sourceLocation: SourceLocation = #_sourceLocation) throws -> Front? {
            let environment = ProcessInfo.processInfo.environment
            let names = ["SLUICE_TEST_TLS_URL", "SLUICE_TEST_TLS_CA", "SLUICE_TEST_TLS_OTHER_CA"]
            let missing = names.filter { environment[$0]?.isEmpty ?? true }
            guard missing.isEmpty, let server = try BoltTestServer.named("arcadedb", sourceLocation: sourceLocation)
            else {
                if !missing.isEmpty {
                    let reason = "tls: \(missing.joined(separator: ", ")) not set (run the tests through scripts/test)"
                    if environment["CI"] == "true" {
                        Issue.record("CI=true but \(reason)", sourceLocation: sourceLocation)
                    } else {
                        print("SKIPPED on \(reason)")
                    }
                }
                return nil
            }
            return Front(
                url: try BoltURL(parsing: environment["SLUICE_TEST_TLS_URL"]!),
                ca: environment["SLUICE_TEST_TLS_CA"]!,
                otherCA: environment["SLUICE_TEST_TLS_OTHER_CA"]!,
                auth: server.auth,
                options: server.options
            )
        }

        func url(host: String? = nil, port: Int? = nil, tls: BoltURL.TLS = .verified) -> BoltURL {
            BoltURL(host: host ?? url.host, port: port ?? url.port, tls: tls)
        }

        func connect(_ url: BoltURL, caFile: String?) async throws -> BoltConnection {
            try await BoltConnection.connect(to: url, auth: auth, tls: BoltTLSConfiguration(caFile: caFile))
        }

        /// Connects, runs `RETURN 1`, and closes.
        func returnsOne(_ url: BoltURL, caFile: String?) async throws {
            let connection = try await connect(url, caFile: caFile)
            let records = try await connection.run("RETURN 1 AS x", options: options).collect()
            await connection.close()
            #expect(records.first?["x"] == 1, "over \(url)")
        }
    }

    @Test func verifiedWithTheRightCARunsQueries() async throws {
        guard let front = try Front.fromEnvironment() else { return }
        print("RAN verifiedWithTheRightCARunsQueries on \(front.url)")
        try await front.returnsOne(front.url, caFile: front.ca)
        // The certificate names the address too.
        try await front.returnsOne(front.url(host: "127.0.0.1"), caFile: front.ca)
        // Through a pool, a result larger than one TLS record.
        let pool = BoltConnectionPool(
            url: front.url,
            auth: front.auth,
            configuration: .init(maximumConnections: 2, tls: BoltTLSConfiguration(caFile: front.ca))
        )
        let sum = try await pool.withConnection { connection in
            var sum: Int64 = 0
            for try await record in try await connection.run(
                "UNWIND range(1, 100000) AS i RETURN i",
                options: front.options
            ) {
                sum += record[0].intValue ?? 0
            }
            return sum
        }
        #expect(sum == 5_000_050_000)
        await pool.close()
    }

    @Test func wrongCAFailsWithAClearMessage() async throws {
        guard let front = try Front.fromEnvironment() else { return }
        print("RAN wrongCAFailsWithAClearMessage on \(front.url)")
        for (caFile, trusting) in [(front.otherCA, "the CA file \(front.otherCA)"), (nil, "the system trust store")] {
            await #expect {
                try await front.returnsOne(front.url, caFile: caFile)
            } throws: { error in
                print("wrong CA (\(trusting)): \(error)")
                let text = "\(error)"
                return error as? BoltError
                    == .tls(host: front.url.host, port: front.url.port, .certificateVerifyFailed(trusting: trusting))
                    && text.hasPrefix("TLS: certificate verify failed for \(front.url.host):\(front.url.port)")
                    && !text.contains("\n") && !(error as! BoltError).isRetryable
            }
        }
    }

    /// 127.0.0.2 reaches the front through a forwarder (Linux routes all of 127/8 to loopback), but the
    /// certificate names only `localhost` and 127.0.0.1.
    @Test func addressNotInTheCertificateFails() async throws {
        guard let front = try Front.fromEnvironment() else { return }
        print("RAN addressNotInTheCertificateFails on \(front.url)")
        let proxy = try await FaultProxy.start(to: front.url(host: "127.0.0.1"), listeningOn: "127.0.0.2")
        let url = proxy.url(tls: .verified)
        await #expect {
            try await front.returnsOne(url, caFile: front.ca)
        } throws: { error in
            print("hostname mismatch: \(error)")
            return error as? BoltError
                == .tls(host: "127.0.0.2", port: proxy.port, .hostnameMismatch(expected: "127.0.0.2"))
                && "\(error)".hasPrefix("TLS: hostname mismatch for 127.0.0.2:\(proxy.port)")
        }
        // bolt+ssc checks no name: the same address works.
        try await front.returnsOne(proxy.url(tls: .selfSignedAccepted), caFile: nil)
        await proxy.stop()
    }

    @Test func selfSignedAcceptedNeedsNoCA() async throws {
        guard let front = try Front.fromEnvironment() else { return }
        print("RAN selfSignedAcceptedNeedsNoCA on \(front.url)")
        try await front.returnsOne(front.url(tls: .selfSignedAccepted), caFile: nil)
    }

    @Test func tlsToAPlainPortFailsClearly() async throws {
        guard let front = try Front.fromEnvironment(), let server = try BoltTestServer.named("arcadedb") else { return }
        print("RAN tlsToAPlainPortFailsClearly on \(server.url)")
        let url = BoltURL(host: server.url.host, port: server.url.port, tls: .verified)
        await #expect {
            try await front.returnsOne(url, caFile: front.ca)
        } throws: { error in
            print("bolt+s to a plain port: \(error)")
            guard case BoltError.tls(_, _, .handshakeFailed) = error else { return false }
            return !"\(error)".contains("\n")
        }
    }
}
