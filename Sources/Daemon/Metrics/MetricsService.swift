import JobStore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves `GET /metrics` on `[metrics] listen` and keeps the job counts in ``DaemonMetrics`` fresh. The socket is
/// bound before the service group starts (``bind(_:metrics:settings:logger:)``), so a port in use stops the
/// daemon at once with the setting's file and line, like any other bad setting; SIGHUP does not rebind.
///
/// The job counts come from a Postgres connection of the service's own, read every `[daemon] poll_interval`: a
/// scrape only formats what is recorded, so it is answered at once, even while Postgres or the work loop hangs.
public struct MetricsService: Service {
    let channel: any Channel
    let metrics: DaemonMetrics
    let settings: DaemonSettingsStore
    let logger: Logger

    /// Binds `address`; requests are answered from then on.
    public static func bind(
        _ address: ListenAddress,
        metrics: DaemonMetrics,
        settings: DaemonSettingsStore,
        logger: Logger
    ) async throws -> MetricsService {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHTTPHandler {
                            OpenMetricsText.render(
                                metrics.snapshot(at: .now, stuckAfter: settings.current.daemon.stuckAfter)
                            )
                        }
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch let error as IOError {
            // NIO's description names its own call ("bind(descriptor:ptr:bytes:): ... (errno: 98)"); the system's
            // message is what an operator can act on.
            throw BindFailure(reason: String(cString: strerror(error.errnoCode)))
        }
        let service = MetricsService(channel: channel, metrics: metrics, settings: settings, logger: logger)
        // With port 0 the system picked the port: the line says which.
        let bound = ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
        logger.notice("metrics served at http://\(bound)/metrics", metadata: ["metrics.listen": "\(bound)"])
        return service
    }

    /// Why the endpoint could not bind, as the system says it: `Address already in use`.
    struct BindFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await refreshJobCounts() }
        try? await channel.close()
    }

    /// Reads the job counts every poll interval until cancelled, over a connection that reconnects by itself. After
    /// Postgres refused a connection (a wrong password) it waits `[daemon] retry_maximum` before the next attempt,
    /// as the work loop does, instead of adding a failed login every poll interval.
    private func refreshJobCounts() async {
        var storeLogger = logger
        // The work loop reports Postgres outages; this connection's retries would only repeat them.
        storeLogger.logLevel = .error
        var store: JobStore?
        while !Task.isCancelled {
            let current = settings.current
            var pause = current.daemon.pollInterval
            do {
                if store == nil {
                    store = try await JobStore.open(current.jobStore, logger: storeLogger, migrate: false)
                }
                metrics.jobCounts(try await store?.countsByState())
            } catch {
                metrics.jobCounts(nil)
                if error.postgresError?.isRefusedConnection == true { pause = current.daemon.retryMaximum }
            }
            do { try await Task.sleep(for: pause) } catch { break }
        }
        await store?.close()
    }
}
