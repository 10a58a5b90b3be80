import Foundation
import Testing

@testable import JobStore

@Suite struct PostgresTextCodecTests {
    @Test func parsesTimestamps() throws {
        let utc = try #require(PostgresTextCodec.parseTimestamp("2024-05-01 12:34:56.123456+00"))
        #expect(abs(utc.timeIntervalSince1970 - 1_714_566_896.123456) < 1e-6)
        let offset = try #require(PostgresTextCodec.parseTimestamp("2024-05-01 14:34:56+02"))
        #expect(offset.timeIntervalSince1970 == 1_714_566_896)
        let india = try #require(PostgresTextCodec.parseTimestamp("2024-05-01T18:04:56+05:30"))
        #expect(india.timeIntervalSince1970 == 1_714_566_896)
        #expect(PostgresTextCodec.parseTimestamp("1970-01-01 00:00:00+00")?.timeIntervalSince1970 == 0)
        #expect(PostgresTextCodec.parseTimestamp("infinity") == .distantFuture)
        #expect(PostgresTextCodec.parseTimestamp("2024-13-01 00:00:00+00") == nil)
        #expect(PostgresTextCodec.parseTimestamp("yesterday") == nil)
    }

    @Test func formatsTimestampsThatParseBack() throws {
        for seconds in [0.0, 1_714_566_896.123456, -86_400.5, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = PostgresTextCodec.formatTimestamp(date)
            let back = try #require(PostgresTextCodec.parseTimestamp(text), "\(text)")
            #expect(abs(back.timeIntervalSince1970 - seconds) < 1e-6, "\(text)")
        }
        #expect(PostgresTextCodec.formatTimestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00.000000+00")
    }

    @Test func arraysRoundTrip() {
        let values: [String?] = ["a", "", "b c", "q\"uote", "back\\slash", "NULL", nil, "{x,y}"]
        let text = PostgresTextCodec.formatArray(values)
        #expect(PostgresTextCodec.parseArray(text) == values)
        #expect(PostgresTextCodec.parseArray("{1,2,3}") == ["1", "2", "3"])
        #expect(PostgresTextCodec.parseArray("{}") == [])
        #expect(PostgresTextCodec.parseArray("{NULL,x}") == [nil, "x"])
        #expect(PostgresTextCodec.parseArray("[0:1]={7,8}") == ["7", "8"])
        #expect(PostgresTextCodec.parseArray("{{1,2},{3,4}}") == nil)
        #expect(PostgresTextCodec.parseArray("1,2") == nil)
    }

    @Test func hexBytea() {
        #expect(PostgresTextCodec.parseHexBytea("\\x0102fF") == [1, 2, 255])
        #expect(PostgresTextCodec.parseHexBytea("\\x") == [])
        #expect(PostgresTextCodec.parseHexBytea("\\x0") == nil)
        #expect(PostgresTextCodec.parseHexBytea("0102") == nil)
    }

    @Test func encodesParameters() {
        #expect(Int64(42).postgresBind == .text("42", typeOID: PostgresTypeOID.int8))
        #expect(true.postgresBind == .text("t", typeOID: PostgresTypeOID.bool))
        #expect([Int64(1), 2].postgresBind == .text("{\"1\",\"2\"}", typeOID: PostgresTypeOID.int8Array))
        #expect((nil as String?).postgresBind == .null())
        #expect(PostgresBind.bytea([1, 2]).format == .binary)
    }

    @Test func identifiersAndSchemaNames() throws {
        #expect(PostgresIdentifier.isValid("sluice_test_1"))
        #expect(!PostgresIdentifier.isValid("Sluice"))
        #expect(!PostgresIdentifier.isValid("1abc"))
        #expect(!PostgresIdentifier.isValid("a\"; DROP TABLE x; --"))
        #expect(throws: JobStoreError.invalidSchemaName("bad-name")) { try JobStoreSchema("bad-name") }
        #expect(try JobStoreSchema("sluice").controlChannel == "sluice_control")
    }

    @Test func targetsNeverKeepCredentials() {
        #expect(JobTarget(url: "neo4j://neo:s3cret@Graph.Example:7687/").url == "neo4j://graph.example:7687")
        #expect(
            JobTarget(url: "bolt://h:7687?policy=eu&password=x&token=y").url == "bolt://h:7687?policy=eu"
        )
        #expect(JobTarget(url: "BOLT://Host").url == "bolt://host")
    }
}
