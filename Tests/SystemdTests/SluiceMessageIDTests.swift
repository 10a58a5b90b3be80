import Foundation
import Testing

@testable import Systemd

@Suite struct SluiceMessageIDTests {
    @Test func idsAreDistinct128BitHex() {
        let ids = SluiceMessageID.allCases.map(\.rawValue)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
        }
    }

    /// Every id has one catalog entry and the catalog explains no other id. `journalctl` parses it in
    /// `Tests/IntegrationTests/JournalCatalogTests.swift`.
    @Test func catalogHasOneEntryPerID() throws {
        let catalog = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/sluice.catalog")
        let headers = try String(contentsOf: catalog, encoding: .utf8)
            .split(separator: "\n")
            .filter { $0.hasPrefix("-- ") }
            .map { String($0.dropFirst(3)) }
        #expect(headers.sorted() == SluiceMessageID.allCases.map(\.rawValue).sorted())
    }
}
