import Foundation

/// A child process run to its end: its exit status and what it wrote.
struct ProcessRun {
    var status: Int32
    var output: String
    var errors: String

    /// stderr without log lines (`2026-11-25T13:00:00+0000 warning sluice.run: ...`, from
    /// StderrLogHandler): what a failing command says about its failure.
    var errorMessages: [Substring] {
        errors.split(separator: "\n").filter { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\S+ \w+ .*/) == nil }
    }

    /// Runs `executable` to its end, with `input` (if any) on its standard input.
    ///
    /// Its output goes to temporary files, not pipes: a child that fills one pipe while the other is being read
    /// would block both. The exit is awaited through a termination handler, not `waitUntilExit`, which can wait
    /// forever in corelibs Foundation once a child has left a daemon behind (the sandbox's `up` does).
    static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> ProcessRun {
        let directory = FileManager.default.temporaryDirectory
        let outputFile = directory.appendingPathComponent("sluice-run-\(UUID().uuidString).out")
        let errorsFile = directory.appendingPathComponent("sluice-run-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorsFile)
        }
        for file in [outputFile, errorsFile] {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: outputFile)
        let errors = try FileHandle(forWritingTo: errorsFile)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        try output.close()
        try errors.close()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        exited.wait()
        func text(_ file: URL) -> String {
            String(decoding: (try? Data(contentsOf: file)) ?? Data(), as: UTF8.self)
        }
        return ProcessRun(status: process.terminationStatus, output: text(outputFile), errors: text(errorsFile))
    }
}
