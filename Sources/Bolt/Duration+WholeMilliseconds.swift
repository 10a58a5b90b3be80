extension Duration {
    /// The duration in whole milliseconds, the rest dropped: the unit of Bolt's `tx_timeout`, of the graph server's
    /// `timestamp()` and of the journal's and the configuration's millisecond fields.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
