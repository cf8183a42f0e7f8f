import ArgumentParser
import Foundation
import GatehouseServer

extension PluginsCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 plugin-signing key (mode 0600) and print its public key for pluginTrust.publicKeys.")

        @Option(name: .long, help: "Where to write the private key (never over an existing file).")
        var out = "plugin-signing.key"

        func run() throws {
            let publicKey = try reportFailure { () throws(PluginSigning.Failure) in try PluginSigning.generateKey(at: out) }
            FileHandle.standardError.write(Data("gatehouse: private key written to \(out); add the public key below to pluginTrust.publicKeys\n".utf8))
            print(publicKey)
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a plugin library: writes NAME.so.sig next to it.")

        @Option(name: .long, help: "The private key file written by `gatehouse plugins keygen`.")
        var key: String

        @Argument(help: "Path to the plugin's .so file.")
        var library: String

        func run() throws {
            let signed = try reportFailure { () throws(PluginSigning.Failure) in try PluginSigning.sign(library: library, keyFile: key) }
            print("wrote \(signed.signature) (public key \(signed.publicKey))")
        }
    }
}
