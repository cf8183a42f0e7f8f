import Foundation
import PluginKit

/// The authorization request handed to the app's login and consent pages and back as
/// `oauth_query`, signed as Better Auth signs it: the parameters plus `exp`, `ba_iat` (ms) and
/// `ba_param` (the signed names), sorted, form-encoded, HMAC-SHA256 with the server secret in
/// standard base64 as `sig`. A query that comes back altered, extended or expired is refused.
struct SignedQuery: Sendable {
    /// Names only the signer writes: a request's own are dropped before signing. `ba_pl` is
    /// Better Auth's post-login marker; `ba_sid` binds a consent page's query to the session it
    /// was shown to.
    static let reserved: Set<String> = ["sig", "exp", "ba_iat", "ba_param", "ba_pl", "ba_sid"]
    /// What `verify` hands back besides the request's own parameters.
    static let bindings: Set<String> = ["ba_sid"]

    let host: PluginHost
    let lifetime: Int

    /// The query string for the login page, or (with `sessionID`) for the consent page shown to that session.
    func sign(_ parameters: [(name: String, value: String)], sessionID: String? = nil) throws -> String {
        let now = Date()
        var pairs = parameters.filter { !Self.reserved.contains($0.name) }
        if let sessionID { pairs.append(("ba_sid", sessionID)) }
        pairs.append(("exp", String(Int(now.timeIntervalSince1970) + lifetime)))
        pairs.append(("ba_iat", String(Int(now.timeIntervalSince1970 * 1000))))
        for name in Set(pairs.map(\.name) + ["ba_param"]).sorted() { pairs.append(("ba_param", name)) }
        pairs.append(("sig", try signature(of: pairs)))
        return URLText.formEncode(pairs)
    }

    /// The authorization parameters (and `ba_sid`, if signed) of a genuine, unexpired signed query; nil otherwise.
    func verify(_ query: String) -> [(name: String, value: String)]? {
        let pairs = URLText.formDecodePairs(query)
        let signatures = pairs.filter { $0.name == "sig" }
        guard signatures.count == 1, let exp = pairs.first(where: { $0.name == "exp" }).flatMap({ Int($0.value) }),
              TimeInterval(exp) >= Date().timeIntervalSince1970
        else { return nil }
        let signed = pairs.filter { $0.name != "sig" }
        // Only the names the signer listed may appear: nothing added after signing.
        let listed = Set(signed.filter { $0.name == "ba_param" }.map(\.value))
        guard !listed.isEmpty, signed.allSatisfy({ listed.contains($0.name) }),
              let expected = try? signature(of: signed), ConstantTime.equal(expected, signatures[0].value)
        else { return nil }
        return signed.filter { !Self.reserved.contains($0.name) || Self.bindings.contains($0.name) }
    }

    private func signature(of pairs: [(name: String, value: String)]) throws -> String {
        let canonical = URLText.formEncode(pairs.sorted { ($0.name, $0.value) < ($1.name, $1.value) })
        guard let mac = host.hmacSHA256(key: [], Array(canonical.utf8)) else {
            throw PluginError(status: 500, code: "INTERNAL_SERVER_ERROR", message: "could not sign the authorization request")
        }
        return Data(mac).base64EncodedString()
    }
}
