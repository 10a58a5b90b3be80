extension Duration {
    /// As a floating-point number of seconds, for rates (items per second) and scaling.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
