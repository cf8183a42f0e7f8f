import ArgumentParser
import Foundation

extension PluginsCommand {
    /// `gatehouse plugins new NAME --lang swift|c [--dir DIR]`: a plugin project that builds as
    /// written and passes `gatehouse plugins check`, outside this repository.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a ready plugin project (one endpoint, one test, a README with the build, test and install steps).")

        enum Language: String, ExpressibleByArgument, CaseIterable {
            case swift, c
        }

        @Argument(help: "The plugin id: lower-case letters, digits and -.")
        var name: String

        @Option(name: .long, help: "swift (PluginKit, tested with PluginKitTesting) or c (the header and a Makefile).")
        var lang: Language

        @Option(name: .long, help: "Where to write the project (default ./NAME); must not exist or be empty.")
        var dir: String?

        @Option(name: .long, help: """
            The Gatehouse package: a checkout's path (default: the one this binary was built from), or, for Swift, a git URL \
            with --gatehouse-version.
            """)
        var gatehouse: String?

        @Option(name: .customLong("gatehouse-version"), help: "With a --gatehouse URL: the lowest version to depend on (`from:`).")
        var gatehouseVersion: String?

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
                throw ValidationError("NAME must be a plugin id: lower-case letters, digits and - only")
            }
        }

        func run() throws {
            let target = URL(fileURLWithPath: dir ?? name)
            try reportFailure { () throws(PluginScaffold.Failure) in
                let source = try PluginScaffold.Gatehouse.resolve(gatehouse, version: gatehouseVersion, needsHeader: lang == .c)
                let project = switch lang {
                case .swift: PluginScaffold.swiftProject(id: name, gatehouse: source)
                case .c: try PluginScaffold.cProject(id: name, gatehouse: source)
                }
                try PluginScaffold.write(project, to: target)
            }
            print("wrote \(lang == .swift ? "a Swift" : "a C") plugin project in \(target.path):")
            print("  cd \(target.path) && " + (lang == .swift ? "swift build && swift test" : "make && make test"))
            print("  then see README.md to check it and drop it into plugins.d")
        }
    }
}
