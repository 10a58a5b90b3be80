/// A multiset of latencies kept in order, with insertion, removal and "the k-th smallest" in O(log n) expected time:
/// a treap with subtree sizes, its nodes in one array reused through a free list, so a window that stays at its
/// maximum size allocates nothing more.
struct OrderStatisticTree: Sendable {
    /// A latency made unique by its arrival number, so equal latencies can be removed one at a time.
    struct Key: Comparable, Sendable {
        var latency: Duration
        var sequence: UInt64

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.latency, lhs.sequence) < (rhs.latency, rhs.sequence)
        }
    }

    private struct Node: Sendable {
        var key: Key
        var priority: UInt64
        var left = Self.none
        var right = Self.none
        var size = 1

        static let none = -1
    }

    private var nodes: [Node] = []
    private var freeNodes: [Int] = []
    private var root = Node.none
    private var randomState: UInt64 = 0x5EED_5EED_5EED_5EED

    var count: Int { size(root) }

    mutating func insert(_ key: Key) {
        let node = allocate(key)
        let (lower, upper) = split(root) { $0 < key }
        root = merge(merge(lower, node), upper)
    }

    /// Removes `key` if present.
    mutating func remove(_ key: Key) {
        let (lower, rest) = split(root) { $0 < key }
        let (match, upper) = split(rest) { $0 <= key }
        if match != Node.none {
            freeNodes.append(match)
        }
        root = merge(lower, upper)
    }

    /// The key at 0-based `rank` in ascending order.
    func key(atRank rank: Int) -> Key {
        precondition(rank >= 0 && rank < count, "rank \(rank) out of 0..<\(count)")
        var node = root
        var rank = rank
        while true {
            let leftSize = size(nodes[node].left)
            if rank < leftSize {
                node = nodes[node].left
            } else if rank == leftSize {
                return nodes[node].key
            } else {
                rank -= leftSize + 1
                node = nodes[node].right
            }
        }
    }

    private func size(_ node: Int) -> Int {
        node == Node.none ? 0 : nodes[node].size
    }

    private mutating func allocate(_ key: Key) -> Int {
        let node = Node(key: key, priority: nextPriority())
        if let reused = freeNodes.popLast() {
            nodes[reused] = node
            return reused
        }
        nodes.append(node)
        return nodes.count - 1
    }

    /// SplitMix64: fixed seed, so the tree's shape (and its cost) is reproducible from run to run.
    private mutating func nextPriority() -> UInt64 {
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var z = randomState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Splits the subtree at `node` into the keys for which `goesLeft` holds and the rest (`goesLeft` must be true for
    /// a prefix of the order).
    private mutating func split(_ node: Int, by goesLeft: (Key) -> Bool) -> (Int, Int) {
        guard node != Node.none else { return (Node.none, Node.none) }
        if goesLeft(nodes[node].key) {
            let (lower, upper) = split(nodes[node].right, by: goesLeft)
            nodes[node].right = lower
            resize(node)
            return (node, upper)
        } else {
            let (lower, upper) = split(nodes[node].left, by: goesLeft)
            nodes[node].left = upper
            resize(node)
            return (lower, node)
        }
    }

    /// Joins two subtrees where every key of `lower` is below every key of `upper`.
    private mutating func merge(_ lower: Int, _ upper: Int) -> Int {
        if lower == Node.none { return upper }
        if upper == Node.none { return lower }
        if nodes[lower].priority > nodes[upper].priority {
            nodes[lower].right = merge(nodes[lower].right, upper)
            resize(lower)
            return lower
        } else {
            nodes[upper].left = merge(lower, nodes[upper].left)
            resize(upper)
            return upper
        }
    }

    private mutating func resize(_ node: Int) {
        nodes[node].size = 1 + size(nodes[node].left) + size(nodes[node].right)
    }
}
