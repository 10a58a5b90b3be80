/// Faults a test can switch on through `SLUICE_TEST_FAULT`, to prove that a safety net works. TEST ONLY: nothing an
/// operator should ever set; the daemon says so in the journal when one is on.
public enum TestFault: String, Sendable, CaseIterable {
    /// After the first batch of a job commits, the work loop hangs (blocks its thread without progress): the
    /// watchdog must notice, stop pinging, and systemd must kill and restart the daemon.
    case hangWorkLoop = "hang-work-loop"

    /// The fault `SLUICE_TEST_FAULT` names, if any.
    public static func from(environment: [String: String]) -> TestFault? {
        environment["SLUICE_TEST_FAULT"].flatMap(TestFault.init(rawValue:))
    }
}
