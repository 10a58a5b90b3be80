import Testing

@testable import Bolt

@Suite struct BoltURLTests {
    @Test func parsesHostAndPort() throws {
        #expect(try BoltURL(parsing: "bolt://db.example.com:7688") == BoltURL(host: "db.example.com", port: 7688))
        #expect(try BoltURL(parsing: "bolt://localhost") == BoltURL(host: "localhost", port: 7687))
        #expect(try BoltURL(parsing: "BOLT://h:1/") == BoltURL(host: "h", port: 1))
        #expect(try BoltURL(parsing: "bolt://[::1]:7690") == BoltURL(host: "::1", port: 7690))
    }

    @Test(arguments: [
        "localhost:7687", "http://localhost", "bolt://", "bolt://h:0", "bolt://h:x", "bolt://u:p@h",
        "bolt://h/db", "neo4j://h", "neo4j+s://h",
    ])
    func refusesWhatItCannotHonour(_ text: String) {
        #expect(throws: BoltError.self) { try BoltURL(parsing: text) }
    }

    @Test func schemeSetsTLS() throws {
        #expect(try BoltURL(parsing: "bolt://h").tls == .none)
        #expect(
            try BoltURL(parsing: "bolt+s://db.example.com:7688")
                == BoltURL(host: "db.example.com", port: 7688, tls: .verified)
        )
        #expect(try BoltURL(parsing: "BOLT+SSC://h").tls == .selfSignedAccepted)
        #expect("\(try BoltURL(parsing: "bolt+s://h"))" == "bolt+s://h:7687")
        #expect("\(BoltURL(host: "::1", port: 1, tls: .selfSignedAccepted))" == "bolt+ssc://[::1]:1")
    }

    @Test func routingIsRefusedWithTheReason() {
        #expect {
            try BoltURL(parsing: "neo4j://cluster:7687")
        } throws: { error in
            "\(error)".contains("routing")
        }
    }

    @Test(arguments: [
        "bolt://neo4j:s3cret@db:7687", "bolt://neo4j:s3/cret@db", "neo4j://u:s3cret@db", "u:s3cret@db:7687",
        "bolt://u:s3cret@db/x?y#z",
    ])
    func urlErrorsHideTheUserInformation(_ text: String) {
        #expect {
            try BoltURL(parsing: text)
        } throws: { error in
            let message = "\(error)"
            return !message.contains("s3") && message.contains("***@")
        }
    }

    @Test func authDescriptionHidesThePassword() {
        let auth = BoltAuth.basic(user: "neo4j", password: "hunter2")
        #expect(!"\(auth)".contains("hunter2"))
    }
}
