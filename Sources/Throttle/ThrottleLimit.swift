/// A limit in force and the window that imposes it, so a decision can say which rule is holding work back.
public struct ThrottleLimit: Sendable, Hashable {
    public var value: Int
    public var window: ThrottleWindow

    public init(value: Int, window: ThrottleWindow) {
        self.value = value
        self.window = window
    }
}
