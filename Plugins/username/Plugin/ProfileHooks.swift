import GatehouseJSON
import OrderedCollections
import PluginKit

/// The before-hooks on the routes that write users' profile fields: the core's `/sign-up/email`
/// and `/update-user` (the fields are body members) and the admin plugin's `/admin/create-user`
/// and `/admin/update-user` (members of `data`), where Better Auth's database hooks apply the
/// same rules. They refuse a username that breaks a rule or that someone else holds (400), and
/// hand the route its fields with the username normalized and, for a new user, the display
/// username defaulted to the username as given. A refused request reaches no route, so nothing
/// is written.
struct ProfileHooks: Sendable {
    typealias Fields = OrderedDictionary<String, JSONValue>

    let host: PluginHost
    let rules: UsernameRules

    private var settings: UsernameSettings { rules.settings }

    func signUp(_ call: PluginCall) throws -> PluginAnswer {
        guard var body = call.body.objectValue else { return .proceed }
        // Better Auth's sign-up takes a display username that would make a valid username as the username.
        if body["username"] == nil, let display = body["displayUsername"]?.stringValue, rules.violation(of: display) == nil {
            body["username"] = .string(display)
        }
        return .proceed.patchBody(.object(try newUser(body)))
    }

    func updateUser(_ call: PluginCall) throws -> PluginAnswer {
        guard let body = call.body.objectValue else { return .proceed }
        guard body["username"] != nil else { return .proceed.patchBody(.object(try changes(body, of: nil))) }
        // Without a session the core answers 401: nothing to check, nothing to reveal.
        guard let user = try host.session(of: call)?["user"] else { return .proceed }
        return .proceed.patchBody(.object(try changes(body, of: user, immutable: settings.immutableUsername)))
    }

    func adminCreateUser(_ call: PluginCall) throws -> PluginAnswer {
        guard try host.session(of: call) != nil, var body = call.body.objectValue, let data = body["data"]?.objectValue else { return .proceed }
        body["data"] = .object(try newUser(data))
        return .proceed.patchBody(.object(body))
    }

    /// An administrator may change anyone's username, immutable or not (Better Auth checks
    /// `immutableUsername` on update-user only).
    func adminUpdateUser(_ call: PluginCall) throws -> PluginAnswer {
        guard try host.session(of: call) != nil, var body = call.body.objectValue, let data = body["data"]?.objectValue,
              let userID = body["userId"]?.stringValue
        else {
            return .proceed
        }
        body["data"] = .object(try changes(data, of: ["id": .string(userID)]))
        return .proceed.patchBody(.object(body))
    }

    /// A new user's fields: the username checked, free and normalized; the display username
    /// checked, or else the username as given.
    private func newUser(_ fields: Fields) throws -> Fields {
        var fields = fields
        let username = fields["username"]?.stringValue
        if let username {
            let normalized = try checked(username)
            if try rules.holder(of: normalized) != nil { throw UsernameError.USERNAME_IS_ALREADY_TAKEN.failure }
            fields["username"] = .string(normalized)
        }
        try checkDisplayUsername(in: fields)
        if settings.keepsDisplayUsername, let username, Self.isBlank(fields["displayUsername"]) {
            fields["displayUsername"] = .string(username)
        }
        return withoutDroppedFields(fields)
    }

    /// Changes to `user`'s fields: a new username checked, normalized and held by no one else
    /// (or by `user` already); with `immutable`, a username once set stays.
    private func changes(_ fields: Fields, of user: JSONValue?, immutable: Bool = false) throws -> Fields {
        var fields = fields
        if let requested = fields["username"] {
            let current = user?["username"]?.stringValue ?? ""
            if let username = requested.stringValue {
                let normalized = try checked(username)
                if immutable, !current.isEmpty, current != normalized { throw UsernameError.USERNAME_IS_IMMUTABLE.failure }
                if let holder = try rules.holder(of: normalized), holder["id"] != user?["id"] {
                    throw UsernameError.USERNAME_IS_ALREADY_TAKEN.failure
                }
                fields["username"] = .string(normalized)
            } else if requested.isNull, immutable, !current.isEmpty {
                throw UsernameError.USERNAME_IS_IMMUTABLE.failure
            }
        }
        try checkDisplayUsername(in: fields)
        return withoutDroppedFields(fields)
    }

    /// The normalized form of a username that keeps every rule, else 400 with the broken rule.
    private func checked(_ username: String) throws -> String {
        if let violation = rules.violation(of: username) { throw violation.failure }
        return rules.normalized(username)
    }

    private func checkDisplayUsername(in fields: Fields) throws {
        guard settings.keepsDisplayUsername, let display = fields["displayUsername"]?.stringValue else { return }
        if !rules.acceptsDisplayUsername(display) { throw UsernameError.INVALID_DISPLAY_USERNAME.failure }
    }

    /// With `displayUsername: false` the field is never written, as if it were not declared.
    private func withoutDroppedFields(_ fields: Fields) -> Fields {
        guard !settings.keepsDisplayUsername else { return fields }
        var fields = fields
        fields.removeValue(forKey: "displayUsername")
        return fields
    }

    /// JavaScript's falsy for a body member: absent, null or the empty string.
    private static func isBlank(_ value: JSONValue?) -> Bool {
        guard let value, !value.isNull else { return true }
        return value.stringValue == ""
    }
}
