/// Which half of a migration a job runs.
public enum JobDirection: String, Sendable, CaseIterable, Codable {
    case up
    case down
}
