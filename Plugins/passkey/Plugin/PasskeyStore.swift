import Foundation
import GatehouseJSON
import PluginKit

/// A row of the `passkey` table (Better Auth's columns plus `attestationTrust`).
struct StoredPasskey: Sendable {
    let id: String
    let userID: String
    let credentialID: String
    let publicKey: String
    let counter: Int
    let row: JSONValue

    init?(_ row: JSONValue?) {
        guard let row, let id = row["id"]?.stringValue, let userID = row["userId"]?.stringValue,
              let credentialID = row["credentialID"]?.stringValue, let publicKey = row["publicKey"]?.stringValue else { return nil }
        (self.id, self.userID, self.credentialID, self.publicKey) = (id, userID, credentialID, publicKey)
        counter = row["counter"]?.intValue ?? 0
        self.row = row
    }
}

struct PasskeyStore: Sendable {
    static let table = "passkey"
    let db: PluginDatabase

    func find(credentialID: String) throws -> StoredPasskey? {
        StoredPasskey(try db.findOne(Self.table, [PluginDatabase.equals("credentialID", .string(credentialID))]))
    }

    func list(userID: String) throws -> [StoredPasskey] {
        try db.findMany(Self.table, [PluginDatabase.equals("userId", .string(userID))]).compactMap(StoredPasskey.init)
    }

    func create(_ credential: NewCredential, userID: String, name: String?) throws -> JSONValue {
        try db.create(Self.table, [
            "name": name.map(JSONValue.string) ?? .null,
            // Better Auth stores the COSE key as standard base64.
            "publicKey": .string(Data(credential.publicKey).base64EncodedString()),
            "userId": .string(userID), "credentialID": .string(credential.credentialID), "counter": .int(Int(credential.signCount)),
            "deviceType": .string(credential.backupEligible ? "multiDevice" : "singleDevice"), "backedUp": .bool(credential.backedUp),
            "transports": credential.transports.isEmpty ? .null : .string(credential.transports.joined(separator: ",")),
            "aaguid": .string(Self.uuid(credential.aaguid)), "attestationTrust": .string(credential.attestationTrust),
        ])
    }

    /// Stores the new sign count if the stored one is still `passkey.counter`; false when a
    /// concurrent sign-in moved it first.
    func advance(_ passkey: StoredPasskey, to counter: UInt32, backedUp: Bool) throws -> Bool {
        try db.update(Self.table, [PluginDatabase.equals("id", .string(passkey.id)), PluginDatabase.equals("counter", .int(passkey.counter))],
                      ["counter": .int(Int(counter)), "backedUp": .bool(backedUp)]) == 1
    }

    /// The 16 AAGUID bytes as a UUID string, as @simplewebauthn reports them.
    static func uuid(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [8, 4, 4, 4, 12].reduce(into: (parts: [String](), rest: Substring(hex))) { acc, length in
            acc.parts.append(String(acc.rest.prefix(length)))
            acc.rest = acc.rest.dropFirst(length)
        }
        return parts.parts.joined(separator: "-")
    }
}
