/// Random identifiers drawn with rejection sampling from the system CSPRNG,
/// as Better Auth's `generateId` and `generateRandomString` produce them.
public enum RandomIdentifier {
    public static let alphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    public static let lowerAlphanumeric = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    public static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// A 32-character `[A-Za-z0-9]` id: row ids and session tokens.
    public static func generate(length: Int = 32) -> String {
        string(length: length, alphabet: alphanumeric)
    }

    public static func string(length: Int, alphabet: [UInt8]) -> String {
        precondition(!alphabet.isEmpty && alphabet.count <= 256)
        // Largest multiple of the alphabet size below 256, so every symbol is equally likely.
        let limit = 256 - (256 % alphabet.count)
        var out = [UInt8]()
        out.reserveCapacity(length)
        while out.count < length {
            // Draw a little more than needed at once: each draw is a system call.
            for byte in bytes(length - out.count + 8) where Int(byte) < limit && out.count < length {
                out.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { out += $0 }
        }
        return Array(out.prefix(count))
    }
}
