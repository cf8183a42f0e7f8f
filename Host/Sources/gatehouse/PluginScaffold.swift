import Foundation

/// The files of a new plugin project (`gatehouse plugins new`), as a third party would have
/// them: the Swift one depends on Gatehouse's PluginKit and PluginKitTesting products, the C one
/// carries a copy of the header.
enum PluginScaffold {
    struct Failure: Error, CustomStringConvertible {
        let description: String

        init(_ description: String) { self.description = description }
    }

    /// Relative path → contents.
    typealias Project = [(path: String, contents: String)]

    /// Where the project gets Gatehouse from.
    enum Gatehouse {
        /// A local checkout: a path dependency, and the header to copy.
        case checkout(URL)
        /// A git URL and the lowest version (Swift projects only).
        case remote(url: String, version: String)

        /// The checkout this binary was compiled from (Host/Sources/gatehouse/ is three levels down).
        static let builtFrom = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()

        static let headerPath = "PluginAPI/include/gatehouse_plugin.h"

        static func resolve(_ given: String?, version: String?, needsHeader: Bool) throws(Failure) -> Gatehouse {
            if let given, given.contains("://") || given.hasPrefix("git@") {
                guard !needsHeader else { throw Failure("a C project copies the header from a checkout: give --gatehouse a checkout's path") }
                guard let version, !version.isEmpty else { throw Failure("--gatehouse-version is required with a --gatehouse URL") }
                return .remote(url: given, version: version)
            }
            guard version == nil else { throw Failure("--gatehouse-version goes with a --gatehouse URL") }
            let root = given.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? builtFrom
            let files = FileManager.default
            guard files.fileExists(atPath: root.appendingPathComponent("Package.swift").path),
                  files.fileExists(atPath: root.appendingPathComponent(headerPath).path) else {
                throw Failure("\(root.path) is not a Gatehouse checkout (it lacks Package.swift or \(headerPath))"
                              + (given == nil ? "; this binary was built there, so pass --gatehouse PATH to a checkout" : ""))
            }
            return .checkout(root)
        }

        /// The header's text, from the checkout.
        func header() throws(Failure) -> String {
            guard case .checkout(let root) = self else { throw Failure("the header comes from a checkout") }
            let path = root.appendingPathComponent(Self.headerPath).path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Failure("cannot read \(path)") }
            return text
        }
    }

    /// `audit-log` → `AuditLogPlugin`, a Swift type and module name.
    static func typeName(_ id: String) -> String {
        let camel = id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return camel.first?.isNumber ?? true ? "Plugin" + camel : camel + "Plugin"
    }

    /// Writes the project into `directory`, which must not exist or be empty.
    static func write(_ project: Project, to directory: URL) throws(Failure) {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? files.contentsOfDirectory(atPath: directory.path))?.isEmpty == true else {
                throw Failure("\(directory.path) already exists and is not an empty directory")
            }
        }
        do {
            for file in project {
                let url = directory.appendingPathComponent(file.path)
                try files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url)
            }
        } catch {
            throw Failure("cannot write the project into \(directory.path): \(error.localizedDescription)")
        }
    }

    /// `text` as a Swift or C string literal's contents.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
