import GatehouseJSON

/// The JSON body a ``WebhookTransport`` posts for one message.
enum WebhookPayload {
    /// `{"type", "to", "subject", "text", "html", "url", "token", "from"}`, in that order; absent values are null.
    static func body(for message: EmailMessage, from: String) -> String {
        let object: JSONValue = [
            "type": .string(message.kind),
            "to": .string(message.to),
            "subject": .string(message.subject),
            "text": .string(message.text),
            "html": .string(message.html),
            "url": message.url.map(JSONValue.string) ?? .null,
            "token": message.token.map(JSONValue.string) ?? .null,
            "from": .string(from),
        ]
        return object.serialized()
    }
}
