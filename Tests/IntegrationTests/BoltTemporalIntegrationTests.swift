import Bolt
import NIOCore
import Testing

/// Temporal, spatial and graph structures as real servers send and take them.
///
/// FalkorDB aborts when it RETURNs a temporal value (BOLT-SERVERS.md), so no temporal or spatial query is
/// ever sent there; ArcadeDB runs them all, and a user's Neo4j when configured.
@Suite struct BoltTemporalIntegrationTests {
    /// The server, or nil (said so) for one that cannot be sent temporal queries.
    static func temporalServer(_ name: String) throws -> BoltTestServer? {
        guard let server = try BoltTestServer.named(name) else { return nil }
        guard server.name != "falkordb" else {
            print(
                "KNOWN GAP on falkordb: RETURNing a temporal value aborts the server, so temporal and spatial "
                    + "values are not sent there"
            )
            return nil
        }
        return server
    }

    static let berlin = BoltDateTime.Zone.identifier("Europe/Berlin")

    /// Cypher expressions and the values Neo4j 5 gives for them.
    static func expressions() throws -> [(String, BoltValue)] {
        [
            ("date('2024-05-01')", .date(try BoltDate(year: 2024, month: 5, day: 1))),
            ("date('1969-12-31')", .date(try BoltDate(year: 1969, month: 12, day: 31))),
            ("date('2000-02-29')", .date(try BoltDate(year: 2000, month: 2, day: 29))),
            (
                "localtime('12:34:56.000000789')",
                .localTime(try BoltLocalTime(hour: 12, minute: 34, second: 56, nanosecond: 789))
            ),
            (
                "time('12:34:56+02:00')",
                .time(try BoltTime(localTime: BoltLocalTime(hour: 12, minute: 34, second: 56), offsetSeconds: 7200))
            ),
            (
                "localdatetime('2024-05-01T12:34:56.5')",
                .localDateTime(try BoltLocalDateTime(secondsSinceEpoch: 1_714_566_896, nanoseconds: 500_000_000))
            ),
            (
                "datetime('2024-05-01T12:34:56.000000789+02:00')",
                .dateTime(
                    try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 789, zone: .offset(seconds: 7200))
                )
            ),
            (
                "datetime('2024-05-01T12:34:56[Europe/Berlin]')",
                .dateTime(try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 0, zone: berlin))
            ),
            (
                "datetime('1969-12-31T23:59:59.5Z')",
                .dateTime(try BoltDateTime(secondsSinceEpoch: -1, nanoseconds: 500_000_000, zone: .utc))
            ),
            (
                "duration('P1Y2M3DT4H5M6.7S')",
                .duration(try BoltDuration(months: 14, days: 3, seconds: 14_706, nanoseconds: 700_000_000))
            ),
            ("duration({days: -1, seconds: -1})", .duration(try BoltDuration(days: -1, seconds: -1))),
            ("point({x: 1, y: 2})", .point(BoltPoint(srid: BoltPoint.cartesian, x: 1, y: 2))),
            ("point({x: 1, y: 2, z: 3})", .point(BoltPoint(srid: BoltPoint.cartesian3D, x: 1, y: 2, z: 3))),
            (
                "point({longitude: 13.4, latitude: 52.5})",
                .point(BoltPoint(srid: BoltPoint.wgs84, x: 13.4, y: 52.5))
            ),
        ]
    }

    /// Values to send as parameters and store as properties, with far and negative ones.
    static func parameters() throws -> [String: BoltValue] {
        [
            "date": .date(try BoltDate(year: 2024, month: 5, day: 1)),
            "ancientDate": .date(try BoltDate(year: -44, month: 3, day: 15)),
            "farDate": .date(try BoltDate(year: 12_345, month: 6, day: 7)),
            "time": .time(try BoltTime(nanosecondsSinceMidnight: 45_296_000_000_789, offsetSeconds: -34_200)),
            "localTime": .localTime(try BoltLocalTime(hour: 23, minute: 59, second: 59, nanosecond: 999_999_999)),
            "localDateTime": .localDateTime(try BoltLocalDateTime(secondsSinceEpoch: -1, nanoseconds: 1)),
            "dateTimeOffset": .dateTime(
                try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 789, zone: .offset(seconds: 7200))
            ),
            "dateTimeZone": .dateTime(
                try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 789, zone: berlin)
            ),
            "dateTimeBeforeEpoch": .dateTime(
                try BoltDateTime(secondsSinceEpoch: -2_208_988_800, nanoseconds: 0, zone: .identifier("UTC"))
            ),
            "duration": .duration(try BoltDuration(months: 14, days: 3, seconds: 14_706, nanoseconds: 700_000_000)),
            "negativeDuration": .duration(try BoltDuration(seconds: -2, nanoseconds: 500_000_000)),
            "point": .point(BoltPoint(srid: BoltPoint.cartesian, x: 1, y: 2)),
            "point3D": .point(BoltPoint(srid: BoltPoint.cartesian3D, x: 1, y: 2, z: 3)),
            "geographic": .point(BoltPoint(srid: BoltPoint.wgs84, x: 13.4, y: 52.5)),
        ]
    }

    @Test(arguments: BoltTestServer.names)
    func temporalAndSpatialValuesDecode(server: String) async throws {
        guard let server = try Self.temporalServer(server) else { return }
        let expressions = try Self.expressions()
        try await server.withConnection { connection in
            for (expression, expected) in expressions {
                let records = try await server.query(connection, "RETURN \(expression) AS v")
                #expect(records.first?["v"] == expected, "\(expression) on \(server.name)")
            }
        }
    }

    @Test(arguments: BoltTestServer.names)
    func temporalAndSpatialParametersRoundTrip(server: String) async throws {
        guard let server = try Self.temporalServer(server) else { return }
        let parameters = try Self.parameters()
        try await server.withConnection { connection in
            for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
                let records = try await server.query(connection, "RETURN $v AS v", ["v": value])
                #expect(records.first?["v"] == value, "$v = \(name) (\(value)) on \(server.name)")
            }
        }
    }

    @Test(arguments: BoltTestServer.names)
    func temporalAndSpatialPropertiesRoundTrip(server: String) async throws {
        guard let server = try Self.temporalServer(server) else { return }
        let label = BoltTestServer.uniqueLabel("Temporal")
        let parameters = try Self.parameters()
        try await server.withConnection { connection in
            _ = try await server.query(connection, "CREATE (n:\(label)) SET n = $props", ["props": .map(parameters)])
            let node = try #require(
                try await server.query(connection, "MATCH (n:\(label)) RETURN n").first?["n"]?.nodeValue
            )
            for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
                let stored = node.properties[key]
                if stored == value { continue }
                // ArcadeDB keeps a date-time with an offset as the local date-time of its UTC instant.
                if server.name == "arcadedb", case .dateTime(let dateTime) = value, case .offset = dateTime.zone,
                    stored
                        == .localDateTime(
                            try BoltLocalDateTime(
                                secondsSinceEpoch: dateTime.secondsSinceEpoch,
                                nanoseconds: Int64(dateTime.nanoseconds)
                            )
                        )
                {
                    print(
                        "KNOWN GAP on arcadedb: a DATETIME property with an offset (\(value)) reads back as the LOCAL DATETIME \(stored!) of its UTC instant: the offset is lost"
                    )
                    continue
                }
                Issue.record("property \(key) = \(value) read back as \(String(describing: stored)) on \(server.name)")
            }
            _ = try await server.query(connection, "MATCH (n:\(label)) DELETE n")
        }
    }

    @Test(arguments: BoltTestServer.names)
    func nodesRelationshipsAndPathsDecode(server: String) async throws {
        guard let server = try BoltTestServer.named(server) else { return }
        let a = BoltTestServer.uniqueLabel("A")
        let b = BoltTestServer.uniqueLabel("B")
        try await server.withConnection { connection in
            let created: BoltRecord
            if server.name == "falkordb" {
                // FalkorDB fails `CREATE p=(...) RETURN p`; it matches paths.
                print("KNOWN GAP on falkordb: a path cannot be named in CREATE; created first, then matched")
                _ = try await server.query(connection, "CREATE (:\(a) {name: 'a'})-[:R {w: 1}]->(:\(b) {name: 'b'})")
                created = try #require(
                    try await server.query(connection, "MATCH p=(a:\(a))-[:R]->(b:\(b)) RETURN p, a, b").first
                )
            } else {
                created = try #require(
                    try await server.query(
                        connection,
                        "CREATE p=(a:\(a) {name: 'a'})-[:R {w: 1}]->(b:\(b) {name: 'b'}) RETURN p, a, b"
                    ).first
                )
            }
            let start = try #require(created["a"]?.nodeValue)
            let end = try #require(created["b"]?.nodeValue)
            #expect(start.labels == [a] && start.properties == ["name": "a"])
            #expect(end.labels == [b] && end.properties == ["name": "b"])
            let path = try #require(created["p"]?.pathValue)
            let segments = try #require(path.segments, "the path's indices walk")
            #expect(path.start == start && segments.count == 1)
            let segment = try #require(segments.first)
            #expect(segment.isForward && segment.end == end)
            #expect(segment.relationship.type == "R" && segment.relationship.properties == ["w": 1])
            #expect(segment.relationship.startNodeElementID == start.elementID)
            #expect(segment.relationship.endNodeElementID == end.elementID)

            // Walked against the relationship's direction, with the bound relationship beside it.
            let reversed = try #require(
                try await server.query(connection, "MATCH p=(b:\(b))<-[r:R]-(a:\(a)) RETURN p, r").first
            )
            let relationship = try #require(reversed["r"]?.relationshipValue)
            #expect(
                relationship.startNodeElementID == start.elementID && relationship.endNodeElementID == end.elementID
            )
            #expect(relationship.elementID == segment.relationship.elementID && relationship.properties == ["w": 1])
            let backwards = try #require(reversed["p"]?.pathValue?.segments?.first)
            #expect(!backwards.isForward && backwards.start == end && backwards.end == start)
            #expect(backwards.relationship == relationship)

            // What the server sent, written by this client and read again, is the same value.
            for value in created.values + reversed.values {
                var buffer = ByteBuffer()
                buffer.writePackStream(value)
                #expect(try buffer.readPackStreamValue() == value)
            }
            _ = try await server.query(connection, "MATCH (n:\(a)) DETACH DELETE n")
            _ = try await server.query(connection, "MATCH (n:\(b)) DELETE n")
        }
    }
}
