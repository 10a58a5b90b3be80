/// sluice's version, as `/metrics` reports it (`sluice_daemon_info`), so a dashboard shows which build runs where.
public enum SluiceVersion {
    public static let current = "0.1.0"
}
