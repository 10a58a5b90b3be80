import Foundation

/// An async mutex between the tests of one process: a test awaits its turn, and the next waiter gets it when the
/// holder is done, first come first served. For a resource tests in different suites (so run in parallel) must not
/// share at once, such as a Postgres cluster they stop.
final class ExclusiveTurn: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// The turns the current task holds: a test holding a turn may call code that takes it again (a fixture inside
    /// the test's own turn) without waiting for itself.
    @TaskLocal private static var held: Set<ObjectIdentifier> = []

    /// Runs `body` once no other caller is inside it; at once when the current task already holds this turn.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let me = ObjectIdentifier(self)
        if Self.held.contains(me) { return try await body() }
        await begin()
        defer { end() }
        return try await Self.$held.withValue(Self.held.union([me])) { try await body() }
    }

    private func begin() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if held {
                waiters.append(continuation)
                lock.unlock()
            } else {
                held = true
                lock.unlock()
                continuation.resume()
            }
        }
    }

    /// Hands the turn to the first waiter (it stays held), or frees it.
    private func end() {
        lock.lock()
        let next = waiters.isEmpty ? nil : waiters.removeFirst()
        if next == nil { held = false }
        lock.unlock()
        next?.resume()
    }
}
