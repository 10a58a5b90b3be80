import Bolt
import NIOCore
import Testing

/// Graph structures written byte by byte as a server sends them (Bolt 5 and Bolt 4 shapes).
@Suite("PackStream graph structures")
struct PackStreamGraphTests {
    // (:Person {name: "Alice"}) with id 1 and element id "4:x:1", Bolt 5.
    static let aliceBytes: [UInt8] =
        [0xB4, 0x4E, 0x01, 0x91] + tinyString("Person") + [0xA1] + tinyString("name") + tinyString("Alice")
        + tinyString("4:x:1")
    static let alice = BoltValue.Node(id: 1, labels: ["Person"], properties: ["name": "Alice"], elementID: "4:x:1")

    static func node(id: UInt8, name: String) -> [UInt8] {
        [0xB4, 0x4E, id, 0x91] + tinyString("Person") + [0xA1] + tinyString("name") + tinyString(name)
            + tinyString("4:x:\(id)")
    }

    static func unbound(id: UInt8, type: String) -> [UInt8] {
        [0xB4, 0x72, id] + tinyString(type) + [0xA0] + tinyString("5:x:\(id)")
    }

    @Test("a Bolt 5 node")
    func node() throws {
        #expect(try decodePackStream(Self.aliceBytes) == .node(Self.alice))
        #expect(packStreamBytes(.node(Self.alice)) == Self.aliceBytes)
    }

    @Test("a Bolt 4 node gets String(id) as element id")
    func legacyNode() throws {
        let bytes: [UInt8] = [0xB3, 0x4E, 0xC9, 0x01, 0x00, 0x92] + tinyString("A") + tinyString("B") + [0xA0]
        let node = try #require(try decodePackStream(bytes).nodeValue)
        #expect(node == BoltValue.Node(id: 256, labels: ["A", "B"], properties: [:], elementID: "256"))
    }

    @Test("a node whose element id is null gets String(id)")
    func nullElementID() throws {
        let bytes: [UInt8] = [0xB4, 0x4E, 0x05, 0x90, 0xA0, 0xC0]
        #expect(try decodePackStream(bytes).nodeValue?.elementID == "5")
    }

    @Test("a Bolt 5 relationship")
    func relationship() throws {
        let bytes: [UInt8] =
            [0xB8, 0x52, 0x0A, 0x01, 0x02] + tinyString("KNOWS") + [0xA1] + tinyString("since") + [0xC9, 0x07, 0xE4]
            + tinyString("5:x:10") + tinyString("4:x:1") + tinyString("4:x:2")
        let expected = BoltValue.Relationship(
            id: 10,
            startNodeID: 1,
            endNodeID: 2,
            type: "KNOWS",
            properties: ["since": 2020],
            elementID: "5:x:10",
            startNodeElementID: "4:x:1",
            endNodeElementID: "4:x:2"
        )
        #expect(try decodePackStream(bytes) == .relationship(expected))
        #expect(packStreamBytes(.relationship(expected)) == bytes)
    }

    @Test("a Bolt 4 relationship gets element ids from its ids")
    func legacyRelationship() throws {
        let bytes: [UInt8] = [0xB5, 0x52, 0x0A, 0x01, 0x02] + tinyString("R") + [0xA0]
        let relationship = try #require(try decodePackStream(bytes).relationshipValue)
        #expect(relationship.elementID == "10")
        #expect(relationship.startNodeElementID == "1")
        #expect(relationship.endNodeElementID == "2")
    }

    @Test("unbound relationships in both shapes")
    func unboundRelationship() throws {
        #expect(
            try decodePackStream(Self.unbound(id: 3, type: "R"))
                == .unboundRelationship(
                    BoltValue.UnboundRelationship(id: 3, type: "R", properties: [:], elementID: "5:x:3")
                )
        )
        let legacy: [UInt8] = [0xB3, 0x72, 0x03] + tinyString("R") + [0xA0]
        #expect(try decodePackStream(legacy).unboundRelationshipValue?.elementID == "3")
    }

    /// (a)-[:KNOWS]->(b)<-[:LIKES]-(c): nodes [a, b, c], relationships [KNOWS, LIKES], indices [1, 1, -2, 2].
    static let pathBytes: [UInt8] =
        [0xB3, 0x50, 0x93] + node(id: 1, name: "A") + node(id: 2, name: "B") + node(id: 3, name: "C") + [0x92]
        + unbound(id: 10, type: "KNOWS") + unbound(id: 11, type: "LIKES") + [0x94, 0x01, 0x01, 0xFE, 0x02]

    @Test("a path and its walk")
    func path() throws {
        let path = try #require(try decodePackStream(Self.pathBytes).pathValue)
        #expect(path.nodes.map(\.id) == [1, 2, 3])
        #expect(path.relationships.map(\.type) == ["KNOWS", "LIKES"])
        #expect(path.indices == [1, 1, -2, 2])
        let segments = try #require(path.segments)
        #expect(segments.count == 2)
        #expect(segments[0].isForward)
        #expect(segments[0].start.id == 1 && segments[0].end.id == 2)
        #expect(segments[0].relationship.startNodeID == 1 && segments[0].relationship.endNodeID == 2)
        #expect(segments[0].relationship.startNodeElementID == "4:x:1")
        #expect(!segments[1].isForward)
        #expect(segments[1].start.id == 2 && segments[1].end.id == 3)
        // LIKES points from c to b.
        #expect(segments[1].relationship.startNodeID == 3 && segments[1].relationship.endNodeID == 2)
        #expect(segments[1].relationship.endNodeElementID == "4:x:2")
        #expect(try decodePackStream(packStreamBytes(.path(path))) == .path(path))
    }

    @Test("a path of one node")
    func zeroLengthPath() throws {
        let bytes: [UInt8] = [0xB3, 0x50, 0x91] + Self.aliceBytes + [0x90, 0x90]
        let path = try #require(try decodePackStream(bytes).pathValue)
        #expect(path.segments == [])
        #expect(path.start == Self.alice)
    }

    @Test(
        "inconsistent path indices decode but do not walk",
        arguments: [[1], [0, 1], [2, 1], [-2, 1], [1, 3], [1, -1], [Int64.min, 1]] as [[Int64]]
    )
    func inconsistentPath(indices: [Int64]) {
        let b = BoltValue.Node(id: 2, labels: [], properties: [:], elementID: "2")
        let r = BoltValue.UnboundRelationship(id: 9, type: "R", properties: [:], elementID: "9")
        let path = BoltValue.Path(nodes: [Self.alice, b], relationships: [r], indices: indices)
        #expect(path.segments == nil)
        #expect(BoltValue.Path(nodes: [], relationships: [], indices: []).segments == nil)
    }

    @Test("a structure of an unknown tag decodes generically")
    func genericStructures() throws {
        #expect(
            try decodePackStream([0xB2, 0x7A, 0x91, 0x01, 0xA0])
                == .structure(BoltValue.Structure(tag: 0x7A, fields: [[1], [:]]))
        )
    }

    @Test(
        "graph structures of the wrong shape are refused",
        arguments: [
            // Node: 2 fields; id a string; labels not a list; a label an integer; properties a list; element id an int.
            [0xB2, 0x4E, 0x01, 0x90],
            [0xB3, 0x4E, 0x81, 0x31, 0x90, 0xA0],
            [0xB3, 0x4E, 0x01, 0xA0, 0xA0],
            [0xB3, 0x4E, 0x01, 0x91, 0x01, 0xA0],
            [0xB3, 0x4E, 0x01, 0x90, 0x90],
            [0xB4, 0x4E, 0x01, 0x90, 0xA0, 0x01],
            [0xB5, 0x4E, 0x01, 0x90, 0xA0, 0x80, 0x80],
            // Relationship: 6 fields; type an int; start id a string.
            [0xB6, 0x52, 0x01, 0x02, 0x03, 0x81, 0x52, 0xA0, 0x80],
            [0xB5, 0x52, 0x01, 0x02, 0x03, 0x04, 0xA0],
            [0xB5, 0x52, 0x01, 0x80, 0x03, 0x81, 0x52, 0xA0],
            [0xB8, 0x52, 0x01, 0x02, 0x03, 0x81, 0x52, 0xA0, 0x80, 0x80, 0x01],
            // Unbound relationship: 2 fields; 5 fields; properties null.
            [0xB2, 0x72, 0x01, 0x81, 0x52],
            [0xB5, 0x72, 0x01, 0x81, 0x52, 0xA0, 0x80, 0x80],
            [0xB3, 0x72, 0x01, 0x81, 0x52, 0xC0],
            // Path: 2 fields; nodes holds an integer; relationships holds a bound relationship; indices a string.
            [0xB2, 0x50, 0x90, 0x90],
            [0xB3, 0x50, 0x91, 0x01, 0x90, 0x90],
            [0xB3, 0x50, 0x90, 0x91, 0xB5, 0x52, 0x01, 0x02, 0x03, 0x81, 0x52, 0xA0, 0x90],
            [0xB3, 0x50, 0x90, 0x90, 0x91, 0x80],
            [0xB3, 0x50, 0x90, 0x90, 0xC0],
        ] as [[UInt8]]
    )
    func wrongShapes(bytes: [UInt8]) throws {
        let error = try #require(packStreamError(bytes))
        guard case .invalidStructure(let tag, let reason) = error else {
            Issue.record("expected invalidStructure, got \(error)")
            return
        }
        #expect(tag == bytes[1])
        #expect(!reason.isEmpty)
    }

    @Test("a wrongly shaped node nested in a list fails the whole value and leaves the reader index")
    func nestedWrongShape() throws {
        let error = packStreamError([0x92, 0x01, 0xB2, 0x4E, 0x01, 0x90])
        #expect(error == .invalidStructure(tag: 0x4E, reason: "a node has 3 or 4 fields, not 2"))
    }
}
