import GatehouseJSON
import PluginKit

extension FakeHost {
    /// A plugin's answer envelope (docs/plugin-abi.md §9), read the way the host reads it.
    public struct Answer: Sendable {
        /// The whole envelope; for a service or a job, the result object itself.
        public let json: JSONValue
        /// The session a `signIn` answer made (the fake host creates it as the server would).
        public let newSession: Session?

        init(_ json: JSONValue, newSession: Session? = nil) {
            self.json = json
            self.newSession = newSession
        }

        /// The HTTP status the client would get: `error.status` (default 400), else `status`
        /// (default 200).
        public var status: Int {
            if let error = json["error"] { return error["status"]?.intValue ?? 400 }
            return json["status"]?.intValue ?? 200
        }

        /// The body the client would get: `{code, message}` for an error, else `body`.
        public var body: JSONValue {
            if let error { return ["code": .string(error.code), "message": .string(error.message)] }
            return json["body"] ?? .null
        }

        /// The `error` member as the client sees it; without `code`, one is derived from the
        /// message as better-call does ("Invalid login code" → `INVALID_LOGIN_CODE`).
        public var error: PluginError? {
            guard let error = json["error"] else { return nil }
            let message = error["message"]?.stringValue ?? "Plugin error"
            let code = error["code"]?.stringValue ?? String(message.uppercased().replacingOccurrences(of: " ", with: "_").unicodeScalars
                .filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }.map(Character.init))
            return PluginError(status: status, code: code, message: message)
        }

        public var code: String? { error?.code }
        /// The content type of a text answer (`PluginAnswer.text`, ABI 1.3); nil for JSON.
        public var contentType: String? { json["contentType"]?.stringValue }

        /// `proceed`, `respond`, `keep` or `replace` for hooks and interceptors.
        public var action: String? { json["action"]?.stringValue }

        /// A response header the answer sets (any case).
        public func header(_ name: String) -> String? {
            json["headers"]?.objectValue?.first { $0.key.lowercased() == name.lowercased() }?.value.stringValue
        }

        /// The answer's `cookies` entries (`{name, value?, maxAge?, signed?, expire?}`).
        public var cookies: [JSONValue] { json["cookies"]?.arrayValue ?? [] }

        /// A member of the envelope or result, e.g. `answer["count"]` for a service's result.
        public subscript(key: String) -> JSONValue? { json[key] }
    }
}
