import Dispatch
import Foundation
import GatehouseJSON
import HTTPSyntax
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Prometheus

/// Per-request context: Hummingbird's core storage plus the peer address.
public struct GatehouseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Serves `/healthz`, `/readyz`, `/metrics` and hands everything under the base path, and the
/// well-known URIs plugins serve outside it, to the current plugin generation. Any other path is
/// a 404 with an empty body.
struct GatehouseResponder: HTTPResponder {
    static let maxBodyBytes = 1 << 20

    let runtime: GatehouseRuntime
    let metricsRegistry: PrometheusCollectorRegistry

    func respond(to request: Request, context: GatehouseRequestContext) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let path = request.uri.path
        let basePath = runtime.config.basePath
        switch path {
        case "/healthz":
            return Self.json(["status": "ok"], status: .ok)
        case "/readyz":
            let ready = await runtime.database.isReachable()
            return Self.json(["status": .string(ready ? "ok" : "unavailable")], status: ready ? .ok : .serviceUnavailable)
        case "/metrics":
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metricsRegistry.emitToBuffer())))
        default:
            break
        }
        // Below the base path, or a well-known URI with the base path appended (RFC 8414 §3.1).
        let belowBasePath = path == basePath || path.hasPrefix(basePath + "/")
        let wellKnown = !belowBasePath && path.hasPrefix("/.well-known/") && path.hasSuffix(basePath)
        guard belowBasePath || wellKnown else { return Response(status: .notFound) }
        let routedPath: String
        if wellKnown {
            routedPath = String(path.dropLast(basePath.count))
        } else {
            let below = String(path.dropFirst(basePath.count))
            routedPath = below.isEmpty ? "/" : below
        }

        let requestID = RequestID.next()
        var logger = runtime.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        let generation = runtime.generation
        let config = runtime.config

        let declaredLength = request.headers[.contentLength].flatMap(Int.init) ?? 0
        guard declaredLength <= Self.maxBodyBytes, let collected = try? await request.body.collect(upTo: Self.maxBodyBytes) else {
            var answer = APIResponse(error: APIError(.contentTooLarge, "PAYLOAD_TOO_LARGE", "Request body is too large (limit 1 MiB)"))
            answer.addMissingHeaders(generation.declaredHeaders(request.method, routedPath, outsideBasePath: wellKnown))
            return Self.response(answer)
        }
        let body = Array(collected.readableBytesView)
        let headerIPs = config.advanced.disableIpTracking ? [] : config.advanced.ipAddressHeaders.map { name in
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        let incoming = IncomingRequest(
            method: request.method, path: routedPath,
            query: Dictionary(QueryString.parse(request.uri.query ?? "").map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
            headers: request.headers, body: body, clientIP: ClientAddress.resolve(headerValues: headerIPs, peer: context.peerAddress, trust: ClientAddress.Trust(config)),
            outsideBasePath: wellKnown)
        generation.inFlight.enter()
        let (answer, route) = await generation.respond(to: incoming, logger: logger)
        generation.inFlight.leave()
        var response = Self.response(answer)
        response.headers[HTTPField.Name("x-request-id")!] = requestID
        RequestMetrics.record(route: route, status: Int(answer.status.code), startedAt: started)
        logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(answer.status.code)",
            "duration_ms": "\((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)",
        ])
        return response
    }

    static func response(_ answer: APIResponse) -> Response {
        var headers = answer.headers
        let bytes: [UInt8]
        switch answer.body {
        case .json(let value):
            bytes = value.serializedBytes()
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        case .html(let page):
            bytes = Array(page.utf8)
            headers[.contentType] = "text/html; charset=utf-8"
        case .text(let text, let type):
            bytes = Array(text.utf8)
            headers[.contentType] = type
        case .empty:
            bytes = []
        }
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        response(.json(value, status: status))
    }
}
