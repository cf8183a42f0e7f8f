import Crypto
import GatehouseCrypto
import GatehouseOutbound

/// Have I Been Pwned's k-anonymity range API: `GET {apiBaseURL}/range/{first 5 hex digits of the
/// SHA-1}` answers every known suffix with that prefix as `SUFFIX:COUNT` lines, so neither the
/// password nor its full hash leaves the server. Padding (`Add-Padding: true`) adds fake
/// suffixes with count 0, which are not matches.
public struct PwnedPasswordsRange: Sendable {
    public enum Verdict: Sendable, Equatable {
        case breached, notFound
        /// No usable answer (timeout, connection failure, an error status): the caller decides.
        case unavailable(reason: String)
    }

    public static let defaultBaseURL = "https://api.pwnedpasswords.com"

    public let apiBaseURL: String
    public let timeoutSeconds: Int
    private let recent = RecentVerdicts()

    public init(apiBaseURL: String = Self.defaultBaseURL, timeoutSeconds: Int = 3) {
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.timeoutSeconds = timeoutSeconds
    }

    /// The verdict on `password`: the one given in the last minute, or the API's.
    public func check(_ password: String) async -> Verdict {
        let key = recent.entryKey(password)
        if let verdict = recent.verdict(key) { return verdict }
        guard recent.begin() else { return .unavailable(reason: "\(RecentVerdicts.maxInFlight) checks already in flight") }
        let verdict = await lookUp(password)
        recent.end()
        recent.remember(verdict, key)
        return verdict
    }

    private func lookUp(_ password: String) async -> Verdict {
        let digest = Hex.encode(Insecure.SHA1.hash(data: Array(password.utf8))).uppercased()
        let prefix = digest.prefix(5), suffix = digest.dropFirst(5)
        // The operator names the API (a mirror may sit on a private network): no address guard.
        let request = OutboundRequest(method: "GET", url: "\(apiBaseURL)/range/\(prefix)",
                                      headers: [("Add-Padding", "true"), ("User-Agent", "Gatehouse password check")],
                                      body: nil, timeoutSeconds: timeoutSeconds, allowPrivateNetworks: true)
        switch await request.perform() {
        case .response(200, let body) where body.count >= OutboundRequest.maxBodyBytes:
            return .unavailable(reason: "the range API's answer was cut off")
        case .response(200, let body):
            return Self.lists(suffix, in: String(decoding: body, as: UTF8.self)) ? .breached : .notFound
        case .response(let status, _):
            return .unavailable(reason: "the range API answered \(status)")
        case .failure(let code, _):
            return .unavailable(reason: code == "TIMEOUT" ? "no answer within \(timeoutSeconds) s" : "the range API could not be reached")
        }
    }

    /// Whether the range answer lists `suffix` with a count above zero.
    static func lists(_ suffix: Substring, in body: String) -> Bool {
        body.split(whereSeparator: \.isNewline).contains { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let count = Int(parts[1].trimmingCharacters(in: .whitespaces)), count > 0 else { return false }
            return parts[0].trimmingCharacters(in: .whitespaces).uppercased() == suffix
        }
    }
}
