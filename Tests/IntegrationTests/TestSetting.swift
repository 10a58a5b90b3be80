import Synchronization

/// A value a test sets while the job runs and the job's pacer reads at each decision: the wall clock, the time windows
/// or the latency settings, as a daemon's reload replaces them.
final class TestSetting<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
    var current: Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
}
