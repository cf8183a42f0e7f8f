import GatehouseJSON
import OrderedCollections

/// Builds an OpenAPI 3.1 document from the routes a generation serves, plugins' included.
enum OpenAPIDocument {
    static func build(routes: RouteTable, auth: AuthContext) -> JSONValue {
        var paths = OrderedDictionary<String, JSONValue>()
        // A disabled path is answered 404 before routing: it is not part of the API.
        let served = routes.endpoints.filter { !auth.config.advanced.disabledPaths.contains($0.path) }
        for endpoint in served.sorted(by: { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }) {
            let path = auth.config.basePath + endpoint.path.split(separator: "/").map { segment in
                if endpoint.servesSubpaths, segment == "**" { return "{\(subpathParameter)}" }
                return segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.reduce("") { $0 + "/" + $1 }
            var item = paths[path]?.objectValue ?? [:]
            item[endpoint.method.rawValue.lowercased()] = operation(endpoint)
            paths[path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": .string("\(auth.config.appName) auth API"), "version": "1.0.0",
                     "description": "Better Auth 1.7 compatible authentication API served by Gatehouse."],
            "servers": [["url": .string(auth.config.baseURL)]],
            "paths": .object(paths),
            "components": [
                "schemas": ["Error": errorSchema],
                "securitySchemes": [
                    "sessionCookie": ["type": "apiKey", "in": "cookie", "name": .string(auth.cookies.sessionToken)],
                ],
            ],
        ]
    }

    private static let errorSchema: JSONValue = [
        "type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]], "required": ["message"],
    ]

    static func operation(_ endpoint: Endpoint) -> JSONValue {
        var op: OrderedDictionary<String, JSONValue> = [
            "operationId": .string(operationID(endpoint)), "summary": .string(endpoint.summary), "tags": [.string(endpoint.tag)],
        ]
        var parameters: [JSONValue] = endpoint.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { segment in
            ["name": .string(String(segment.dropFirst())), "in": "path", "required": true, "schema": ["type": "string"]]
        }
        if endpoint.servesSubpaths {
            parameters.append(["name": .string(subpathParameter), "in": "path", "required": true, "schema": ["type": "string"],
                               "description": "The rest of the path below the prefix; it may contain /"])
        }
        for property in endpoint.query?.properties ?? [] {
            parameters.append(["name": .string(property.name), "in": "query", "required": .bool(property.required), "schema": schema(property)])
        }
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if let body = endpoint.body {
            var content: OrderedDictionary<String, JSONValue> = ["application/json": ["schema": objectSchema(body)]]
            if endpoint.acceptsForm { content["application/x-www-form-urlencoded"] = ["schema": objectSchema(body)] }
            op["requestBody"] = ["required": .bool(body.properties.contains(where: \.required)), "content": .object(content)]
        }
        if endpoint.auth != .none { op["security"] = [["sessionCookie": []]] }
        op["responses"] = OperationResponses.document(endpoint)
        return .object(op)
    }

    private static func objectSchema(_ body: BodySchema) -> JSONValue {
        var properties = OrderedDictionary<String, JSONValue>()
        for property in body.properties { properties[property.name] = schema(property) }
        let required = body.properties.filter(\.required).map { JSONValue.string($0.name) }
        var object: OrderedDictionary<String, JSONValue> = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { object["required"] = .array(required) }
        return .object(object)
    }

    private static func schema(_ property: BodySchema.Property) -> JSONValue {
        var type: JSONValue = .string(property.kind == .email ? "string" : property.kind.rawValue)
        if property.nullable { type = [type, "null"] }
        var schema: OrderedDictionary<String, JSONValue> = ["type": type]
        if property.kind == .email { schema["format"] = "email" }
        if let description = property.description { schema["description"] = .string(description) }
        return .object(schema)
    }

    /// The path parameter standing for what a subtree endpoint (`/scim/v2/**`) serves.
    private static let subpathParameter = "path"

    private static func operationID(_ endpoint: Endpoint) -> String {
        let words = endpoint.path.split(whereSeparator: { "/-:".contains($0) }).map { $0 == "**" ? subpathParameter : String($0) }
        let camel = words.enumerated().map { $0.offset == 0 ? $0.element : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        return endpoint.method.rawValue.lowercased() + camel.prefix(1).uppercased() + camel.dropFirst()
    }
}
