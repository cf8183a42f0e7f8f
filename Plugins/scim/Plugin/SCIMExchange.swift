import GatehouseJSON
import PluginKit
import SCIMProtocol

/// One request to the SCIM API as RFC 7644 §3 reads it: the path below `/scim/v2/`, the query,
/// and a JSON body of media type `application/scim+json` or `application/json`.
struct SCIMRequest {
    let call: PluginCall
    /// Percent-decoded path segments below `/scim/v2/` (`["Users", "<id>"]`).
    let segments: [String]

    init(_ call: PluginCall) {
        self.call = call
        segments = (call.param("**") ?? "").split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
    }

    var method: String { call.method.uppercased() }

    func query(_ name: String) -> String? { call.query(name) }

    /// The JSON body: 415 for another media type, 400 `invalidSyntax` when absent or malformed.
    func body() throws -> JSONValue {
        let mediaType = call.header("content-type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/scim+json" || mediaType == "application/json" else {
            throw SCIMError(status: 415, scimType: nil, detail: "Send the body as application/scim+json or application/json")
        }
        guard let bytes = call.rawBody, !bytes.isEmpty else { throw SCIMError(scimType: "invalidSyntax", detail: "A JSON body is required") }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw SCIMError(scimType: "invalidSyntax", detail: "The body is not valid JSON: \(error.description)")
        }
    }
}

/// Answers in SCIM's media type.
enum SCIMAnswer {
    static let mediaType = "application/scim+json"

    static func json(_ body: JSONValue, status: Int = 200) -> PluginAnswer {
        .text(body.serialized(), contentType: mediaType, status: status)
    }

    /// 201 with `Location` = the new resource's `meta.location`.
    static func created(_ resource: JSONValue) -> PluginAnswer {
        let answer = json(resource, status: 201)
        return resource["meta"]?["location"]?.stringValue.map { answer.header("location", $0) } ?? answer
    }

    static let noContent = PluginAnswer.status(204)

    /// An RFC 7644 §3.12 error; a 401 names the scheme to use (RFC 6750 §3).
    static func error(_ error: SCIMError) -> PluginAnswer {
        let answer = json(error.json, status: error.status)
        return error.status == 401 ? answer.header("www-authenticate", "Bearer realm=\"SCIM\"") : answer
    }

    /// RFC 7644 §3.4.2 ListResponse.
    static func list(_ resources: [JSONValue], total: Int, startIndex: Int) -> JSONValue {
        ["schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": .int(total),
         "itemsPerPage": .int(resources.count), "startIndex": .int(startIndex), "Resources": .array(resources)]
    }
}
