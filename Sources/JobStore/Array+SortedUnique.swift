extension Array where Element: Comparable {
    /// The elements in ascending order, each once: the form of a plan, which holds every item once.
    public func sortedUnique() -> [Element] {
        var sorted = self.sorted()
        // Adjacent once sorted: each element kept once.
        var kept = 0
        for index in sorted.indices where kept == 0 || sorted[index] != sorted[kept - 1] {
            sorted[kept] = sorted[index]
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }
}
