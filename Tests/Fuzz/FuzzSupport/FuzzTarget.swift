import Foundation

/// A fuzz target: one parser fed arbitrary bytes. Only crashes, hangs and sanitizer reports are
/// findings; an input the parser refuses (a thrown error) is the parser doing its job.
///
/// Built with `-sanitize=fuzzer,address -DFUZZING` (scripts/fuzz.sh), `main` hands over to
/// libFuzzer; built plainly, it replays the files (or folders of files) given as arguments, to
/// debug a crash or check its fix. SwiftPM names an executable's entry point `<Module>_main` and
/// links it as `main`, which keeps libFuzzer's own `main` out, hence `LLVMFuzzerRunDriver`.
public protocol FuzzTarget {
    static func test(_ input: [UInt8])
}

extension FuzzTarget {
    public static func main() throws {
        #if FUZZING
        currentTarget = { test($0) }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
        #else
        for path in CommandLine.arguments.dropFirst() {
            for file in try files(at: URL(fileURLWithPath: path)) {
                print("replaying \(file.path)")
                test(Array(try Data(contentsOf: file)))
            }
        }
        #endif
    }

    private static func files(at url: URL) throws -> [URL] {
        guard (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true else { return [url] }
        return try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
    }
}

#if FUZZING
/// The running target's `test`, for the C entry point (which cannot capture it).
nonisolated(unsafe) private var currentTarget: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    currentTarget(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif
