import Foundation

/// An email address with an optional display name, as in `Gatehouse <noreply@example.com>`.
struct Mailbox: Sendable, Equatable {
    /// The name shown to the reader, if any.
    let displayName: String?
    /// The bare address, `local@domain`.
    let address: String

    private static let forbiddenInAddress = Set("<>()[],;:\\\"".unicodeScalars)

    /// Parses `address` or `Name <address>`, rejecting anything that could break a header.
    init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            displayName = name.isEmpty ? nil : name
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            displayName = nil
            address = trimmed
        }
        let nameIsClean = !(displayName ?? "").unicodeScalars.contains(where: \.isControl)
        guard nameIsClean, Self.isPlausible(address) else { throw EmailDeliveryError("invalid email address") }
    }

    /// The domain part of the address.
    var domain: String {
        String(address[address.index(after: address.lastIndex(of: "@")!)...])
    }

    /// The mailbox as a header value, quoting or RFC 2047-encoding the display name.
    var headerValue: String {
        guard let displayName else { return address }
        if displayName.unicodeScalars.allSatisfy(\.isPrintableASCII) {
            let escaped = displayName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address)>"
        }
        return "\(EncodedWord.encode(displayName).joined(separator: " ")) <\(address)>"
    }

    private static func isPlausible(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !address.unicodeScalars.contains { $0.isControl || $0 == " " || forbiddenInAddress.contains($0) }
    }
}
