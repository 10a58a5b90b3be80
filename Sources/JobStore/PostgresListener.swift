import CLibPQ
import Foundation
import Logging

/// Receives `NOTIFY` messages on a dedicated connection and thread.
///
/// The thread sleeps in `poll(2)` on the connection's socket (and a wake-up pipe), so a notification is delivered
/// the moment it arrives, without polling the database, without blocking an event loop or Swift's cooperative
/// threads. When the server goes away the listener reconnects with backoff for as long as it lives, re-issues its
/// `LISTEN`s and emits ``Event/reconnected``: notifications sent while it was away are lost, so a consumer should
/// then re-read the state it cares about. A server that stops answering without closing the connection (hung, or
/// behind a partition) counts as gone once its idle probe or a `LISTEN` has waited the configuration's
/// ``PostgresConfiguration/answerTimeout`` (``PostgresExchange``); ``stop()`` takes effect after such a wait.
public final class PostgresListener: Sendable {
    /// What the listener reports.
    public enum Event: Sendable, Equatable {
        /// A notification arrived.
        case notification(PostgresNotification)
        /// The connection was re-established after a loss; notifications may have been missed meanwhile.
        case reconnected
    }

    /// Notifications and reconnects, in order. Ends when the listener is stopped.
    public let events: AsyncStream<Event>
    private let worker: Worker

    private init(worker: Worker, events: AsyncStream<Event>) {
        self.worker = worker
        self.events = events
    }

    /// Connects, `LISTEN`s on `channels`, and returns once the server has confirmed: a `NOTIFY` committed after this
    /// returns is guaranteed to be delivered.
    ///
    /// - Parameter channels: channel names (letters, digits, `_`; at most 63 bytes).
    public static func start(
        configuration: PostgresConfiguration,
        channels: [String],
        logger: Logger = Logger(label: "sluice.postgres.listen")
    ) async throws(PostgresError) -> PostgresListener {
        for channel in channels where !PostgresIdentifier.isValid(channel) {
            throw .invalidArgument("channel name \(channel.debugDescription) must be 1-63 letters, digits or _")
        }
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(10_000))
        let worker = try Worker(
            configuration: configuration,
            channels: channels,
            logger: logger,
            continuation: continuation
        )
        let result: Result<Void, PostgresError> = await withCheckedContinuation { ready in
            worker.start { ready.resume(returning: $0) }
        }
        if case .failure(let error) = result {
            worker.stop()
            throw error
        }
        return PostgresListener(worker: worker, events: events)
    }

    /// Closes the connection and ends ``events``. Idempotent.
    public func stop() {
        worker.stop()
    }

    deinit {
        worker.stop()
    }

    /// The thread's state. Mutable parts are guarded by `lock`; the `PGconn` is touched only by the thread.
    private final class Worker: @unchecked Sendable {
        let configuration: PostgresConfiguration
        let channels: [String]
        let logger: Logger
        let continuation: AsyncStream<Event>.Continuation
        let wakeRead: Int32
        let wakeWrite: Int32
        private let lock = NSLock()
        private var stopping = false

        init(
            configuration: PostgresConfiguration,
            channels: [String],
            logger: Logger,
            continuation: AsyncStream<Event>.Continuation
        ) throws(PostgresError) {
            self.configuration = configuration
            self.channels = channels
            self.logger = logger
            self.continuation = continuation
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw .invalidArgument("cannot create a pipe: errno \(errno)") }
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
            wakeRead = fds[0]
            wakeWrite = fds[1]
        }

        deinit {
            close(wakeRead)
            close(wakeWrite)
        }

        var isStopping: Bool {
            lock.lock()
            defer { lock.unlock() }
            return stopping
        }

        func start(ready: @escaping @Sendable (Result<Void, PostgresError>) -> Void) {
            let thread = Thread { [self] in run(ready: ready) }
            thread.name = "sluice-postgres-listen"
            thread.start()
        }

        func stop() {
            lock.lock()
            let wasStopping = stopping
            stopping = true
            lock.unlock()
            if !wasStopping {
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            }
        }

        /// Waits up to `seconds` or until stopped; false when stopped.
        private func sleep(_ seconds: Double) -> Bool {
            var pfd = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, Int32(seconds * 1000))
            return !isStopping
        }

        private func drainWakePipe() {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &buffer, buffer.count) > 0 {}
        }

        private func run(ready: @escaping @Sendable (Result<Void, PostgresError>) -> Void) {
            var pendingReady: (@Sendable (Result<Void, PostgresError>) -> Void)? = ready
            // The wake pipe stays open until the worker is gone (deinit): `stop()` may write to it after this thread
            // has ended, and a descriptor closed here could by then belong to another connection.
            defer { continuation.finish() }
            while !isStopping {
                let connection: OpaquePointer
                do {
                    connection = try PostgresConnector.connect(configuration, logger: logger) { sleep($0) }
                    try listen(connection)
                } catch {
                    if let report = pendingReady {
                        report(.failure(error))
                        return
                    }
                    // A server still down or refusing the login is what its user reports once; anything else is
                    // worth an error.
                    logger.log(
                        level: error.isConnectionProblem || error.isRefusedConnection ? .debug : .error,
                        "cannot re-establish the Postgres listener, will keep trying",
                        metadata: ["postgres.error": "\(error)"]
                    )
                    let policy = configuration.reconnect
                    let delay = error.isRefusedConnection ? policy.afterRefusal : policy.maximumDelay
                    if !sleep(delay.seconds.clamped(min: 1)) { return }
                    continue
                }
                if let report = pendingReady {
                    pendingReady = nil
                    report(.success(()))
                } else {
                    logger.info("Postgres listener reconnected", metadata: ["postgres.channels": "\(channels)"])
                    continuation.yield(.reconnected)
                }
                waitForNotifications(connection)
                PQfinish(connection)
            }
        }

        private func listen(_ connection: OpaquePointer) throws(PostgresError) {
            for channel in channels {
                let sql = "LISTEN " + PostgresIdentifier.quote(channel)
                let result: OpaquePointer
                do {
                    result = try exchange(sql, on: connection)
                } catch {
                    PQfinish(connection)
                    throw error
                }
                let ok = PQresultStatus(result) == PGRES_COMMAND_OK
                let message = String(cString: PQresultErrorMessage(result))
                PQclear(result)
                guard ok else {
                    PQfinish(connection)
                    throw .connectionFailed(message: PostgresConnector.scrubbed(message, configuration))
                }
            }
        }

        /// Runs `sql` on the listener's connection within the answer timeout (``PostgresExchange``).
        private func exchange(_ sql: String, on connection: OpaquePointer) throws(PostgresError) -> OpaquePointer {
            try PostgresExchange.run(
                on: connection,
                sql: sql,
                answerTimeout: configuration.answerTimeout,
                configuration: configuration
            ) { PQsendQuery($0, sql) }
        }

        /// Returns when the connection broke or the listener is stopping.
        private func waitForNotifications(_ connection: OpaquePointer) {
            let socket = PQsocket(connection)
            while !isStopping {
                var fds = [
                    pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                ]
                // Wake up now and then even when idle, to notice a server that vanished without closing the socket.
                let ready = poll(&fds, 2, 15_000)
                if ready < 0 {
                    if errno == EINTR { continue }
                    logger.error("poll failed on the Postgres listener", metadata: ["errno": "\(errno)"])
                    return
                }
                if fds[1].revents != 0 { drainWakePipe() }
                if isStopping { return }
                if ready == 0 {
                    // Idle probe: an empty query is one round trip and fails if the server is gone, or does not answer.
                    do {
                        PQclear(try exchange("", on: connection))
                    } catch {
                        logger.debug("Postgres listener's probe failed", metadata: ["postgres.error": "\(error)"])
                        return
                    }
                } else if fds[0].revents != 0 {
                    if PQconsumeInput(connection) == 0 {
                        // The listener reconnects; the daemon's work loop warns once per outage.
                        logger.debug(
                            "Postgres listener connection lost",
                            metadata: [
                                "postgres.error":
                                    "\(PostgresConnector.scrubbed(String(cString: PQerrorMessage(connection)), configuration))"
                            ]
                        )
                        return
                    }
                }
                while let notify = PQnotifies(connection) {
                    let n = notify.pointee
                    continuation.yield(
                        .notification(
                            PostgresNotification(
                                channel: String(cString: n.relname),
                                payload: n.extra.map { String(cString: $0) } ?? "",
                                senderPID: n.be_pid
                            )
                        )
                    )
                    PQfreemem(notify)
                }
                if PQstatus(connection) != CONNECTION_OK { return }
            }
        }
    }
}

extension Double {
    fileprivate func clamped(min lower: Double) -> Double { Swift.max(self, lower) }
}
