import Daemon
import Dispatch
import Foundation
import JobStore

/// `sluice status --watch`: polls one job every second and redraws its progress line until it ends, printing a
/// line for each change of state (with who made it) and the outcome at the end.
struct StatusWatch {
    let store: JobStore
    let job: Job
    /// How often the job is read again.
    var interval: Duration = .seconds(1)

    func run() async throws {
        var output = StandardOutput()
        var view = JobView(job)
        output.write("job \(job.id): \(view.title) on \(job.target)\n")
        output.write("  \(view.stateText)\n")
        let display = ProgressDisplay(title: view.title, handle: .standardOutput)
        let interrupt = Self.finishLineOnInterrupt(display)
        defer { interrupt.cancel() }
        display.show(view.snapshot, force: true)
        var last = job
        while !last.state.isFinished {
            try await Task.sleep(for: interval)
            guard let current = try await store.job(job.id) else { throw JobStoreError.jobNotFound(job.id) }
            view = JobView(current)
            let changed = current.state != last.state || current.cancelRequested != last.cancelRequested
            if changed && !current.state.isFinished {
                display.finish()
                output.write("  \(view.stateText)\(try await actor(of: current))\n")
            }
            display.show(view.snapshot, force: changed)
            last = current
        }
        display.finish()
        let ending = "job \(last.id) \(view.stateText)\(try await actor(of: last))"
        switch last.state {
        case .succeeded:
            output.write(
                ending
                    + ": \(ProgressText.count(last.planDone)) items, \(ProgressText.count(last.itemsChanged)) changed, "
                    + "\(ProgressText.count(last.itemsQuarantined)) quarantined\n"
            )
        default:
            throw CommandError(ending + (last.lastError.map { ": \($0)" } ?? ""))
        }
    }

    /// ` (by alice@host)`: who made the job's newest change of state, when an operator did.
    private func actor(of job: Job) async throws -> String {
        let event = try await store.events(of: job.id).last { $0.kind == .state }
        guard let actor = event?.actor, actor != job.leaseOwner else { return "" }
        return " (by \(actor))"
    }

    /// On Ctrl-C, ends the redrawn line before exiting (status 130, as the shell expects), so the prompt does not
    /// land on it.
    private static func finishLineOnInterrupt(_ display: ProgressDisplay) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT)
        source.setEventHandler {
            display.finish()
            Foundation.exit(130)
        }
        source.resume()
        return source
    }
}
