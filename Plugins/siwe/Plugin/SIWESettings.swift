import Foundation
import GatehouseJSON
import PluginKit

/// `plugins.siwe` settings. `domain` is what wallets show the user; it defaults to the base
/// URL's host and port.
struct SIWESettings: Sendable {
    /// The RFC 3986 authority messages must name (`example.com`, `localhost:3000`).
    let domain: String
    /// URIs a message may carry (prefix match); empty: any URI whose authority is `domain` or
    /// the base URL's.
    let uris: [String]
    /// The base URL's host and port.
    let ownAuthority: String
    /// Chain ids a message may name; empty: any positive chain id.
    let chainIDs: [Int]
    /// The domain of generated emails (`<address>@<domain>`); default the base URL's host.
    let emailDomainName: String
    /// Without an email in the request, sign in with a generated one (true) or refuse (false).
    let anonymous: Bool

    init(_ json: JSONValue, baseURL: String) throws {
        func invalid(_ key: String, _ problem: String) -> PluginError {
            PluginError(code: "INVALID_SETTING", message: "plugins.siwe.\(key) \(problem)")
        }
        let base = URLComponents(string: baseURL)
        ownAuthority = (base?.host ?? "localhost") + (base?.port.map { ":\($0)" } ?? "")
        switch json["domain"]?.nonNull {
        case nil: domain = ownAuthority
        case .string(let text)? where !text.isEmpty: domain = text.lowercased()
        default: throw invalid("domain", "must be the host users sign in to, e.g. example.com")
        }
        switch json["uri"]?.nonNull {
        case nil: uris = []
        case .string(let uri)?: uris = [uri]
        case .array(let list)? where list.allSatisfy({ $0.stringValue != nil }): uris = list.compactMap(\.stringValue)
        default: throw invalid("uri", "must be a URI or a list of URIs")
        }
        guard let chains = (json["chainIds"]?.nonNull ?? .array([])).arrayValue, chains.allSatisfy({ ($0.intValue ?? 0) > 0 }) else {
            throw invalid("chainIds", "must be a list of positive chain ids")
        }
        chainIDs = chains.compactMap(\.intValue)
        emailDomainName = json["emailDomainName"]?.stringValue ?? base?.host ?? "localhost"
        anonymous = json["anonymous"]?.boolValue ?? true
    }
}
