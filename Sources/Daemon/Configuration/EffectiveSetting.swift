/// A setting's value as the daemon uses it, with where it came from: one line of `sluice config check`.
public struct EffectiveSetting: Sendable, Hashable {
    public var setting: Setting
    /// The value as TOML writes it, secrets masked.
    public var displayValue: String
    public var source: SettingSource
}
