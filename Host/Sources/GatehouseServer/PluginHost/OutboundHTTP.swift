import AsyncHTTPClient
import GatehouseJSON
import NIOCore
import NIOHTTP1
import OrderedCollections

/// Outbound HTTP for plugins (`http.fetch`): async-http-client's shared client, http(s) only,
/// with a timeout and a cap on the answer's size.
enum OutboundHTTP {
    static let maxResponseBytes = 5 << 20

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `{method, url, headers{}, body?, timeoutSeconds?}` → `{status, headers{}, body}`.
    static func fetch(_ input: JSONValue) async throws -> JSONValue {
        guard let url = input["url"]?.stringValue, url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            throw Failure(description: "url must be an http:// or https:// URL")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: (input["method"]?.stringValue ?? "GET").uppercased())
        for (name, value) in input["headers"]?.objectValue ?? [:] {
            if let text = value.stringValue { request.headers.add(name: name, value: text) }
        }
        if let body = input["body"]?.stringValue { request.body = .bytes(ByteBuffer(string: body)) }
        let timeout = min(max(input["timeoutSeconds"]?.intValue ?? 10, 1), 60)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout)))
        let body = try await response.body.collect(upTo: maxResponseBytes)
        var headers = OrderedDictionary<String, JSONValue>()
        for header in response.headers {
            let name = header.name.lowercased()
            headers[name] = .string(headers[name]?.stringValue.map { $0 + ", " + header.value } ?? header.value)
        }
        return ["status": .int(Int(response.status.code)), "headers": .object(headers), "body": .string(String(buffer: body))]
    }
}
