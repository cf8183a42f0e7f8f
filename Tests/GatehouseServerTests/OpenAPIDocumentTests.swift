import GatehouseJSON
@testable import GatehouseServer
import Testing

/// Each operation's `responses` list exactly what its route can answer: 200, the pipeline's
/// statuses (which depend on the endpoint's auth and body handling) and the handler's own.
@Suite struct OpenAPIDocumentTests {
    let handler: Endpoint.Handler = { _ in .json(.null) }

    private func responseCodes(_ endpoint: Endpoint) -> [String] {
        OpenAPIDocument.operation(endpoint)["responses"]?.objectValue.map { Array($0.keys) } ?? []
    }

    @Test func anOpenRouteListsThePipelineStatusesOnly() {
        #expect(responseCodes(Endpoint(.get, "/ok", summary: "", handler: handler)) == ["200", "400", "403", "413", "415", "429", "503"])
    }

    @Test func aSessionRouteMayAnswer401() {
        #expect(responseCodes(Endpoint(.post, "/x", auth: .sensitiveSession, summary: "", handler: handler)).contains("401"))
        #expect(!responseCodes(Endpoint(.post, "/x", summary: "", handler: handler)).contains("401"))
    }

    @Test func aRawBodyRouteNeverAnswers415() {
        var endpoint = Endpoint(.post, "/scim/v2/**", summary: "", handler: handler)
        endpoint.rawBody = true
        #expect(!responseCodes(endpoint).contains("415"))
    }

    @Test func declaredStatusesAreMergedInOrder() {
        let endpoint = Endpoint(.get, "/callback/:id", auth: .session, summary: "", statuses: [.found, .notFound, .unauthorized], handler: handler)
        #expect(responseCodes(endpoint) == ["200", "302", "400", "401", "403", "404", "413", "415", "429", "503"])
        let responses = OpenAPIDocument.operation(endpoint)["responses"]
        // A redirect has a Location and no body; an error has the Error body.
        #expect(responses?["302"]?["content"] == nil && responses?["302"]?["headers"]?["Location"] != nil)
        #expect(responses?["404"]?["content"]?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/Error")
        #expect(responses?["404"]?["description"] == "Not Found")
    }

    /// A plugin's statuses arrive as bare codes: they still get a reason phrase.
    @Test func bareCodesAreDescribed() {
        let endpoint = Endpoint(.post, "/x", summary: "", statuses: [.init(code: 422), .init(code: 599)], handler: handler)
        let responses = OpenAPIDocument.operation(endpoint)["responses"]
        #expect(responses?["422"]?["description"] == "Unprocessable Content")
        #expect(responses?["599"]?["description"] == "Status 599")
    }
}
