import Foundation

/// Any route, a plugin's included, with the client's credentials and errors: `path` is below
/// `basePath` (`/organization/get-full-organization`); the answer decodes as `Res` (an
/// Optional for routes that may answer `null`).
extension GatehouseClient {
    public func call<Res: Decodable & Sendable>(_ method: HTTPMethod, _ path: String, query: [String: String] = [:]) async throws -> Res {
        try await send(method, path, query: query).decode(Res.self)
    }

    public func call<Req: Encodable & Sendable, Res: Decodable & Sendable>(_ method: HTTPMethod, _ path: String, query: [String: String] = [:],
                                                                         body: Req) async throws -> Res {
        let data: Data
        do {
            data = try JSONEncoder().encode(body)
        } catch {
            throw GatehouseError(status: 0, code: "INVALID_BODY", message: "The body could not be encoded: \(error)")
        }
        return try await send(method, path, query: query, body: data).decode(Res.self)
    }
}
