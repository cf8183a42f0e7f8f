import Foundation
import GatehouseJSON
import PluginKit

/// `plugins.passkey` settings, named after Better Auth's options. A bad value refuses the load
/// with a message naming the key.
struct PasskeySettings: Sendable {
    /// The relying party id: a registrable domain of the origins (default: the base URL's host).
    let rpID: String
    let rpName: String
    /// Origins a ceremony may come from (default: the base URL's origin).
    let origins: [String]
    let residentKey: String
    let userVerification: String
    let authenticatorAttachment: String?
    /// `none` (Better Auth's default) or `direct`: whether registration asks for attestation.
    let attestation: String
    /// PEM roots that attestation certificate chains are verified against.
    let attestationRoots: [String]
    let timeoutMilliseconds: Int
    /// Seconds a challenge lives (the signed challenge cookie and its verification row).
    let challengeMaxAge = 300
    let challengeCookie: String

    init(_ json: JSONValue, baseURL: String, appName: String) throws {
        let base = URL(string: baseURL)
        rpID = try Self.string(json, "rpID") ?? base?.host ?? "localhost"
        rpName = try Self.string(json, "rpName") ?? appName
        switch json["origin"] {
        case .some(.string(let origin)): origins = [origin]
        case .some(.array(let list)) where !list.isEmpty && list.allSatisfy({ $0.stringValue != nil }): origins = list.compactMap(\.stringValue)
        case .none, .some(.null): origins = [Self.origin(of: baseURL)]
        default: throw Self.invalid("origin", "must be an origin or a list of origins")
        }
        let selection = json["authenticatorSelection"] ?? .null
        residentKey = try Self.choice(selection, "residentKey", ["discouraged", "preferred", "required"], key: "authenticatorSelection.residentKey") ?? "preferred"
        userVerification = try Self.choice(selection, "userVerification", ["discouraged", "preferred", "required"],
                                           key: "authenticatorSelection.userVerification") ?? "preferred"
        authenticatorAttachment = try Self.choice(selection, "authenticatorAttachment", ["platform", "cross-platform"],
                                                  key: "authenticatorSelection.authenticatorAttachment")
        attestation = try Self.choice(json, "attestation", ["none", "direct"], key: "attestation") ?? "none"
        guard let roots = (json["attestationRoots"] ?? .array([])).arrayValue?.compactMap(\.stringValue) else {
            throw Self.invalid("attestationRoots", "must be a list of PEM certificates")
        }
        attestationRoots = roots
        timeoutMilliseconds = json["timeout"]?.intValue ?? 60_000
        challengeCookie = try Self.string(json, "webAuthnChallengeCookie") ?? "better-auth-passkey"
    }

    static func origin(of url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return url }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
    }

    private static func string(_ json: JSONValue, _ key: String) throws -> String? {
        guard let value = json[key]?.nonNull else { return nil }
        guard let text = value.stringValue, !text.isEmpty else { throw invalid(key, "must be a non-empty string") }
        return text
    }

    private static func choice(_ json: JSONValue, _ member: String, _ allowed: [String], key: String) throws -> String? {
        guard let value = json[member]?.nonNull else { return nil }
        guard let text = value.stringValue, allowed.contains(text) else { throw invalid(key, "must be one of \(allowed.joined(separator: ", "))") }
        return text
    }

    private static func invalid(_ key: String, _ problem: String) -> PluginError {
        PluginError(code: "INVALID_SETTING", message: "plugins.passkey.\(key) \(problem)")
    }
}
