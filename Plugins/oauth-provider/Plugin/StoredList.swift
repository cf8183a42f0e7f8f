import GatehouseJSON

/// `string[]` columns as they come back: arrays from the host's adapter, or JSON text in a
/// database Better Auth wrote.
enum StoredList {
    static func strings(_ value: JSONValue?) -> [String] {
        if let text = value?.stringValue, let parsed = try? JSONValue.parse(text) { return strings(parsed) }
        return value?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
