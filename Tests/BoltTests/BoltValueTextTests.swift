import Bolt
import Testing

@Suite("BoltValue description (cypher-shell style)")
struct BoltValueDescriptionTests {
    static let alice = BoltValue.Node(
        id: 1,
        labels: ["Person", "Admin"],
        properties: ["name": "Alice", "age": 42],
        elementID: "4:x:1"
    )

    @Test(
        "values render as cypher-shell shows them",
        arguments: [
            (nil, "NULL"), (true, "TRUE"), (false, "FALSE"), (1, "1"), (-17, "-17"),
            (.integer(.min), "-9223372036854775808"), (1.5, "1.5"), (1.0, "1.0"), (-0.25, "-0.25"),
            (.float(.nan), "NaN"), (.float(.infinity), "Infinity"), (.float(-.infinity), "-Infinity"),
            ("abc", "\"abc\""), ("say \"hi\"\\", #""say \"hi\"\\""#), ("a\nb\tc\u{01}", #""a\nb\tc\u0001""#),
            ("é😀", "\"é😀\""), (.bytes([0, 1, 0xAB, 0xFF]), "#0001abff"), (.bytes([]), "#"),
            ([], "[]"), ([1, "x", nil, [true]], "[1, \"x\", NULL, [TRUE]]"), ([:], "{}"),
            (["b": 2, "a": 1, "c": ["z": nil, "y": 1]], "{a: 1, b: 2, c: {y: 1, z: NULL}}"),
            (
                ["my key": 1, "1a": 2, "a`b": 3, "_ok9": 4, "": 5, "naïve": 6],
                "{``: 5, `1a`: 2, _ok9: 4, `a``b`: 3, `my key`: 1, naïve: 6}"
            ),
            (
                .structure(BoltValue.Structure(tag: 0x56, fields: [.bytes([0xC8]), .bytes([1, 2])])),
                "Structure(0x56)[#c8, #0102]"
            ),
            (.structure(BoltValue.Structure(tag: 0x0A, fields: [])), "Structure(0x0A)[]"),
        ] as [(BoltValue, String)]
    )
    func scalars(value: BoltValue, text: String) {
        #expect(value.description == text)
    }

    @Test("nodes")
    func nodes() {
        #expect(BoltValue.node(Self.alice).description == #"(:Person:Admin {age: 42, name: "Alice"})"#)
        #expect(BoltValue.Node(id: 1, labels: [], properties: [:], elementID: "1").description == "()")
        #expect(BoltValue.Node(id: 1, labels: ["A"], properties: [:], elementID: "1").description == "(:A)")
        #expect(BoltValue.Node(id: 1, labels: [], properties: ["k": 1], elementID: "1").description == "({k: 1})")
        #expect(
            BoltValue.Node(id: 1, labels: ["Has Space"], properties: [:], elementID: "1").description
                == "(:`Has Space`)"
        )
    }

    @Test("relationships")
    func relationships() {
        let relationship = BoltValue.Relationship(
            id: 5,
            startNodeID: 1,
            endNodeID: 2,
            type: "KNOWS",
            properties: ["since": 2020, "how": "work"],
            elementID: "5",
            startNodeElementID: "1",
            endNodeElementID: "2"
        )
        #expect(BoltValue.relationship(relationship).description == #"[:KNOWS {how: "work", since: 2020}]"#)
        let unbound = BoltValue.UnboundRelationship(id: 5, type: "LIKES A LOT", properties: [:], elementID: "5")
        #expect(BoltValue.unboundRelationship(unbound).description == "[:`LIKES A LOT`]")
    }

    @Test("paths follow relationship directions")
    func paths() {
        let a = BoltValue.Node(id: 1, labels: ["A"], properties: [:], elementID: "1")
        let b = BoltValue.Node(id: 2, labels: ["B"], properties: [:], elementID: "2")
        let c = BoltValue.Node(id: 3, labels: ["C"], properties: ["n": 1], elementID: "3")
        let r = BoltValue.UnboundRelationship(id: 10, type: "R", properties: [:], elementID: "10")
        let s = BoltValue.UnboundRelationship(id: 11, type: "S", properties: ["w": 0.5], elementID: "11")
        let path = BoltValue.Path(nodes: [a, b, c], relationships: [r, s], indices: [1, 1, -2, 2])
        #expect(BoltValue.path(path).description == "(:A)-[:R]->(:B)<-[:S {w: 0.5}]-(:C {n: 1})")
        #expect(BoltValue.Path(nodes: [a], relationships: [], indices: []).description == "(:A)")
        // The same node twice: a -R-> b <-R- a
        let loop = BoltValue.Path(nodes: [a, b], relationships: [r], indices: [1, 1, -1, 0])
        #expect(loop.description == "(:A)-[:R]->(:B)<-[:R]-(:A)")
        let broken = BoltValue.Path(nodes: [a], relationships: [r], indices: [5, 0])
        #expect(broken.description == "Path(nodes: [(:A)], relationships: [[:R]], indices: [5, 0])")
    }

    @Test("map output is stable whatever the insertion order")
    func stable() {
        var first = [String: BoltValue]()
        var second = [String: BoltValue]()
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { first[key] = .string(key) }
        for key in keys.reversed() { second[key] = .string(key) }
        #expect(BoltValue.map(first).description == BoltValue.map(second).description)
    }
}

@Suite("BoltValue JSON")
struct BoltValueJSONTests {
    @Test(
        "values as JSON",
        arguments: [
            (nil, "null"), (true, "true"), (false, "false"), (42, "42"), (.integer(.min), "-9223372036854775808"),
            (1.5, "1.5"), (1.0, "1.0"), (1e20, "1e+20"), (.float(.nan), #""NaN""#),
            (.float(.infinity), #""Infinity""#), (.float(-.infinity), #""-Infinity""#),
            ("plain", #""plain""#),
            ("q\"b\\s/\n\r\t\u{08}\u{0C}\u{01}\u{1F}é😀", #""q\"b\\s/\n\r\t\b\f\u0001\u001fé😀""#),
            (.bytes([]), #""""#), (.bytes(Array("f".utf8)), #""Zg==""#), (.bytes(Array("fo".utf8)), #""Zm8=""#),
            (.bytes(Array("foo".utf8)), #""Zm9v""#), (.bytes(Array("foob".utf8)), #""Zm9vYg==""#),
            (.bytes(Array("fooba".utf8)), #""Zm9vYmE=""#), (.bytes(Array("foobar".utf8)), #""Zm9vYmFy""#),
            (.bytes([0xFB, 0xFF]), #""+/8=""#),
            ([1, "a", nil, []], #"[1,"a",null,[]]"#),
            (["b": 1, "a": ["z": 2, "y": [:]]], #"{"a":{"y":{},"z":2},"b":1}"#),
            (.structure(BoltValue.Structure(tag: 0x3F, fields: [19000])), #"{"$structure":63,"fields":[19000]}"#),
        ] as [(BoltValue, String)]
    )
    func values(value: BoltValue, json: String) {
        #expect(value.jsonText == json)
    }

    @Test("graph values as JSON")
    func graph() {
        let a = BoltValue.Node(id: 1, labels: ["A", "B"], properties: ["n": 1, "m": "x"], elementID: "4:x:1")
        #expect(
            BoltValue.node(a).jsonText
                == #"{"elementId":"4:x:1","id":1,"labels":["A","B"],"properties":{"m":"x","n":1}}"#
        )
        let relationship = BoltValue.Relationship(
            id: 5,
            startNodeID: 1,
            endNodeID: 2,
            type: "R",
            properties: [:],
            elementID: "5:x:5",
            startNodeElementID: "4:x:1",
            endNodeElementID: "4:x:2"
        )
        #expect(
            BoltValue.relationship(relationship).jsonText
                == #"{"elementId":"5:x:5","endElementId":"4:x:2","endId":2,"id":5,"properties":{},"#
                + #""startElementId":"4:x:1","startId":1,"type":"R"}"#
        )
        let unbound = BoltValue.UnboundRelationship(id: 5, type: "R", properties: [:], elementID: "5:x:5")
        #expect(
            BoltValue.unboundRelationship(unbound).jsonText
                == #"{"elementId":"5:x:5","id":5,"properties":{},"type":"R"}"#
        )

        // (a)<-[:R]-(b): the relationship starts at b.
        let b = BoltValue.Node(id: 2, labels: [], properties: [:], elementID: "4:x:2")
        let path = BoltValue.Path(nodes: [a, b], relationships: [unbound], indices: [-1, 1])
        #expect(
            BoltValue.path(path).jsonText
                == #"{"nodes":[\#(BoltValue.node(a).jsonText),\#(BoltValue.node(b).jsonText)],"#
                + #""relationships":[{"elementId":"5:x:5","endElementId":"4:x:1","endId":1,"id":5,"#
                + #""properties":{},"startElementId":"4:x:2","startId":2,"type":"R"}]}"#
        )
        let broken = BoltValue.Path(nodes: [a], relationships: [unbound], indices: [7, 0])
        #expect(
            BoltValue.path(broken).jsonText
                == #"{"nodes":[\#(BoltValue.node(a).jsonText)],"relationships":[\#(BoltValue.unboundRelationship(unbound).jsonText)]}"#
        )
    }

    @Test(
        "parameter text: JSON literals when they are, text otherwise",
        arguments: [
            ("42", 42), ("-1", -1), ("-1.5", -1.5), ("1e3", 1000.0), ("1.0", 1.0), ("-0", 0),
            ("9223372036854775807", .integer(.max)), ("-9223372036854775808", .integer(.min)),
            ("9223372036854775808", 9_223_372_036_854_775_808.0), ("true", true), ("false", false), ("null", nil),
            (#""quoted""#, "quoted"), (#""""#, ""), ("[1,2]", [1, 2]), (#"{"a":1}"#, ["a": 1]),
            (#" { "a" : [ 1 , { "b" : null } ] , "c" : "d" } "#, ["a": [1, ["b": nil]], "c": "d"]),
            (#""\u00e9\ud83d\ude00\n\"\\\/""#, "é😀\n\"\\/"), (" 7 ", 7),
            ("hello", "hello"), ("", ""), ("2024-05-01", "2024-05-01"), ("01234", "01234"), ("[1,", "[1,"),
            ("True", "True"), ("NaN", "NaN"), ("1.", "1."), (".5", ".5"), ("+1", "+1"), ("1e", "1e"),
            (#"{"a":1,}"#, #"{"a":1,}"#), ("[1 2]", "[1 2]"), (#""unterminated"#, #""unterminated"#),
            (#""\ud800""#, #""\ud800""#), (#""\x""#, #""\x""#), ("nul", "nul"), ("42 43", "42 43"),
            ("a=b", "a=b"), ("ünïcödé", "ünïcödé"),
        ] as [(String, BoltValue)]
    )
    func parameterText(text: String, value: BoltValue) {
        #expect(BoltValue(parameterText: text) == value)
    }

    @Test("JSON parse errors say where")
    func parseErrors() {
        #expect(throws: BoltValue.JSONParseError.self) { try BoltValue(jsonText: "[1 2]") }
        #expect(throws: BoltValue.JSONParseError(offset: 3, reason: "expected , or ]")) {
            try BoltValue(jsonText: "[1 2]")
        }
        #expect(throws: BoltValue.JSONParseError.self) { try BoltValue(jsonText: "{1:2}") }
        #expect(throws: BoltValue.JSONParseError.self) { try BoltValue(jsonText: "\"a\u{01}\"") }
        #expect(throws: BoltValue.JSONParseError.self) {
            try BoltValue(jsonText: String(repeating: "[", count: 100_000))
        }
        #expect(BoltValue(parameterText: String(repeating: "[", count: 100_000)).stringValue?.count == 100_000)
        let deepButFine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect((try? BoltValue(jsonText: deepButFine)) != nil)
    }

    @Test("JSON text reads back as the same value", arguments: [31, 32, 33] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var random = RandomBoltValues(generator: SplitMixGenerator(seed: seed))
        for _ in 0..<300 {
            let value = Self.jsonRepresentable(random.value(depth: 3))
            let parsed = try BoltValue(jsonText: value.jsonText)
            #expect(parsed == value, "\(value.jsonText)")
        }
    }

    /// Keeps what JSON represents one-to-one: no bytes, graph values, structures or non-finite floats;
    /// whole floats (1.0) stay floats in JSON text, so they are kept too. Temporal values read back as their
    /// ISO strings, points as maps.
    static func jsonRepresentable(_ value: BoltValue) -> BoltValue {
        switch value {
        case .float(let double) where !double.isFinite: return .null
        case .bytes, .node, .relationship, .unboundRelationship, .path, .structure: return "replaced"
        case .date, .time, .localTime, .dateTime, .localDateTime, .duration: return .string(value.description)
        case .point(let point):
            var coordinates: [String: BoltValue] = [
                "srid": .integer(point.srid), "x": .float(point.x), "y": .float(point.y),
            ]
            coordinates["z"] = point.z.map(BoltValue.float)
            return jsonRepresentable(.map(coordinates))
        case .list(let list): return .list(list.map(jsonRepresentable))
        case .map(let map): return .map(map.mapValues(jsonRepresentable))
        default: return value
        }
    }
}

@Suite("BoltValue conveniences")
struct BoltValueConvenienceTests {
    @Test("literals")
    func literals() {
        let value: BoltValue = ["ids": [1, 2], "rate": 0.5, "name": "x", "on": true, "none": nil]
        #expect(
            value
                == .map([
                    "ids": .list([.integer(1), .integer(2)]), "rate": .float(0.5), "name": .string("x"),
                    "on": .boolean(true), "none": .null,
                ])
        )
        let duplicate: BoltValue = ["a": 1, "a": 2]
        #expect(duplicate == ["a": 2])
    }

    @Test("initializers and accessors")
    func accessors() {
        #expect(BoltValue(7 as Int) == .integer(7))
        #expect(BoltValue(Int64(7)) == .integer(7))
        #expect(BoltValue(Int32(-7)) == .integer(-7))
        #expect(BoltValue(2.5) == .float(2.5))
        #expect(BoltValue(true) == .boolean(true))
        #expect(BoltValue("s") == .string("s"))
        #expect(BoltValue([UInt8]([1])) == .bytes([1]))
        #expect(BoltValue([BoltValue.integer(1)]) == .list([1]))
        #expect(BoltValue(["k": BoltValue.null]) == .map(["k": nil]))
        #expect(BoltValue(Optional<BoltValue>.none) == .null)

        let value: BoltValue = ["n": 5, "f": 1.5, "s": "x", "b": false, "l": [1], "m": ["k": nil], "z": nil]
        #expect(value["n"]?.intValue == 5)
        #expect(value["n"]?.doubleValue == nil)
        #expect(value["n"]?.numericValue == 5.0)
        #expect(value["f"]?.doubleValue == 1.5)
        #expect(value["f"]?.numericValue == 1.5)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["b"]?.boolValue == false)
        #expect(value["l"]?.listValue == [1])
        #expect(value["l"]?[0] == 1)
        #expect(value["l"]?[1] == nil)
        #expect(value["l"]?[-1] == nil)
        #expect(value["m"]?.mapValue == ["k": .null])
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value.intValue == nil)
        #expect(BoltValue.integer(1)["k"] == nil)
        #expect(BoltValue.bytes([1]).bytesValue == [1])
        let structure = BoltValue.Structure(tag: 1, fields: [])
        #expect(BoltValue.structure(structure).structureValue == structure)
        #expect(BoltValue.null.nodeValue == nil)
        #expect(BoltValue.null.relationshipValue == nil)
        #expect(BoltValue.null.pathValue == nil)
    }
}
