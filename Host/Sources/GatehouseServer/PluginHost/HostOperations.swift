import Foundation
import GatehouseCrypto
import GatehouseHostABI
import GatehouseJSON
import GatehousePluginABI
import GatehouseStorage
import HTTPTypes

/// The operations behind `gh_host_api.call`: JSON in, JSON out (catalogue in docs/plugin-abi.md).
enum HostOperations {
    struct Failure: Error {
        let status: gh_status
        let code: String
        let message: String
        /// More members for the error JSON (e.g. `location` for a failed OAuth callback).
        var extra: [(String, JSONValue)] = []
    }

    static func call(_ host: PluginHostContext, _ operation: String, _ request: [UInt8],
                     _ out: UnsafeMutablePointer<gh_buf>?, _ outError: UnsafeMutablePointer<gh_buf>?) -> gh_status {
        do {
            guard let auth = host.auth else { throw Failure(status: GH_ERROR, code: "NOT_READY", message: "the host is not ready") }
            let input: JSONValue
            do { input = request.isEmpty ? .object([:]) : try JSONValue.parse(request) } catch {
                throw Failure(status: GH_INVALID, code: "INVALID_JSON", message: "request is not valid JSON: \(error)")
            }
            // A service's provider, and the subscribers of an awaited event, run on this worker
            // thread itself (PluginServices).
            let answer = if operation == PluginServices.operation {
                try auth.services.call(input, from: host)
            } else if operation == "events.emit", input["await"]?.boolValue == true, host.abiMinor >= 5 {
                try emitNow(input, host: host, auth: auth).serializedBytes()
            } else if operation == "users.proveEmail" {
                try proveEmail(input, host: host, auth: auth).serializedBytes()
            } else {
                try host.wait { try await run(operation, input, host: host, auth: auth) }.serializedBytes()
            }
            ABIBuffers.fill(out, answer)
            return GH_OK
        } catch let refused as BlockingCallRefused {
            let error: JSONValue = ["code": "BLOCKING_CALL_REFUSED", "message": .string(refused.description)]
            ABIBuffers.fill(outError, error.serializedBytes())
            return GH_DENIED
        } catch is DatabaseRejectedValue {
            // The request's value is at fault, not the plugin: `status` makes a plugin that passes
            // the failure on answer 400 as the core routes do (PluginKit's default is 500).
            let refusal = CoreErrors.valueCannotBeStored
            let error: JSONValue = ["code": .string(refusal.code), "message": .string(refusal.message), "status": .int(Int(refusal.status.code))]
            ABIBuffers.fill(outError, error.serializedBytes())
            return GH_INVALID
        } catch let duplicate as DatabaseUniqueViolation where host.abiMinor >= 6 {
            let error: JSONValue = ["code": "UNIQUE_VIOLATION", "message": .string(duplicate.description)]
            ABIBuffers.fill(outError, error.serializedBytes())
            return GH_INVALID
        } catch is DatabaseUnavailable {
            let error: JSONValue = ["code": "DATABASE_UNAVAILABLE", "message": "The database is unavailable; try again shortly"]
            ABIBuffers.fill(outError, error.serializedBytes())
            return GH_ERROR
        } catch let refused as APIError {
            // A refusal the operation shares with the core routes (a sign-in hold, say); since
            // 1.10 with the status the core answers it with, so a plugin passes it on as such.
            var members: [(String, JSONValue)] = [("code", .string(refused.code)), ("message", .string(refused.message))]
            if host.abiMinor >= 10 { members.append(("status", .int(Int(refused.status.code)))) }
            let error = JSONValue.object(.init(uniqueKeysWithValues: members))
            ABIBuffers.fill(outError, error.serializedBytes())
            return GH_DENIED
        } catch let failure as Failure {
            let error = JSONValue.object(.init(uniqueKeysWithValues: [("code", .string(failure.code)), ("message", .string(failure.message))] + failure.extra))
            ABIBuffers.fill(outError, error.serializedBytes())
            return failure.status
        } catch {
            let answer: JSONValue = ["code": "HOST_ERROR", "message": .string("\(error)")]
            ABIBuffers.fill(outError, answer.serializedBytes())
            return GH_ERROR
        }
    }

    /// `users.proveEmail` (1.5 host), Better Auth's revokeUnprovenAccountAccess: a magic link or
    /// code just proved the address. When it revoked, the plugins that hold credentials of the user
    /// (passkeys, second factors) drop them through the awaited host event
    /// `user.unprovenAccessRevoked`, on this worker thread, before the caller signs anyone in.
    private static func proveEmail(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) throws -> JSONValue {
        let id = try required(input, "userId")
        let proof = try host.wait { try await auth.store.transaction(in: auth.database) { store in try await store.proveEmail(userID: id) } }
        guard let proof else { throw Failure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(id)") }
        let user = auth.output("user", proof.user)
        if proof.revoked {
            let (_, failed) = try auth.events.publishNow(HostEvents.Name.unprovenAccessRevoked.rawValue, payload: ["user": user],
                                                          source: HostEvents.source)
            if failed > 0 { host.logger.error("a plugin did not revoke its credentials of an unproven user", metadata: ["failed": "\(failed)"]) }
        }
        return ["user": user, "revoked": .bool(proof.revoked)]
    }

    /// `events.emit {…, await: true}` (1.5 host): every subscriber has handled the event when it answers.
    private static func emitNow(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) throws -> JSONValue {
        let name = try required(input, "name")
        // Subscriptions are registered once every plugin of the generation has started, as services are.
        guard auth.services.plugin(host.pluginID) != nil else {
            throw Failure(status: GH_ERROR, code: "NOT_READY", message: "awaited events can be emitted once every plugin of the generation has started, not from init")
        }
        let (subscribers, failed) = try auth.events.publishNow(name, payload: input["payload"] ?? .null, source: host.pluginID)
        host.logger.info("plugin event", metadata: ["event": "\(name)", "subscribers": "\(subscribers)", "failed": "\(failed)", "awaited": "true"])
        return ["status": true, "subscribers": .int(subscribers), "failed": .int(failed)]
    }

    /// The core's rules for a new password (length, common and breached passwords), refusals as
    /// `GH_INVALID` with the client's status, so a plugin that passes the error on answers 400.
    private static func checkNewPassword(_ password: String, _ auth: AuthContext) async throws {
        do { try await auth.checkNewPassword(password) } catch let refusal as APIError {
            throw Failure(status: GH_INVALID, code: refusal.code, message: refusal.message, extra: [("status", .int(Int(refusal.status.code)))])
        }
    }

    private static func run(_ operation: String, _ input: JSONValue, host: PluginHostContext, auth: AuthContext) async throws -> JSONValue {
        let store = auth.store
        switch operation {
        case "users.find":
            let user = if let id = input["id"]?.stringValue { try await store.user(id: id) }
                else if let email = input["email"]?.stringValue { try await store.user(email: email) } else { Record?.none }
            return ["user": user.map { auth.output("user", $0) } ?? .null]
        case "users.create":
            return ["user": auth.output("user", try await store.createUser(try record("user", input["data"], auth)))]
        case "users.update":
            let id = try required(input, "id")
            let changes = try record("user", input["data"], auth)
            // A plugin that verifies an address (an emailed code) announces it as the core does,
            // once: the conditional update lets one of several concurrent callers win.
            let verifies = changes.bool("emailVerified") == true
                ? try await !store.adapter.update("user", where: [Condition("id", .eq, .string(id)), Condition("emailVerified", .eq, .bool(false))],
                                                  set: ["emailVerified": .bool(true)]).isEmpty
                : false
            let user = try await store.updateUser(id: id, changes)
            if verifies, let user { store.events.emit(.emailVerified, user: user) }
            return ["user": user.map { auth.output("user", $0) } ?? .null]
        case "users.delete":
            // Sessions and accounts with it; the database cascades to rows that reference the user.
            let id = try required(input, "id")
            guard try await store.user(id: id) != nil else { return ["deleted": false] }
            try await store.deleteUser(id: id)
            return ["deleted": true]
        case "users.blockSignIn":
            let id = try required(input, "userId")
            guard try await store.user(id: id) != nil else { throw Failure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(id)") }
            let status = input["status"]?.intValue ?? 403
            guard (400...499).contains(status) else { throw Failure(status: GH_INVALID, code: "INVALID_STATUS", message: "\"status\" must be a 4xx code") }
            var until: Date?
            if let text = input["expiresAt"]?.nonNull {
                guard let date = text.stringValue.flatMap(ISOTimestamp.parse) else {
                    throw Failure(status: GH_INVALID, code: "INVALID_DATE", message: "\"expiresAt\" must be an ISO 8601 date")
                }
                until = date
            }
            let refusal = APIError(HTTPResponse.Status(code: status), try required(input, "code"), try required(input, "message"))
            try await store.blockSignIn(userID: id, plugin: host.pluginID, refusal: refusal, until: until)
            return ["blocked": true]
        case "users.resetPassword":
            // The core's reset after its token check: the plugin has checked its own proof.
            let id = try required(input, "userId")
            let password = try required(input, "password")
            try await checkNewPassword(password, auth)
            // A user no mail reaches (an anonymous one) has no address to prove: it never gets a password.
            guard let user = try await store.user(id: id), !auth.refusesEmail(user) else {
                throw Failure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(id) that can have a password")
            }
            return ["status": true, "sessionsRevoked": .bool(try await auth.resetPassword(of: user, to: password))]
        case "passwords.check":
            // The rules users.resetPassword applies, setting nothing: a plugin refuses a password
            // with them before it uses up its own proof (an emailed code).
            try await checkNewPassword(try required(input, "password"), auth)
            return ["status": true]
        case "users.unblockSignIn":
            return ["released": .bool(try await store.unblockSignIn(userID: try required(input, "userId"), plugin: host.pluginID))]
        case "sessions.create":
            // A session row only; to sign a user in with cookies, answer with "signIn" instead.
            let userID = try required(input, "userId")
            guard let user = try await store.user(id: userID) else { throw Failure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(userID)") }
            let lifetime = input["expiresIn"]?.intValue ?? auth.config.session.expiresIn
            // `data` (1.6 host): fields plugins added to session, set in the same insert.
            let extra = try record("session", input["data"], auth)
            if let core = extra.fields.keys.first(where: { name in Self.coreSessionFields.contains(name) }) {
                throw Failure(status: GH_INVALID, code: "VALIDATION_ERROR", message: "sessions.create sets \"\(core)\" itself; data holds plugin fields")
            }
            let row = try await store.createSession(for: user, token: RandomIdentifier.generate(),
                                                    expiresAt: Date().addingTimeInterval(TimeInterval(lifetime)),
                                                    ipAddress: input["ipAddress"]?.stringValue, userAgent: input["userAgent"]?.stringValue,
                                                    extra: extra)
            // 1.10: a sign-in the plugin checked itself (a console's password and second factor)
            // is announced as the core's sign-ins are.
            if input["signIn"]?.boolValue == true { store.events.signInSucceeded(userID: user.id, sessionID: row.id) }
            return ["session": auth.output("session", row)]
        case "sessions.find":
            let session = try await store.session(token: try required(input, "token"))
            return ["session": session.map(auth.output) ?? .null]
        case "sessions.delete":
            // One session by token, or (1.4 host) every session of a user.
            if input["token"] == nil, let userID = input["userId"]?.stringValue, !userID.isEmpty {
                try await store.deleteSessions(userID: userID)
            } else {
                try await store.deleteSession(token: try required(input, "token"))
            }
            return ["status": true]
        case "accounts.find":
            var conditions: [Condition] = []
            for key in ["userId", "providerId", "accountId", "issuer", "id"] {
                if let value = input[key]?.stringValue { conditions.append(Condition(key, .eq, .string(value))) }
            }
            guard !conditions.isEmpty else { throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "give at least one of userId, providerId, accountId, issuer, id") }
            return ["accounts": .array(try await store.adapter.findMany("account", where: conditions).map { auth.output("account", $0) })]
        case "accounts.create":
            return ["account": auth.output("account", try await store.createAccount(try record("account", input["data"], auth)))]
        case "verifications.create":
            // Since 1.5 fractions are allowed (one-time tokens live 0.05 minutes = 3 s when so
            // configured) and a lifetime that is not a positive number is refused; older plugins
            // keep whole seconds, anything else meaning the default, as before.
            var seconds = Double(input["expiresIn"]?.intValue ?? 600)
            if host.abiMinor >= 5, let given = input["expiresIn"] {
                guard let number = given.doubleValue, number > 0, number.isFinite else {
                    throw Failure(status: GH_INVALID, code: "VALIDATION_ERROR", message: "\"expiresIn\" must be a positive number of seconds")
                }
                seconds = number
            }
            try await store.createVerification(identifier: try required(input, "identifier"), value: try required(input, "value"),
                                               expiresAt: Date().addingTimeInterval(seconds))
            return ["status": true]
        case "verifications.find":
            let row = try await store.verification(identifier: try required(input, "identifier"))
            return ["value": row?.string("value").map(JSONValue.string) ?? .null]
        case "verifications.consume":
            let value = try await store.consumeVerification(identifier: try required(input, "identifier"))
            return ["value": value.map(JSONValue.string) ?? .null]
        case "email.send":
            guard auth.canSendEmail else { throw Failure(status: GH_UNSUPPORTED, code: "EMAIL_NOT_CONFIGURED", message: "no email transport is configured") }
            var context: [String: String] = ["appName": auth.config.appName]
            for (key, value) in input["context"]?.objectValue ?? [:] { context[key] = value.stringValue ?? value.serialized() }
            let sent = try await auth.deliverEmail(kind: try required(input, "kind"), to: try required(input, "to"), url: input["url"]?.stringValue,
                                                   token: input["token"]?.stringValue, context: context)
            // 1.5: whether the host held it back (a suppressed recipient), so a plugin can drop
            // the code or link it stored for that mail.
            return host.abiMinor >= 5 ? ["status": true, "suppressed": .bool(!sent)] : ["status": true]
        case "email.sendVerification":
            // 1.6: the core's verification email, for plugins that sign users in with a password
            // under `requireEmailVerification` (Better Auth's `sendOnSignIn`).
            guard auth.canSendEmail else { throw Failure(status: GH_UNSUPPORTED, code: "EMAIL_NOT_CONFIGURED", message: "no email transport is configured") }
            guard let user = try await store.user(id: try required(input, "userId")), let address = user.string("email") else {
                throw Failure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no such user")
            }
            try await auth.sendVerificationEmail(to: address, user: user, callbackURL: input["callbackURL"]?.stringValue)
            return ["status": true]
        case "events.emit":
            let name = try required(input, "name")
            let subscribers = auth.events.publish(name, payload: input["payload"] ?? .null, source: host.pluginID)
            host.logger.info("plugin event", metadata: ["event": "\(name)", "subscribers": "\(subscribers)"])
            return ["status": true, "subscribers": .int(subscribers)]
        case JobScheduleOperation.name:
            return try await JobScheduleOperation.run(input, host: host, auth: auth)
        case PasswordSignInOperation.name:
            return try await PasswordSignInOperation.run(input, host: host, auth: auth)
        case HTTPDispatchOperation.name:
            return try HTTPDispatchOperation.run(input, host: host, auth: auth)
        case _ where PluginDirectoryOperations.names.contains(operation):
            return try PluginDirectoryOperations.run(operation, input, host: host, auth: auth)
        case "http.fetch":
            do {
                return try await OutboundHTTP.fetch(input)
            } catch let failure as OutboundHTTP.Failure {
                throw Failure(status: GH_INVALID, code: "INVALID_REQUEST", message: failure.description)
            } catch {
                throw Failure(status: GH_ERROR, code: "FETCH_FAILED", message: "\(error)")
            }
        case "origins.check":
            // Whether a URL's origin is one of `trustedOrigins` (wildcards included), so a plugin
            // never re-implements the matching.
            let origin = TrustedOrigins.origin(of: try required(input, "url"))
            return ["trusted": .bool(origin.map { auth.trustedOrigins.isTrusted(origin: $0) } ?? false)]
        case "host.info":
            let passwords = auth.config.emailAndPassword
            return ["baseURL": .string(auth.config.baseURL), "basePath": .string(auth.config.basePath), "appName": .string(auth.config.appName),
                    "email": .bool(auth.canSendEmail),
                    // 1.5: what a plugin that takes passwords or verifies addresses must honour.
                    "emailAndPassword": ["minPasswordLength": .int(passwords.minPasswordLength), "maxPasswordLength": .int(passwords.maxPasswordLength),
                                         "revokeSessionsOnPasswordReset": .bool(passwords.revokeSessionsOnPasswordReset),
                                         // 1.6
                                         "requireEmailVerification": .bool(passwords.requireEmailVerification)],
                    "emailVerification": ["autoSignInAfterVerification": .bool(auth.config.emailVerification.autoSignInAfterVerification),
                                          "sendOnSignIn": .bool(auth.config.emailVerification.sendOnSignIn)]]
        case "keys.generate":
            let alg = input["alg"]?.stringValue ?? "EdDSA"
            do {
                let (publicJWK, privateJWK) = try JOSEKeys.generate(alg)
                return ["publicJwk": publicJWK, "privateJwk": privateJWK]
            } catch {
                throw Failure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_ALGORITHM", message: "\(error)")
            }
        case "jwt.sign":
            guard let alg = input["alg"]?.stringValue, let key = input["privateJwk"], let payload = input["payload"] else {
                throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "alg, privateJwk and payload are required")
            }
            var header: JSONValue = ["alg": .string(alg), "typ": "JWT"]
            if let kid = input["kid"]?.stringValue { header = ["alg": .string(alg), "kid": .string(kid), "typ": "JWT"] }
            do {
                return ["token": .string(try JOSEKeys.sign(alg: alg, privateJWK: key, header: header, payload: payload))]
            } catch {
                throw Failure(status: GH_INVALID, code: "SIGNING_FAILED", message: "\(error)")
            }
        case "signature.verify":
            guard let alg = input["alg"]?.stringValue, let key = input["jwk"],
                let data = input["data"]?.stringValue.flatMap(Base64.decode), let signature = input["signature"]?.stringValue.flatMap(Base64.decode)
            else { throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "alg, jwk, data and signature (base64url) are required") }
            do {
                return ["valid": .bool(try JOSEKeys.verify(alg: alg, publicJWK: key, data: data, signature: signature,
                                                           der: input["signatureFormat"]?.stringValue == "der"))]
            } catch {
                throw Failure(status: GH_INVALID, code: "INVALID_KEY", message: "\(error)")
            }
        case "x509.parse", "x509.verifyChain":
            return try await X509Operations.run(operation, input)
        case "oauth.start", "oauth.finish", "oauth.verifyIdToken", "oauth.signIn", "oauth.providers":
            return try await OAuthOperations.run(operation, input, auth: auth)
        case "db.create", "db.findOne", "db.findMany", "db.update", "db.delete", "db.count":
            return try await PluginDatabaseAccess(host: host, auth: auth).run(operation, input, adapter: store.adapter)
        case "db.transaction":
            let operations = input["operations"]?.arrayValue ?? []
            let access = PluginDatabaseAccess(host: host, auth: auth)
            // Host events of its writes (a user made) are published after the commit.
            let results = try await HostEvents.holding {
                try await auth.database.transaction { tx in
                    var results: [JSONValue] = []
                    for op in operations {
                        results.append(try await access.run(op["op"]?.stringValue ?? "", op, adapter: store.adapter.using(tx)))
                    }
                    return results
                }
            }
            store.sessionCache.invalidateAll()
            return ["results": .array(results)]
        default:
            throw Failure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION", message: "unknown host operation \"\(operation)\"")
        }
    }

    /// The session columns the host sets itself: `id` and the core table's.
    static let coreSessionFields = Set(["id"]).union(
        CoreSchema.tables(includeRateLimit: false, socialProviders: []).tables.first { $0.name == "session" }?.fields.keys ?? [])

    static func required(_ input: JSONValue, _ key: String) throws -> String {
        guard let value = input[key]?.stringValue, !value.isEmpty else {
            throw Failure(status: GH_INVALID, code: "MISSING_FIELD", message: "\"\(key)\" is required")
        }
        return value
    }

    /// A JSON object converted field by field with the table's schema types.
    static func record(_ table: String, _ data: JSONValue?, _ auth: AuthContext) throws -> Record {
        guard let fields = auth.schema.table(table)?.fields else { throw Failure(status: GH_INVALID, code: "UNKNOWN_TABLE", message: table) }
        var record = Record()
        for (key, value) in data?.objectValue ?? [:] {
            guard let field = fields[key] else {
                throw Failure(status: GH_INVALID, code: "UNKNOWN_FIELD", message: "\(table) has no field \"\(key)\"")
            }
            do { record[key] = try AuthContext.dbValue(value, for: field, key: key) } catch let error as APIError {
                throw Failure(status: GH_INVALID, code: error.code, message: error.message)
            }
        }
        return record
    }
}

/// Database access for plugins: the adapter's parameterised operations on the core tables
/// and the tables the plugin itself declares, nothing else.
struct PluginDatabaseAccess: Sendable {
    static let coreTables: Set<String> = ["user", "session", "account", "verification"]

    let host: PluginHostContext
    let auth: AuthContext

    func run(_ operation: String, _ input: JSONValue, adapter: Adapter) async throws -> JSONValue {
        let table = try HostOperations.required(input, "table")
        guard Self.coreTables.contains(table) || (auth.schema.table(table) != nil && owned(table)) else {
            throw HostOperations.Failure(status: GH_DENIED, code: "TABLE_NOT_ALLOWED", message: "plugin \(host.pluginID) may not use table \"\(table)\"")
        }
        let conditions = try self.conditions(input["where"], table: table)
        if ["db.update", "db.delete"].contains(operation), conditions.isEmpty {
            throw HostOperations.Failure(status: GH_INVALID, code: "WHERE_REQUIRED", message: "\(operation) needs a non-empty \"where\"")
        }
        let rows: (([Record]) -> JSONValue) = { .array($0.map { raw($0) }) }
        switch operation {
        case "db.create":
            let row = try await adapter.create(table, try HostOperations.record(table, input["data"], auth))
            // A user made directly is announced like any other (in db.transaction, after its commit).
            if table == "user" { auth.store.events.emit(.userCreated, user: row) }
            return ["row": raw(row)]
        case "db.findOne": return ["row": try await adapter.findOne(table, where: conditions).map(raw) ?? .null]
        case "db.findMany":
            let order = input["orderBy"]?["field"]?.stringValue.map { SortOrder($0, descending: input["orderBy"]?["direction"]?.stringValue == "desc") }
            return ["rows": rows(try await adapter.findMany(table, where: conditions, orderBy: order, limit: input["limit"]?.intValue,
                                                             offset: input["offset"]?.intValue))]
        case "db.update":
            defer { invalidateSessions(table) }
            return ["rows": rows(try await adapter.update(table, where: conditions, set: try HostOperations.record(table, input["data"], auth)))]
        case "db.delete":
            defer { invalidateSessions(table) }
            return ["rows": rows(try await adapter.delete(table, where: conditions))]
        case "db.count":
            return ["count": .int(try await adapter.count(table, where: conditions))]
        default:
            throw HostOperations.Failure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION", message: "unknown database operation \"\(operation)\"")
        }
    }

    /// Tables the plugin's manifest declared (the registry records their owner).
    private func owned(_ table: String) -> Bool {
        auth.tableOwners[table] == host.pluginID
    }

    private func invalidateSessions(_ table: String) {
        if table == "user" || table == "session" { auth.store.sessionCache.invalidateAll() }
    }

    /// Every stored field, secrets included: plugins see rows as stored, unlike API output.
    private func raw(_ record: Record) -> JSONValue {
        .object(.init(uniqueKeysWithValues: record.fields.map { ($0.key, $0.value.json) }))
    }

    private func conditions(_ value: JSONValue?, table: String) throws -> [Condition] {
        guard let fields = auth.schema.table(table)?.fields else { return [] }
        return try (value?.arrayValue ?? []).map { entry in
            guard let name = entry["field"]?.stringValue, let field = fields[name] else {
                throw HostOperations.Failure(status: GH_INVALID, code: "UNKNOWN_FIELD", message: "where: unknown field on \(table)")
            }
            guard let op = Condition.Operator(rawValue: entry["operator"]?.stringValue ?? "=") else {
                throw HostOperations.Failure(status: GH_INVALID, code: "UNKNOWN_OPERATOR",
                                             message: "where: operators are =, <>, <, <=, >, >=, IN, NOT IN, contains, starts_with, ends_with")
            }
            if op == .in || op == .notIn {
                // A NOT IN (1.6) without a list would match every row: refused, never widened.
                guard op == .in || entry["value"]?.arrayValue != nil else {
                    throw HostOperations.Failure(status: GH_INVALID, code: "VALIDATION_ERROR", message: "where: NOT IN needs an array value (\(name))")
                }
                return .list(name, op, try (entry["value"]?.arrayValue ?? []).map { try AuthContext.dbValue($0, for: field, key: name) })
            }
            if op.isPattern {
                // Text matches (1.6 host) on text columns, with a text value.
                guard field.type == .string, let text = entry["value"]?.stringValue else {
                    throw HostOperations.Failure(status: GH_INVALID, code: "VALIDATION_ERROR",
                                                 message: "where: \(op.rawValue) needs a string field and a string value (\(name))")
                }
                return Condition(name, op, .string(text))
            }
            var lenient = field
            lenient.required = false
            return Condition(name, op, try AuthContext.dbValue(entry["value"] ?? .null, for: lenient, key: name))
        }
    }
}
