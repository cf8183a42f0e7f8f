import Foundation
import GatehouseJSON
import PluginKit

/// `plugins.siwe` settings. `domain` is required: it is what wallets show the user.
struct SIWESettings: Sendable {
    /// The RFC 3986 authority messages must name (`example.com`, `localhost:3000`).
    let domain: String
    /// URIs a message may carry (prefix match); empty: any URI whose authority is `domain`.
    let uris: [String]
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
        guard let domain = json["domain"]?.stringValue, !domain.isEmpty else { throw invalid("domain", "is required (the host users sign in to, e.g. example.com)") }
        self.domain = domain.lowercased()
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
        emailDomainName = json["emailDomainName"]?.stringValue ?? URL(string: baseURL)?.host ?? "localhost"
        anonymous = json["anonymous"]?.boolValue ?? true
    }
}
