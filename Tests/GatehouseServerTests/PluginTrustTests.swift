import Crypto
import Foundation
@testable import GatehouseServer
import Testing

/// `pluginTrust.*` parsing, the checks on a library's bytes and file, and the signing commands.
@Suite final class PluginTrustTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "gh-trust-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func library(_ bytes: String = "\u{7F}ELF pretend library", mode: Int = 0o644) throws -> String {
        let path = folder + "/widget.so"
        try Data(bytes.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func configError(_ yaml: String) throws -> ConfigError? {
        let path = folder + "/gatehouse.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try GatehouseConfig.load(path: path, environment: [:])
            return nil
        } catch let error as ConfigError {
            return error
        }
    }

    @Test func digestsAreReadInEitherCaseAndKeptLowerCase() throws {
        let digest = String(repeating: "AB", count: 32)
        let policy = try PluginTrustPolicy(sha256: [digest], publicKeys: [])
        #expect(policy.digests == [digest.lowercased()])
        let config = try GatehouseConfig.load(path: nil, environment: ["GATEHOUSE_PLUGIN_TRUST_SHA256": "\(digest), \(String(repeating: "0", count: 64))"])
        #expect(config.pluginTrust.digests.count == 2)
    }

    @Test func badEntriesNameTheirKeyAndNeverEchoAKey() throws {
        let digest = String(repeating: "a", count: 64)
        let short = try configError("pluginTrust: {sha256: [\(digest), abc123]}")
        #expect(short?.key == "pluginTrust.sha256[1]")
        #expect(short?.description.contains("abc123") == true)
        let line = try configError("pluginTrust: {sha256: [\"\(digest)  widget.so\"]}")  // a whole sha256sum line
        #expect(line?.key == "pluginTrust.sha256[0]")
        let secretLooking = Data(repeating: 7, count: 31).base64EncodedString()
        let key = try configError("pluginTrust: {publicKeys: [\"\(secretLooking)\"]}")
        #expect(key?.key == "pluginTrust.publicKeys[0]")
        #expect(key?.description.contains(secretLooking) == false)
        #expect(try configError("pluginTrust: {sha256: abc}")?.key == "pluginTrust.sha256")
    }

    @Test func aListedDigestPassesAndAnotherIsRefused() throws {
        let file = try PluginFile.read(try library())
        #expect(file.sha256 == SHA256.hash(data: file.bytes).map { String(format: "%02x", $0) }.joined())
        let listed = try PluginTrustPolicy(sha256: [file.sha256.uppercased()], publicKeys: [])
        #expect(try listed.verify(file).description == "trusted (digest listed)")
        let other = try PluginTrustPolicy(sha256: [String(repeating: "0", count: 64)], publicKeys: [])
        #expect(throws: PluginTrustError.self) { try other.verify(file) }
        #expect(try PluginTrustPolicy().verify(file).description == "trusted")
    }

    @Test func signaturesMustComeFromAConfiguredKeyOverTheseBytes() throws {
        let path = try library()
        let signer = Curve25519.Signing.PrivateKey()
        let stranger = Curve25519.Signing.PrivateKey()
        let policy = try PluginTrustPolicy(sha256: [], publicKeys: [stranger.publicKey, signer.publicKey].map { $0.rawRepresentation.base64EncodedString() })
        var file = try PluginFile.read(path)
        #expect(refusal(policy, file)?.contains("is missing") == true)

        // Whitespace in the .sig is ignored.
        let signature = try signer.signature(for: file.bytes).base64EncodedString()
        try (String(signature.prefix(20)) + "\n  " + signature.dropFirst(20) + "\n").write(toFile: path + ".sig", atomically: true, encoding: .utf8)
        let verdict = try policy.verify(file)
        #expect(verdict.signer == signer.publicKey.rawRepresentation.base64EncodedString())
        #expect(policy.stillTrusts(verdict))
        #expect(!(try PluginTrustPolicy(sha256: [], publicKeys: [stranger.publicKey.rawRepresentation.base64EncodedString()])).stillTrusts(verdict))

        _ = try library("\u{7F}ELF changed after signing")
        file = try PluginFile.read(path)
        #expect(refusal(policy, file)?.contains("was not made by any key") == true)
        try "not base64!".write(toFile: path + ".sig", atomically: true, encoding: .utf8)
        #expect(refusal(policy, file)?.contains("not base64 of a 64-byte Ed25519 signature") == true)
    }

    @Test func writableLibrariesAndDirectoriesAreRefused() throws {
        #expect(fileRefusal(try library(mode: 0o664)) == "not trusted: \(folder)/widget.so is group-writable")
        #expect(fileRefusal(try library(mode: 0o646)) == "not trusted: \(folder)/widget.so is world-writable")
        #expect(fileRefusal(try library(mode: 0o755)) == nil)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder)
        #expect(throws: PluginTrustError.self) { try PluginFile.checkDirectory(folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
        try PluginFile.checkDirectory(folder)
    }

    @Test func keygenWritesAPrivateKeyOnceAndSignWritesAVerifiableSignature() throws {
        let keyFile = folder + "/plugin-signing.key"
        let publicKey = try PluginSigning.generateKey(at: keyFile)
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: PluginSigning.Failure.self) { try PluginSigning.generateKey(at: keyFile) }
        let path = try library()
        let signed = try PluginSigning.sign(library: path, keyFile: keyFile)
        #expect(signed.signature == path + ".sig")
        #expect(signed.publicKey == publicKey)
        let policy = try PluginTrustPolicy(sha256: [], publicKeys: [publicKey])
        #expect(try policy.verify(PluginFile.read(path)).signer == publicKey)
    }

    @Test func enableCopiesFromAvailableAndUnknownIDsChangeNothing() throws {
        let catalog = PluginCatalog(pluginsDir: folder)
        try FileManager.default.createDirectory(atPath: catalog.availableDir, withIntermediateDirectories: true)
        try Data("\u{7F}ELF".utf8).write(to: URL(fileURLWithPath: catalog.availableDir + "/widget.so"))
        #expect(throws: PluginCatalog.Failure.self) { try catalog.enable(["widget", "../etc"]) }
        #expect(!FileManager.default.fileExists(atPath: catalog.enabledPath("widget")))
        try catalog.enable(["widget"])
        #expect(try fileRefusal(catalog.enabledPath("widget")) == nil)
        #expect(catalog.available().map { "\($0.id) \($0.enabled) \($0.enabledCopyDiffers)" } == ["widget true false"])
        try catalog.disable(["widget"])
        #expect(!FileManager.default.fileExists(atPath: catalog.enabledPath("widget")))
        #expect(throws: PluginCatalog.Failure.self) { try catalog.disable(["gadget"]) }
    }

    private func refusal(_ policy: PluginTrustPolicy, _ file: PluginFile) -> String? {
        do {
            _ = try policy.verify(file)
            return nil
        } catch {
            return error.description
        }
    }

    private func fileRefusal(_ path: String) -> String? {
        do {
            _ = try PluginFile.read(path)
            return nil
        } catch {
            return error.description
        }
    }
}
