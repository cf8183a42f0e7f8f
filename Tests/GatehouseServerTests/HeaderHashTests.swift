import Crypto
import Foundation
import GatehousePluginABI
import Testing

/// The plugin ABI header is a promise to third parties: it may only change together with its
/// version. Changing the header means bumping GATEHOUSE_ABI_MINOR (additions at the end) or
/// GATEHOUSE_ABI_MAJOR (anything else), then recording the new hash here.
@Suite struct HeaderHashTests {
    static let pinned: [String: String] = [
        "1.0": "67b65dbf84bc3f4c55173cc4e04430055accd6654fb5fd4375e1a054cce6e4cc",
        "1.1": "d513f551f520e0c40406581361c2fc410e2723d25f3d3a1f7bc0ea6eb10cea31",
        "1.2": "83b1b79d685a4d1955f69bb51fff4f29d41f29e846e2853970b091398d75c385",
        "1.3": "f2d2af359093a2cbd8a6b6df2c9b2b8a1c0387155870e16c4c46d2fc4c46946a",
        "1.4": "f310a17de65234841fbb4361c25d77e4601f7b7b97a4ec3cc626f5f5b46d6f90",
        "1.5": "97cbb02f3710c8ee4e79ae77624019caa4cb25fe622c207c4e2e051b5f360ab6",
        "1.6": "9b7063f2a00ac6603ad7d8504dd035c3c3b78c8c6411fce52b1d9bccab064484",
        "1.7": "44df6235fdbe896fe5334ac32055e92b0a84c38e97487b7e42dadf9d5ed8c9e8",
        "1.8": "de387d5978c8fc07dd74fac854fdea34e2b5ad2cc803c6e5fd7d01dacae26ca5",
        "1.9": "f21bc1631b1a34601df377f84cb3ab76682b3670cbb95e07c9ea8db658a4e60b",
        "1.10": "46916f3daf35aed7126dbe6be2f6e10c74ed7ed4e2a592553b27e4f2775308f2",
        "1.11": "a40aefccdfb9ab514bc3db0bc181c41a5bbd2af57d2d3091463ac0a0ddef45c5",
    ]

    @Test func headerMatchesItsVersion() throws {
        let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PluginAPI/include/gatehouse_plugin.h")
        let digest = SHA256.hash(data: try Data(contentsOf: header)).map { String(format: "%02x", $0) }.joined()
        let version = "\(GATEHOUSE_ABI_MAJOR).\(GATEHOUSE_ABI_MINOR)"
        #expect(Self.pinned[version] == digest, "gatehouse_plugin.h changed without an ABI version bump (now \(version), sha256 \(digest))")
    }
}
