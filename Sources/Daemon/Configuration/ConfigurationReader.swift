import Logging

/// Reads typed settings from a configuration file and the environment, the environment winning, and records
/// where each value came from. Every error names the file and line, or the variable, and the key.
struct ConfigurationReader {
    let document: TOMLDocument
    let path: String?
    let environment: [String: String]
    private(set) var effective: [EffectiveSetting] = []

    init(document: TOMLDocument, path: String?, environment: [String: String]) {
        self.document = document
        self.path = path
        self.environment = environment
    }

    /// A raw value: TOML from the file, or the text of an environment variable.
    private enum Raw {
        case toml(TOMLValue)
        case text(String)
    }

    private func raw(_ setting: Setting) -> (Raw, SettingSource)? {
        if let text = environment[setting.environment] {
            return (.text(text), .environment(setting.environment))
        }
        if let entry = document.entry(setting.section, setting.key) {
            return (.toml(entry.value), .file(path: path ?? "<configuration>", line: entry.line))
        }
        return nil
    }

    private mutating func record(_ setting: Setting, _ display: String, _ source: SettingSource) {
        effective.append(EffectiveSetting(setting: setting, displayValue: display, source: source))
    }

    private func invalid(_ setting: Setting, _ source: SettingSource, _ reason: String) -> ConfigurationError {
        .invalidValue(source: source, key: setting.name, reason: reason)
    }

    /// A string; `mask` turns it into what may be shown.
    mutating func string(
        _ setting: Setting,
        default defaultValue: String,
        mask: ((String) -> String)? = nil
    ) throws(ConfigurationError) -> String {
        let (value, source): (String, SettingSource)
        switch raw(setting) {
        case nil: (value, source) = (defaultValue, .defaultValue)
        case (.text(let text), let where_)?: (value, source) = (text, where_)
        case (.toml(.string(let text)), let where_)?: (value, source) = (text, where_)
        case (.toml(let other), let where_)?:
            throw invalid(setting, where_, "expected a string in quotes, found \(other.kindName)")
        }
        record(setting, TOMLValue.quoted(mask.map { $0(value) } ?? value), source)
        return value
    }

    /// A string that may be empty in the file, meaning "not set".
    mutating func optionalString(
        _ setting: Setting,
        mask: ((String) -> String)? = nil
    ) throws(ConfigurationError)
        -> String?
    {
        let value = try string(setting, default: "", mask: mask)
        return value.isEmpty ? nil : value
    }

    mutating func integer(
        _ setting: Setting,
        default defaultValue: Int,
        minimum: Int,
        maximum: Int = .max
    ) throws(ConfigurationError) -> Int {
        let (value, source): (Int, SettingSource)
        switch raw(setting) {
        case nil: (value, source) = (defaultValue, .defaultValue)
        case (.text(let text), let where_)?:
            guard let number = Int(text.trimmingSpaces.replacingUnderscoresAndCommas) else {
                throw invalid(setting, where_, "expected a whole number, found '\(text)'")
            }
            (value, source) = (number, where_)
        case (.toml(.integer(let number)), let where_)?:
            guard let number = Int(exactly: number) else { throw invalid(setting, where_, "\(number) is too large") }
            (value, source) = (number, where_)
        case (.toml(let other), let where_)?:
            throw invalid(setting, where_, "expected a whole number, found \(other.kindName)")
        }
        guard value >= minimum else { throw invalid(setting, source, "must be at least \(minimum), not \(value)") }
        guard value <= maximum else { throw invalid(setting, source, "must be at most \(maximum), not \(value)") }
        record(setting, "\(value)", source)
        return value
    }

    mutating func duration(
        _ setting: Setting,
        default defaultValue: Duration,
        minimum: Duration = .zero
    ) throws(ConfigurationError) -> Duration {
        let (value, source): (Duration, SettingSource)
        let expected = "expected a duration with a unit such as \"500ms\", \"30s\", \"5m\" or \"1h\""
        switch raw(setting) {
        case nil: (value, source) = (defaultValue, .defaultValue)
        case (.text(let text), let where_)?, (.toml(.string(let text)), let where_)?:
            do {
                (value, source) = (try DurationText.parse(text), where_)
            } catch .tooLong {
                throw invalid(setting, where_, "'\(text)' is longer than \(DurationText.format(DurationText.maximum))")
            } catch {
                throw invalid(setting, where_, "\(expected), found '\(text)'")
            }
        case (.toml(let other), let where_)?:
            throw invalid(setting, where_, "\(expected), found \(other.kindName)")
        }
        guard value >= minimum else {
            throw invalid(setting, source, "must be at least \(DurationText.format(minimum))")
        }
        record(setting, TOMLValue.quoted(DurationText.format(value)), source)
        return value
    }

    /// A list of strings; in the environment, items are separated by `;`.
    mutating func strings(_ setting: Setting) throws(ConfigurationError) -> [String] {
        let (values, source): ([String], SettingSource)
        switch raw(setting) {
        case nil: (values, source) = ([], .defaultValue)
        case (.text(let text), let where_)?:
            (values, source) = (
                text.split(separator: ";").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }, where_
            )
        case (.toml(.array(let items)), let where_)?:
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw invalid(setting, where_, "expected an array of strings, found \(item.kindName) in it")
                }
                strings.append(text)
            }
            (values, source) = (strings, where_)
        case (.toml(let other), let where_)?:
            throw invalid(setting, where_, "expected an array of strings, found \(other.kindName)")
        }
        record(setting, TOMLValue.array(values.map(TOMLValue.string)).description, source)
        return values
    }

    /// One of `choices`.
    mutating func choice(
        _ setting: Setting,
        default defaultValue: String,
        choices: [String]
    ) throws(ConfigurationError)
        -> String
    {
        let before = effective.count
        let value = try string(setting, default: defaultValue)
        guard choices.contains(value) else {
            let source = effective[before].source
            // Quoted, so that an empty choice shows as "" rather than as nothing.
            let listed = choices.map(TOMLValue.quoted).joined(separator: ", ")
            throw invalid(setting, source, "expected one of \(listed), found \(TOMLValue.quoted(value))")
        }
        return value
    }

    /// The source of the last value read, for errors found after reading (a window that does not parse).
    var lastSource: SettingSource { effective.last?.source ?? .defaultValue }

    /// Records a value that is not read from the file itself (the graph's password), masked.
    mutating func recordDerived(_ setting: Setting, display: String, source: SettingSource) {
        record(setting, display, source)
    }

    /// Refuses sections and keys the file has but sluice does not know: a typo must not be ignored.
    func checkUnknownKeys() throws(ConfigurationError) {
        let file = path ?? "<configuration>"
        for (table, entries) in document.tables.sorted(by: { $0.key < $1.key }) {
            let known = Setting.all.filter { $0.section == table && $0.isFileKey }.map(\.key)
            if known.isEmpty {
                let line = document.tableLines[table] ?? entries.values.map(\.line).min() ?? 1
                throw .unknownKey(
                    path: file,
                    line: line,
                    key: table.isEmpty ? "\(entries.keys.sorted().first ?? "") outside a [section]" : "[\(table)]",
                    known: Setting.sections.map { "[\($0)]" }
                )
            }
            for (key, entry) in entries.sorted(by: { $0.value.line < $1.value.line }) where !known.contains(key) {
                if table == Setting.graphPassword.section && key == Setting.graphPassword.key {
                    throw .invalidValue(
                        source: .file(path: file, line: entry.line),
                        key: Setting.graphPassword.name,
                        reason: "a password does not belong in the configuration file: use password_file, the systemd "
                            + "credential \(GraphSettings.credentialName), or SLUICE_BOLT_PASSWORD"
                    )
                }
                throw .unknownKey(path: file, line: entry.line, key: "[\(table)] \(key)", known: known)
            }
        }
    }
}

extension String {
    fileprivate var replacingUnderscoresAndCommas: String {
        String(unicodeScalars.filter { $0 != "_" && $0 != "," })
    }
}
