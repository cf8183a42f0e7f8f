import Ethereum
import FuzzSupport

/// EIP-4361 messages (the siwe plugin).
@main enum FuzzSIWE: FuzzTarget {
    static func test(_ input: [UInt8]) {
        _ = try? SIWEMessage(parsing: String(decoding: input, as: UTF8.self))
    }
}
