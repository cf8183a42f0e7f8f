import Foundation
import GatehouseJSON
import HTTPSyntax
import HTTPTypes
import OrderedCollections

/// Parses a request body by its media type: JSON everywhere, form-encoded where the endpoint
/// allows it, anything else (or none) 415 as better-call answers.
enum RequestBody {
    static func parse(_ ctx: EndpointContext, endpoint: Endpoint) throws -> JSONValue {
        guard !ctx.rawBody.isEmpty else { return .null }
        guard let contentType = ctx.headers[.contentType] else {
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type is required")
        }
        let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch mediaType {
        case "application/json":
            do {
                return try JSONValue.parse(ctx.rawBody)
            } catch {
                throw APIError(.badRequest, "INVALID_JSON", "Request body is not valid JSON: \(error.description)")
            }
        case "application/x-www-form-urlencoded" where endpoint.acceptsForm:
            return form(ctx.rawBody, schema: endpoint.body)
        default:
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
                           "Unsupported media type \(mediaType); send application/json")
        }
    }

    /// Form fields become strings, except fields the schema declares boolean.
    static func form(_ bytes: [UInt8], schema: BodySchema?) -> JSONValue {
        var object = OrderedDictionary<String, JSONValue>()
        for (key, value) in QueryString.parse(String(decoding: bytes, as: UTF8.self)) {
            let kind = schema?.properties.first(where: { $0.name == key })?.kind
            if kind == .boolean, value == "true" || value == "false" || value == "on" {
                object[key] = .bool(value != "false")
            } else {
                object[key] = .string(value)
            }
        }
        return .object(object)
    }
}
