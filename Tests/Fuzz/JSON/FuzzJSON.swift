import FuzzSupport
import GatehouseJSON

/// Request bodies, plugin envelopes, the cookie cache's payload.
@main enum FuzzJSON: FuzzTarget {
    static func test(_ input: [UInt8]) {
        guard let value = try? JSONValue.parse(input) else { return }
        // What was parsed must serialise and parse back.
        _ = try! JSONValue.parse(value.serializedBytes())
    }
}
