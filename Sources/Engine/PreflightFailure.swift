import Migrations

/// Why pre-flight refused a job, named so that `--skip-preflight` can skip exactly this check.
public enum PreflightFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Each required feature the server failed, with the first line of what it said.
    case featuresMissing([String: String])
    case notWritable(serverSaid: String)
    case maxItemsExceeded(planned: Int64, maxItems: Int)
    case indexMissing(IndexRequirement, found: [String])
    case indexesUnlisted(reason: String)
    case scanPerBatch(operator: String)
    /// The graph records the up as applied, with the file's checksum, where this job store's history does not.
    case appliedElsewhere(version: String, appliedBy: String, appliedAt: String)

    public var check: PreflightCheck {
        switch self {
        case .featuresMissing: .features
        case .notWritable: .write
        case .maxItemsExceeded: .maxItems
        case .indexMissing, .indexesUnlisted: .indexes
        case .scanPerBatch: .plan
        case .appliedElsewhere: .history
        }
    }

    public var description: String {
        let reason: String
        switch self {
        case .featuresMissing(let missing):
            let names = missing.keys.sorted()
            reason =
                "the server lacks \(names.joined(separator: ", ")), which the migration requires ("
                + names.map { "\($0): \(missing[$0] ?? "")" }.joined(separator: "; ") + ")"
        case .notWritable(let serverSaid):
            reason = "the graph refused a test write (\(serverSaid))"
        case .maxItemsExceeded(let planned, let maxItems):
            reason = "the predicate selects \(planned) items, more than max_items \(maxItems)"
        case .indexMissing(let requirement, let found):
            let state = found.isEmpty ? "not found" : "not ONLINE: \(found.joined(separator: ", "))"
            reason = "index \(requirement) (uses_index, line \(requirement.line)) is \(state)"
        case .indexesUnlisted(let why):
            reason = "cannot check uses_index: \(why)"
        case .scanPerBatch(let op):
            reason = "the batch statement's plan scans (\(op)) instead of seeking items by id"
        case .appliedElsewhere(let version, let appliedBy, let appliedAt):
            reason =
                "the graph's (:Migration) node records \(version) as applied by \(appliedBy) at \(appliedAt), with "
                + "this file's checksum, and this job store's history does not: another job store applied it, and "
                + "running it again would change every item a second time (`sluice baseline` adopts the graph's history)"
        }
        return
            "\(check.rawValue): \(reason); nothing was written (skip this check with --skip-preflight \(check.rawValue))"
    }
}
