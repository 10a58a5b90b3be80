import Bolt
import Foundation
import Testing

/// The client against a server that breaks the protocol on purpose (``HostileBoltServer``): every case ends
/// in a typed error and a closed connection, within a time limit (no hang), and the process goes on.
@Suite(.timeLimit(.minutes(2)))
struct HostileBoltServerTests {
    typealias Server = HostileBoltServer

    /// A client's exchange with a server scripted to answer RUN (after a normal greeting) with `reply`.
    /// Messages are limited to 1 MiB here: the limit is what is tested, and tests beside this one measure
    /// the process's memory.
    private func runAgainst(_ reply: Server.Reply) async throws -> (BoltError?, BoltConnection) {
        let server = try await Server.start { tag in
            Server.greeting(tag) ?? (tag == Server.Request.run ? reply : .nothing)
        }
        defer { Task { await server.stop() } }
        let connection = try await BoltConnection.connect(to: server.url, auth: .none, maximumMessageSize: 1 << 20)
        do {
            _ = try await connection.run("RETURN 1").collect()
            return (nil, connection)
        } catch {
            return (error, connection)
        }
    }

    /// `connection` closes by itself after the error: a client must not reuse a stream it cannot trust.
    private func expectClosed(_ connection: BoltConnection) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while connection.isActive, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!connection.isActive, "the connection stayed open after a protocol error")
    }

    @Test func messageLargerThanTheLimitIsRefusedWithoutBufferingForever() async throws {
        // 20 full chunks (over 1 MiB) with no end marker: the decoder must give up at its limit.
        let (error, connection) = try await runAgainst(.endlessMessage(chunks: 20))
        guard case .messageTooLarge(let limit) = error else {
            Issue.record("expected messageTooLarge, got \(String(describing: error))")
            return
        }
        #expect(limit == 1 << 20)
        try await expectClosed(connection)
    }

    @Test func structureWithTheWrongFieldCountIsAProtocolViolation() async throws {
        // SUCCESS (0x70) takes one map; this one has two.
        let (error, connection) = try await runAgainst(.send(Server.chunked([0xB2, 0x70, 0xA0, 0xA0])))
        guard case .protocolViolation(let reason) = error else {
            Issue.record("expected protocolViolation, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("0x70"))
        try await expectClosed(connection)
    }

    @Test func unknownMessageIsAProtocolViolation() async throws {
        let (error, connection) = try await runAgainst(.send(Server.message(0x55, [.map([:])])))
        guard case .protocolViolation(let reason) = error else {
            Issue.record("expected protocolViolation, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("0x55"))
        try await expectClosed(connection)
    }

    @Test func forgedStringLengthIsAMalformedMessage() async throws {
        // SUCCESS {<a string claiming 4 GiB>: ...}
        let (error, connection) = try await runAgainst(
            .send(Server.chunked([0xB1, 0x70, 0xA1, 0xD2, 0xFF, 0xFF, 0xFF, 0xFF, 0x41]))
        )
        guard case .malformedMessage = error else {
            Issue.record("expected malformedMessage, got \(String(describing: error))")
            return
        }
        try await expectClosed(connection)
    }

    @Test func recordWhereNoResultIsOpenIsAProtocolViolation() async throws {
        // RUN answered with a RECORD before any SUCCESS opened a result.
        let (error, connection) = try await runAgainst(.send(Server.message(0x71, [.list([1])])))
        guard case .protocolViolation = error else {
            Issue.record("expected protocolViolation, got \(String(describing: error))")
            return
        }
        try await expectClosed(connection)
    }

    @Test func connectionCutInTheMiddleOfAnAnswerLeavesTheOutcomeUnknown() async throws {
        // The auto-commit RUN reached the server and its answer broke off: it may have committed.
        let (error, connection) = try await runAgainst(.sendAndClose([0x00, 0x10, 0xB1, 0x70]))
        guard case .unknownOutcome = error else {
            Issue.record("expected an unknown outcome, got \(String(describing: error))")
            return
        }
        try await expectClosed(connection)
    }

    @Test func failureInReplyToHelloFailsTheConnect() async throws {
        let failure = Server.message(
            0x7F,
            [.map(["code": "Neo.ClientError.Security.Unauthorized", "message": "go away"])]
        )
        let server = try await Server.start { tag in tag == Server.Request.hello ? .send(failure) : .nothing }
        defer { Task { await server.stop() } }
        do {
            let connection = try await BoltConnection.connect(to: server.url, auth: .basic(user: "u", password: "p"))
            Issue.record("connected to a server that refused HELLO: \(connection.serverInfo)")
        } catch .authenticationFailed, .server {
            // Either is the truth: the server refused the greeting.
        } catch {
            Issue.record("expected the server's refusal, got \(error)")
        }
    }

    @Test func unsolicitedMessageAfterTheGreetingClosesTheConnection() async throws {
        // LOGON answered twice: the second SUCCESS answers nothing the client asked. Arriving in the same
        // read as the first, it may fail the connect itself; arriving later, it closes the open connection.
        let server = try await Server.start { tag in
            tag == Server.Request.logon
                ? .send(Server.success() + Server.success()) : Server.greeting(tag) ?? .nothing
        }
        defer { Task { await server.stop() } }
        let connection: BoltConnection
        do {
            connection = try await BoltConnection.connect(to: server.url, auth: .none)
        } catch .connectionFailed, .protocolViolation {
            return
        }
        try await expectClosed(connection)
        await #expect(throws: BoltError.self) { _ = try await connection.run("RETURN 1").collect() }
    }

    @Test func serverThatNeverAnswersHelloFailsTheConnectInTime() async throws {
        let server = try await Server.start { _ in .nothing }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        do {
            _ = try await BoltConnection.connect(to: server.url, auth: .none, greetingTimeout: .seconds(2))
            Issue.record("connected to a server that never answered HELLO")
        } catch .connectionFailed(_, _, let reason) {
            #expect(reason.contains("HELLO"))
        } catch {
            Issue.record("expected a failed connect, got \(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test(arguments: [[UInt8]([0x00, 0x00, 0x00, 0x00]), [0x00, 0x00, 0x00, 0x09], [0x48, 0x54, 0x54, 0x50]])
    func handshakeWithAVersionNotProposedIsRejected(_ version: [UInt8]) async throws {
        let server = try await Server.start(version: version) { Server.greeting($0) ?? .nothing }
        defer { Task { await server.stop() } }
        do {
            _ = try await BoltConnection.connect(to: server.url, auth: .none)
            Issue.record("accepted the handshake answer \(version)")
        } catch .handshakeRejected, .protocolViolation {
            // The client names the versions it proposed, or the answer it could not read.
        } catch {
            Issue.record("expected the handshake refused, got \(error)")
        }
    }
}
