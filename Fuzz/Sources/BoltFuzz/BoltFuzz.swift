// BoltFuzz --target=packstream|messages [libFuzzer options] [corpus directories]
//     Fuzzes a decoder: a build with `--sanitize fuzzer` (scripts/fuzz) has libFuzzer's main, which
//     ignores the options that begin with `--`.
// BoltFuzz --target=... --write-seeds=DIRECTORY
//     Writes the seed corpus and exits.
// BoltFuzz --target=... FILE...
//     A plain build (scripts/fuzz --replay) runs each file through the target once, to replay a crash.
import Foundation

/// The options of this program; everything else is libFuzzer's or a file to replay.
struct FuzzOptions {
    var target: FuzzTarget
    var seedDirectory: String?
    var files: [String]

    init(_ arguments: [String]) {
        var target: FuzzTarget?
        var files: [String] = []
        for argument in arguments.dropFirst() {
            if argument.hasPrefix("--target=") {
                target = FuzzTarget(rawValue: String(argument.dropFirst("--target=".count)))
            } else if argument.hasPrefix("--write-seeds=") {
                self.seedDirectory = String(argument.dropFirst("--write-seeds=".count))
            } else if !argument.hasPrefix("-") {
                files.append(argument)
            }
        }
        guard let target else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(
                Data("usage: BoltFuzz --target=\(names) [--write-seeds=DIR] [FILE...]\n".utf8)
            )
            exit(2)
        }
        self.target = target
        self.files = files
    }

    /// Writes the seed corpus when asked to, and then ends the program.
    func writeSeedsIfAsked() throws {
        guard let seedDirectory else { return }
        let directory = URL(fileURLWithPath: seedDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let seeds = self.target.seeds
        for (number, seed) in seeds.enumerated() {
            try Data(seed).write(to: directory.appendingPathComponent("seed-\(number)"))
        }
        print("wrote \(seeds.count) seeds for \(self.target.rawValue) to \(directory.path)")
        exit(0)
    }
}

#if BOLT_FUZZ
/// libFuzzer calls plain C functions, which cannot capture: the target is set here before the first input.
nonisolated(unsafe) var selectedTarget = FuzzTarget.packStream

@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let arguments = (0..<Int(argc.pointee)).compactMap { argv.pointee?[$0].map { String(cString: $0) } }
    let options = FuzzOptions(arguments)
    do {
        try options.writeSeedsIfAsked()
    } catch {
        fatalError("cannot write the seeds: \(error)")
    }
    selectedTarget = options.target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    do {
        try selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError(error.description)
    }
    return 0
}
#else
@main
enum BoltFuzzReplay {
    static func main() throws {
        let options = FuzzOptions(CommandLine.arguments)
        try options.writeSeedsIfAsked()
        for path in options.files {
            let input = try Data(contentsOf: URL(fileURLWithPath: path))
            try input.withUnsafeBytes { bytes throws in try options.target.run(bytes) }
            print("\(path): \(input.count) bytes, no crash")
        }
    }
}
#endif
