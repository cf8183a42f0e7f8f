import OrderedCollections
import GatehouseJSON
import PluginKit
import SCIMProtocol

/// `/Users`: SCIM users are Gatehouse users (`id` = `user.id`), with their SCIM document in
/// `scimUser`. The Gatehouse e-mail and name follow the document on every write; `active: false`
/// ends the user's sessions and holds their sign-in until `active: true`.
struct UserProvisioning: ResourceCollection {
    static let table = "scimUser"
    let host: PluginHost
    let db: PluginDatabase
    let site: ResourceLocation
    let organizations: OrganizationAccess
    var type: SCIMResourceType { .user }

    func all(in connection: SCIMConnection) throws -> [JSONValue] {
        try db.findMany(Self.table, [connection.scope], orderBy: "createdAt").inCreationOrder.map(output)
    }

    func document(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        .stored(try row(id, in: connection)["document"])
    }

    func output(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        output(try row(id, in: connection))
    }

    func create(_ document: JSONValue, in connection: SCIMConnection) throws -> JSONValue {
        let profile = try UserProfile(document)
        try requireFreeUserName(profile.userNameKey, in: connection, except: nil)
        let email = profile.email ?? UserProfile.placeholderEmail(host)
        try requireFreeEmail(email, except: nil)
        let created: JSONValue
        do {
            created = try host.call("users.create", ["data": ["email": .string(email), "name": .string(profile.name), "emailVerified": false]])
        } catch {
            try requireFreeEmail(email, except: nil)  // a concurrent request took the address: 409
            throw error
        }
        guard let userID = created["user"]?["id"]?.stringValue else { throw SCIMError(status: 500, scimType: nil, detail: "The user was not created") }
        do {
            _ = try db.create(Self.table, [
                "connectionId": .string(connection.id), "userId": .string(userID), "userNameKey": .string(profile.userNameKey),
                "active": .bool(profile.active), "document": .string(document.serialized()),
            ])
            if let organizationID = connection.organizationID { try organizations.addMember(userID, to: organizationID) }
            try reconcileHold(userID, active: profile.active)
        } catch {
            // Nothing of a refused creation stays: the user row takes its scimUser row and membership with it.
            _ = try? host.call("users.delete", ["id": .string(userID)])
            try requireFreeUserName(profile.userNameKey, in: connection, except: nil)  // a concurrent request took it: 409
            throw error
        }
        return try output(userID, in: connection)
    }

    func replace(_ id: String, with document: JSONValue, previous: JSONValue?, in connection: SCIMConnection) throws -> JSONValue {
        let current = try row(id, in: connection)
        let profile = try UserProfile(document)
        try requireFreeUserName(profile.userNameKey, in: connection, except: id)
        guard let user = try host.call("users.find", ["id": .string(id)])["user"]?.nonNull else {
            throw SCIMError(status: 404, scimType: nil, detail: "User \(id) not found")
        }
        let currentEmail = user["email"]?.stringValue ?? ""
        var changes: OrderedDictionary<String, JSONValue> = [:]
        // An address-less user keeps the placeholder address it has.
        let email = profile.email ?? (UserProfile.isPlaceholder(currentEmail) ? currentEmail : UserProfile.placeholderEmail(host))
        if email != currentEmail {
            try requireFreeEmail(email, except: id)
            // The new address is not proven, and sessions opened under the old one end.
            changes["email"] = .string(email)
            changes["emailVerified"] = false
        }
        if profile.name != user["name"]?.stringValue { changes["name"] = .string(profile.name) }
        if !changes.isEmpty { _ = try host.call("users.update", ["id": .string(id), "data": .object(changes)]) }
        if changes["email"] != nil { _ = try host.call("sessions.delete", ["userId": .string(id)]) }
        _ = try db.update(Self.table, [PluginDatabase.equals("id", current["id"] ?? .null)], [
            "userNameKey": .string(profile.userNameKey), "active": .bool(profile.active), "document": .string(document.serialized()),
        ])
        try reconcileHold(id, active: profile.active)
        return try output(id, in: connection)
    }

    func delete(_ id: String, in connection: SCIMConnection) throws {
        _ = try row(id, in: connection)
        if let organizationID = connection.organizationID { organizations.removeMember(id, from: organizationID) }
        _ = try host.call("users.delete", ["id": .string(id)])
    }

    /// Whether `userID` is a user of this connection (group members must be).
    func provisioned(_ userID: String, in connection: SCIMConnection) throws -> Bool {
        try db.findOne(Self.table, [connection.scope,
                                    PluginDatabase.equals("userId", .string(userID))]) != nil
    }

    /// An inactive user's sessions end and no sign-in of any kind makes a new one; an active user's
    /// hold is released. Set on every write, whatever the row said before, so two concurrent
    /// writes cannot leave the hold and `active` apart for good.
    private func reconcileHold(_ userID: String, active: Bool) throws {
        if active {
            _ = try host.call("users.unblockSignIn", ["userId": .string(userID)])
        } else {
            _ = try host.call("users.blockSignIn", ["userId": .string(userID), "code": "USER_DEACTIVATED",
                                                    "message": "This account has been deactivated", "status": 403])
        }
    }

    private func output(_ row: JSONValue) -> JSONValue {
        site.resource(.user, id: row["userId"]?.stringValue ?? "", document: .stored(row["document"]), row: row)
    }

    private func row(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        guard let row = try db.findOne(Self.table, [connection.scope,
                                                    PluginDatabase.equals("userId", .string(id))]) else {
            throw SCIMError(status: 404, scimType: nil, detail: "User \(id) not found")
        }
        return row
    }

    private func requireFreeUserName(_ key: String, in connection: SCIMConnection, except id: String?) throws {
        let holder = try db.findOne(Self.table, [connection.scope,
                                                 PluginDatabase.equals("userNameKey", .string(key))])
        if let holder, holder["userId"]?.stringValue != id {
            throw SCIMError(status: 409, scimType: "uniqueness", detail: "userName is already taken in this connection")
        }
    }

    /// An address of another Gatehouse user is never taken over or linked.
    private func requireFreeEmail(_ email: String, except id: String?) throws {
        let holder = try host.call("users.find", ["email": .string(email)])["user"]?.nonNull
        if let holder, holder["id"]?.stringValue != id {
            throw SCIMError(status: 409, scimType: "uniqueness", detail: "The e-mail address is already in use")
        }
    }
}

/// What a SCIM user document means for the Gatehouse user.
struct UserProfile {
    static let placeholderDomain = "scim.invalid"
    let userNameKey: String
    /// The primary address, else the first, else userName when it is an address; lower-cased.
    let email: String?
    /// displayName, else name.formatted, else given and family name, else userName.
    let name: String
    /// Unassigned means active.
    let active: Bool

    init(_ document: JSONValue) throws {
        let userName = document["userName"]?.stringValue ?? ""
        userNameKey = userName.lowercased()
        let emails = document["emails"]?.arrayValue ?? []
        let chosen = emails.first { $0["primary"]?.boolValue == true } ?? emails.first
        if let address = chosen?["value"]?.stringValue {
            guard Self.isAddress(address) else { throw SCIMError(scimType: "invalidValue", detail: "emails.value must be an e-mail address") }
            email = address.lowercased()
        } else {
            email = Self.isAddress(userName) ? userName.lowercased() : nil
        }
        let formatted = document["name"]?["formatted"]?.stringValue
        let parts = [document["name"]?["givenName"]?.stringValue, document["name"]?["familyName"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }
        name = [document["displayName"]?.stringValue, formatted, parts.isEmpty ? nil : parts.joined(separator: " ")]
            .compactMap { $0 }.first { !$0.isEmpty } ?? userName
        active = document["active"]?.boolValue ?? true
    }

    /// A unique, undeliverable address for a user without one (RFC 2606 reserves `.invalid`).
    static func placeholderEmail(_ host: PluginHost) -> String {
        "scim-" + host.randomText(20, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789") + "@" + placeholderDomain
    }

    static func isPlaceholder(_ email: String) -> Bool { email.hasSuffix("@" + placeholderDomain) }

    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !text.contains(where: { $0.isWhitespace || $0.isNewline })
    }
}
