import Testing

/// The short fuzz run that every test run makes: each seed of the libFuzzer corpus (scripts/fuzz runs the
/// long ones) cut at every length and with every byte replaced by values that forge lengths, markers and
/// tags, fed to the same targets libFuzzer drives. Deterministic, so a finding reproduces. Seeds longer
/// than ``positionsPerSeed`` bytes are cut and mutated at evenly spaced positions, to keep the run short.
@Suite struct DecoderMutationTests {
    /// Replacements that turn a byte into the largest or smallest size, another marker, or a neighbour.
    static func replacements(for byte: UInt8) -> [UInt8] {
        [0x00, 0xFF, 0x7F, 0x80, 0xDF, byte ^ 0x01, byte &+ 1, byte &- 1]
    }

    static let positionsPerSeed = 200

    @Test(arguments: FuzzTarget.allCases)
    func everyTruncationAndByteReplacementOfTheSeeds(_ target: FuzzTarget) throws {
        var inputs = 0
        for seed in target.seeds {
            let positions = Array(stride(from: 0, to: seed.count, by: max(1, seed.count / Self.positionsPerSeed)))
            for length in positions {
                try feed(Array(seed[..<length]), to: target)
                inputs += 1
            }
            for position in positions {
                var mutated = seed
                for replacement in Self.replacements(for: seed[position]) where replacement != seed[position] {
                    mutated[position] = replacement
                    try feed(mutated, to: target)
                    inputs += 1
                }
            }
        }
        #expect(inputs > 1000, "the seed corpus shrank to \(inputs) inputs")
    }

    private func feed(_ input: [UInt8], to target: FuzzTarget) throws {
        do {
            try input.withUnsafeBytes { bytes throws in try target.run(bytes) }
        } catch {
            Issue.record("\(target.rawValue) input \(input.map { String($0, radix: 16) }): \(error)")
        }
    }
}
