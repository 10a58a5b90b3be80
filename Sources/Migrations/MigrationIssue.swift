/// A ``MigrationError`` before the file's path is attached: what the parts of the parser throw.
struct MigrationIssue: Error, Equatable {
    var line: Int?
    var reason: MigrationError.Reason

    init(line: Int?, _ reason: MigrationError.Reason) {
        self.line = line
        self.reason = reason
    }
}
