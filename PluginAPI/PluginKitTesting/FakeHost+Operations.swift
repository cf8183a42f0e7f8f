import Foundation
import GatehouseJSON
import GatehousePluginABI
import PluginKit

/// The `call` operations of the fake host, with the request and answer shapes and the error
/// codes of docs/plugin-abi.md §11.
extension FakeHost {
    func perform(_ operation: String, _ input: JSONValue) throws -> JSONValue {
        if let stub = locked({ $0.stubs[operation] }) {
            do { return try stub(input) } catch let error as PluginError {
                throw HostFailure(status: GH_ERROR, code: error.code, message: error.message)
            }
        }
        let now = now
        switch operation {
        case "db.create", "db.findOne", "db.findMany", "db.update", "db.delete", "db.count":
            return try database.perform { try access.run(operation, input, on: &$0, now: now) }
        case "db.transaction":
            return try database.perform { try access.transaction(input, on: &$0, now: now) }
        case "users.blockSignIn":
            let userID = try HostFailure.required(input, "userId")
            let refusal = HostFailure(status: GH_DENIED, code: try HostFailure.required(input, "code"), message: try HostFailure.required(input, "message"))
            _ = try database.perform { tables in
                guard try !tables.find("user", [FakeTables.Condition(field: "id", op: "=", values: [.string(userID)])]).isEmpty else {
                    throw HostFailure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(userID)")
                }
                return try tables.delete("session", [FakeTables.Condition(field: "userId", op: "=", values: [.string(userID)])])
            }
            locked { $0.signInBlocks[userID] = refusal }
            return ["blocked": true]
        case "users.unblockSignIn":
            let userID = try HostFailure.required(input, "userId")
            return ["released": .bool(locked { $0.signInBlocks.removeValue(forKey: userID) } != nil)]
        case "users.find", "users.create", "users.update", "users.delete", "users.proveEmail", "users.resetPassword", "passwords.check", "passwords.verifySignIn", "sessions.create", "sessions.find", "sessions.delete",
             "accounts.find", "accounts.create", "verifications.create", "verifications.find", "verifications.consume":
            return try database.perform { try adapter(operation, input, on: &$0, now: now) }
        case "email.send":
            guard self.emailConfigured else { throw HostFailure(status: GH_UNSUPPORTED, code: "EMAIL_NOT_CONFIGURED", message: "no email transport is configured") }
            let email = SentEmail(kind: try HostFailure.required(input, "kind"), to: try HostFailure.required(input, "to"),
                                  url: input["url"]?.stringValue, token: input["token"]?.stringValue, context: input["context"] ?? [:])
            locked { $0.emails.append(email) }
            return ["status": true]
        case "events.emit":
            let event = EmittedEvent(name: try HostFailure.required(input, "name"), payload: input["payload"] ?? .null)
            locked { $0.events.append(event) }
            return ["status": true, "subscribers": 0]
        case "http.fetch":
            return try fetch(input)
        case "http.dispatch":
            return try dispatch(input)
        case "host.info":
            return locked {
                let environment = $0.environment
                return ["baseURL": .string(environment.baseURL), "basePath": .string(environment.basePath),
                        "appName": .string(environment.appName), "email": .bool(environment.emailConfigured),
                        "emailAndPassword": ["minPasswordLength": .int(environment.minPasswordLength),
                                             "maxPasswordLength": .int(environment.maxPasswordLength),
                                             "revokeSessionsOnPasswordReset": .bool(environment.revokeSessionsOnPasswordReset)],
                        "emailVerification": ["autoSignInAfterVerification": .bool(environment.autoSignInAfterVerification)]]
            }
        case "jobs.schedule":
            return try schedule(input, now: now)
        case "services.call":
            return try callService(input)
        default:
            throw HostFailure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION",
                              message: "the fake host does not offer \"\(operation)\"; stub it with FakeHost.stubOperation")
        }
    }

    private func fetch(_ input: JSONValue) throws -> JSONValue {
        let url = try HostFailure.required(input, "url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw HostFailure.invalid("INVALID_REQUEST", "url must be http:// or https://")
        }
        let headers = (input["headers"]?.objectValue ?? [:]).reduce(into: [String: String]()) { $0[$1.key] = $1.value.stringValue }
        let request = FetchRequest(method: input["method"]?.stringValue ?? "GET", url: url, headers: headers, body: input["body"]?.stringValue)
        let handler = locked {
            $0.fetchRequests.append(request)
            return $0.environment.fetch
        }
        guard let handler else { throw HostFailure(status: GH_ERROR, code: "FETCH_FAILED", message: "no answer for \(url): set FakeHost.fetch") }
        let response: FetchResponse
        do { response = try handler(request) } catch { throw HostFailure(status: GH_ERROR, code: "FETCH_FAILED", message: "\(error)") }
        let lowered = response.headers.reduce(into: [String: JSONValue]()) { $0[$1.key.lowercased()] = .string($1.value) }
        return ["status": .int(response.status), "headers": .object(.init(uniqueKeysWithValues: lowered.sorted { $0.key < $1.key })),
                "body": .string(response.body)]
    }

    /// `http.dispatch {request, job, context, allowPrivateNetworks}` → `{id}`, recorded; nothing is
    /// sent: a test ends it with `finishDispatch` or `failDispatch`.
    private func dispatch(_ input: JSONValue) throws -> JSONValue {
        let job = try declaredJob(input, "job")
        let request = input["request"] ?? .null
        let url = try HostFailure.required(request, "url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw HostFailure.invalid("INVALID_REQUEST", "request.url must be an http:// or https:// URL")
        }
        let headers = (request["headers"]?.objectValue ?? [:]).reduce(into: [String: String]()) { $0[$1.key] = $1.value.stringValue }
        guard headers.allSatisfy({ !($0.key + $0.value).utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 } }) else {
            throw HostFailure.invalid("INVALID_REQUEST", "request.headers must map header names to single-line strings")
        }
        let dispatched = DispatchedRequest(id: FakeCrypto.identifier(), method: request["method"]?.stringValue ?? "POST", url: url,
                                           headers: headers, body: request["body"]?.stringValue, job: job, context: input["context"] ?? .null,
                                           allowPrivateNetworks: input["allowPrivateNetworks"]?.boolValue ?? false)
        locked {
            $0.dispatches.append(dispatched)
            $0.openDispatches.insert(dispatched.id)
        }
        return ["id": .string(dispatched.id)]
    }

    /// The name `input[key]` gives, which must be a job of the manifest (a plugin built for 1.2).
    private func declaredJob(_ input: JSONValue, _ key: String) throws -> String {
        let name = try HostFailure.required(input, key)
        let declared = (manifest["jobs"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard abiMinor >= 2, declared.contains(name) else {
            throw HostFailure.invalid("UNKNOWN_JOB", "plugin \(id) declares no job \"\(name)\" in its manifest's jobs")
        }
        return name
    }

    /// `jobs.schedule {name, runAt | delaySeconds, payload}` → `{id, runAt}`, recorded for `runDueJobs`.
    private func schedule(_ input: JSONValue, now: Date) throws -> JSONValue {
        let name = try declaredJob(input, "name")
        let runAt: Date
        switch (input["runAt"]?.nonNull, input["delaySeconds"]?.nonNull) {
        case (nil, nil):
            throw HostFailure.invalid("MISSING_FIELD", "give \"runAt\" (an ISO-8601 date-time) or \"delaySeconds\"")
        case (.some, .some):
            throw HostFailure.invalid("INVALID_SCHEDULE", "give either \"runAt\" or \"delaySeconds\", not both")
        case (let at?, nil):
            guard let date = ISODate.parse(at) else { throw HostFailure.invalid("INVALID_RUN_AT", "\"runAt\" must be an ISO-8601 date-time") }
            runAt = date
        case (nil, let delay?):
            guard let seconds = delay.doubleValue, seconds >= 0 else { throw HostFailure.invalid("INVALID_DELAY", "\"delaySeconds\" must be 0 or more") }
            runAt = now.addingTimeInterval(seconds)
        }
        let job = ScheduledJob(id: FakeCrypto.identifier(), name: name, runAt: runAt, payload: input["payload"] ?? .null, scheduledAt: now)
        locked {
            $0.jobs.append(job)
            $0.pendingJobs.insert(job.id)
        }
        return ["id": .string(job.id), "runAt": .string(ISODate.format(runAt))]
    }

    /// `services.call {plugin, service, request}` to a provider a test registered.
    private func callService(_ input: JSONValue) throws -> JSONValue {
        let plugin = try HostFailure.required(input, "plugin")
        let service = try HostFailure.required(input, "service")
        let request = input["request"] ?? [:]
        let services = locked {
            $0.serviceCalls.append(ServiceCall(plugin: plugin, service: service, request: request))
            return $0.providers[plugin]
        }
        let uses = (manifest["uses"]?.arrayValue ?? []).compactMap { $0.stringValue ?? $0["plugin"]?.stringValue }
        guard uses.contains(plugin) else {
            throw HostFailure(status: GH_DENIED, code: "PLUGIN_NOT_DECLARED", message: "plugin \(id) does not list \"\(plugin)\" in its manifest's uses")
        }
        guard let services else { throw HostFailure(status: GH_NOT_FOUND, code: "PLUGIN_NOT_LOADED", message: "plugin \"\(plugin)\" is not loaded") }
        guard let provider = services[service] else {
            throw HostFailure(status: GH_NOT_FOUND, code: "UNKNOWN_SERVICE", message: "plugin \"\(plugin)\" offers no service \"\(service)\"")
        }
        do {
            return try provider(request)
        } catch let refusal as PluginError {
            let status = (400...599).contains(refusal.status) ? refusal.status : 400
            let abi = status == 403 ? GH_DENIED : status == 404 ? GH_NOT_FOUND : GH_INVALID
            throw HostFailure(status: abi, code: refusal.code, message: refusal.message, extra: [("status", .int(status))])
        } catch {
            throw HostFailure(status: GH_ERROR, code: "SERVICE_FAILED", message: "service \(service) of plugin \(plugin) failed: \(error)")
        }
    }
}
