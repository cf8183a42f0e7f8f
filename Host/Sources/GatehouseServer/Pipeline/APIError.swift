import GatehouseJSON
import HTTPTypes

/// An error answer in Better Auth's shape: `{"code": "...", "message": "..."}` with a status.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Better Auth answers some errors (unknown route, disabled delete-user) with no body at all.
    public var emptyBody: Bool

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
        emptyBody = false
    }

    /// An error whose code is derived from its message the way better-call does it.
    public init(_ status: HTTPResponse.Status, message: String) {
        self.init(status, APIError.code(fromMessage: message), message)
    }

    public static func empty(_ status: HTTPResponse.Status) -> APIError {
        var error = APIError(status, "", "")
        error.emptyBody = true
        return error
    }

    public var body: JSONValue { ["code": .string(code), "message": .string(message)] }

    /// Upper-case, spaces to `_`, everything outside `[A-Z0-9_]` dropped.
    static func code(fromMessage message: String) -> String {
        String(message.uppercased().replacingOccurrences(of: " ", with: "_").unicodeScalars
            .filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }.map(Character.init))
    }
}

/// A named error a contributor declares, so the OpenAPI document and clients know it.
public struct ErrorCode: Sendable {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

}
