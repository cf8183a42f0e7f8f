import SwiftToolchainVersion
import GatehouseJSON
import GatehouseStorage
import HTTPTypes

/// What a loaded plugin declares in its descriptor's `manifest_json` (docs/plugin-abi.md).
struct PluginManifest: Sendable {
    /// How a callback is served: which envelope members it needs, and whether it may block.
    struct CallStyle: Sendable {
        /// Envelope members to send (nil: all of them).
        let envelope: Set<String>?
        /// False: the callback makes no blocking host call, so it runs on the request's own
        /// thread instead of a plugin worker (no thread hop).
        let blocking: Bool

        init(_ entry: JSONValue) {
            envelope = entry["envelope"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
            blocking = entry["blocking"]?.boolValue ?? true
        }
    }

    struct EndpointEntry: Sendable {
        let style: CallStyle
        let method: HTTPRequest.Method
        let path: String
        let auth: AuthRequirement
        let acceptsForm: Bool
        /// Whether the trusted-origin checks apply (ABI 1.3 may turn them off: an IdP's cross-site POST).
        let originCheck: Bool
        /// Better Auth's `formCsrfMiddleware` also applies to cookieless requests (ABI 1.5): routes
        /// that mail a sign-in link or code, which a cross-site form must not trigger.
        let formCSRF: Bool
        /// The body reaches the plugin as bytes, unparsed, whatever its media type (ABI 1.4).
        let rawBody: Bool
        /// The path ends in `/**` and serves every path below it (ABI 1.4).
        let servesSubpaths: Bool
        /// A well-known URI served outside the base path, at `/.well-known/<name>{basePath}` (ABI 1.7).
        let wellKnown: Bool
        /// The path ends in `/` and is served as it is (ABI 1.10; before, such a route was never reached).
        let servesTrailingSlash: Bool
        let body: BodySchema?
        let query: BodySchema?
        let summary: String
        /// What the plugin's handler answers besides 200, for the OpenAPI document (ABI 1.8).
        let statuses: [HTTPResponse.Status]
        /// Added to every answer of the route that lacks them, the host's own refusals included (ABI 1.11).
        let responseHeaders: HTTPFields
    }

    /// A hook, middleware matcher, and the host-side conditions that spare a call across the ABI.
    struct HookEntry: Sendable {
        let style: CallStyle
        let matcher: PathPattern
        /// Run only when the request carries this header.
        let requestHeader: HTTPField.Name?
        /// (After-hooks) run only when the request created a session.
        let whenNewSession: Bool
        /// (After-hooks) run only when the answer sets this cookie (base name, e.g. `session_token`) to a value.
        let responseSetsCookie: String?
        /// (After-hooks, ABI 1.5) run after every other plugin's after-hooks, on the final outcome.
        var runsLast = false
    }

    var endpoints: [EndpointEntry] = []
    var beforeHooks: [HookEntry] = []
    var afterHooks: [HookEntry] = []
    var middlewares: [HookEntry] = []
    var onRequest = false
    var onResponse = false
    /// How onRequest and onResponse are served (`interceptors: {envelope, blocking}`).
    var interceptorStyle = CallStyle(.object([:]))
    var rateLimit: [RateLimitRule] = []
    var schema = SchemaExtension()
    var errorCodes: [ErrorCode] = []
    var requires: [String] = []
    /// Events the plugin subscribes to (ABI 1.1): `events[index]` is answered by GH_CALL_EVENT.
    var events: [EventEntry] = []
    /// Background jobs (ABI 1.2): `jobs[index]` is run with GH_CALL_JOB.
    var jobs: [JobEntry] = []
    /// Services other plugins may call (ABI 1.2): `services[index]` is answered by GH_CALL_SERVICE.
    var services: [String] = []
    /// Plugins whose services this one calls (ABI 1.2).
    var uses: [Use] = []
    /// The plugin may list, enable and disable the plugins of the plugins directory (ABI 1.10):
    /// the operations `plugins.list`, `plugins.enable` and `plugins.disable`.
    var managesPlugins = false

    /// An event subscription: an exact name, or a prefix ending in `*` (`organization.*`, `*`).
    struct EventEntry: Sendable {
        let style: CallStyle
        let pattern: String
        /// Delivered before the request that caused the event answers (after its commit).
        let sync: Bool

        func matches(_ name: String) -> Bool {
            pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
        }
    }

    /// A job run every `everySeconds` (nil: only when scheduled with `jobs.schedule`).
    struct JobEntry: Sendable {
        let name: String
        let everySeconds: Int?
    }

    /// A plugin this one calls services of; a missing required one skips this plugin at load.
    struct Use: Sendable {
        let plugin: String
        let optional: Bool
    }

    /// Parses the manifest of plugin `pluginID` (which it may not name in its own `uses`), built
    /// for ABI 1.`abiMinor`: the keys of later minors mean nothing to an older plugin, so its
    /// manifest keeps loading as it did, whatever it says under them.
    /// `settings` are the plugin's `plugins.<id>`, read for fields' `defaultSetting` (1.6).
    init(json text: String, pluginID: String, abiMinor: Int = PluginABI.minor, settings: JSONValue = .object([:])) throws(PluginLoadError) {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw .invalidManifest("not valid JSON: \(error)") }
        guard root.objectValue != nil else { throw .invalidManifest("must be a JSON object") }
        for (i, entry) in (root["endpoints"]?.arrayValue ?? []).enumerated() {
            guard let methodName = entry["method"]?.stringValue, let method = HTTPRequest.Method(methodName.uppercased()),
                let path = entry["path"]?.stringValue, path.hasPrefix("/")
            else { throw .invalidManifest("endpoints[\(i)] needs a method and a path starting with /") }
            guard let auth = AuthRequirement(rawValue: entry["auth"]?.stringValue ?? "none") else {
                throw .invalidManifest("endpoints[\(i)].auth must be none, session, freshSession or sensitiveSession")
            }
            let originCheck = abiMinor >= 3 ? entry["originCheck"]?.nonNull : nil
            if let originCheck, originCheck.boolValue == nil { throw .invalidManifest("endpoints[\(i)].originCheck must be true or false") }
            let rawBody = abiMinor >= 4 ? entry["rawBody"]?.nonNull : nil
            if let rawBody, rawBody.boolValue == nil { throw .invalidManifest("endpoints[\(i)].rawBody must be true or false") }
            let formCSRF = abiMinor >= 5 ? entry["formCSRF"]?.nonNull : nil
            if let formCSRF, formCSRF.boolValue == nil { throw .invalidManifest("endpoints[\(i)].formCSRF must be true or false") }
            // `/**` as the last segment serves every path below the prefix (ABI 1.4). Before 1.4
            // a `*` was a literal character of the path, and it stays one for older plugins.
            let servesSubpaths = abiMinor >= 4 && path.hasSuffix("/**")
            if abiMinor >= 4, path.split(separator: "/").dropLast().contains(where: { $0.contains("*") || (servesSubpaths && $0.hasPrefix(":")) }) {
                throw .invalidManifest("endpoints[\(i)].path may have ** only as its last segment, after fixed segments")
            }
            let wellKnown = abiMinor >= 7 ? entry["wellKnown"]?.nonNull : nil
            if let wellKnown, wellKnown.boolValue == nil { throw .invalidManifest("endpoints[\(i)].wellKnown must be true or false") }
            if wellKnown?.boolValue == true, !Self.isWellKnownPath(path) {
                throw .invalidManifest("endpoints[\(i)].path must be /.well-known/<name> for a wellKnown endpoint")
            }
            let servesTrailingSlash = abiMinor >= 10 && path.count > 1 && path.hasSuffix("/")
            if servesTrailingSlash, path.contains("//") || path.split(separator: "/").contains(where: { $0.hasPrefix(":") }) {
                throw .invalidManifest("endpoints[\(i)].path may end in / only as a fixed path, without :parameters")
            }
            let statuses = abiMinor >= 8 ? try Self.statuses(entry["statuses"], at: "endpoints[\(i)].statuses") : []
            let responseHeaders = abiMinor >= 11 ? try Self.responseHeaders(entry["responseHeaders"], at: "endpoints[\(i)].responseHeaders") : HTTPFields()
            endpoints.append(EndpointEntry(
                style: CallStyle(entry), method: method, path: path, auth: auth, acceptsForm: entry["acceptsForm"]?.boolValue ?? false,
                originCheck: originCheck?.boolValue ?? true, formCSRF: formCSRF?.boolValue ?? false, rawBody: rawBody?.boolValue ?? false,
                servesSubpaths: servesSubpaths, wellKnown: wellKnown?.boolValue ?? false,
                servesTrailingSlash: servesTrailingSlash,
                body: try Self.schema(entry["body"], at: "endpoints[\(i)].body"),
                query: try Self.schema(entry["query"], at: "endpoints[\(i)].query"),
                summary: entry["summary"]?.stringValue ?? "\(methodName) \(path)", statuses: statuses, responseHeaders: responseHeaders))
        }
        beforeHooks = try Self.hooks(root["hooks"]?["before"], at: "hooks.before")
        afterHooks = try Self.hooks(root["hooks"]?["after"], at: "hooks.after")
        if abiMinor >= 5 {
            for (i, hook) in (root["hooks"]?["after"]?.arrayValue ?? []).enumerated() where i < afterHooks.count {
                guard let last = hook["runsLast"]?.nonNull else { continue }
                guard let flag = last.boolValue else { throw .invalidManifest("hooks.after[\(i)].runsLast must be true or false") }
                afterHooks[i].runsLast = flag
            }
        }
        middlewares = try Self.hooks(root["middlewares"], at: "middlewares")
        onRequest = root["onRequest"]?.boolValue ?? false
        onResponse = root["onResponse"]?.boolValue ?? false
        interceptorStyle = CallStyle(root["interceptors"] ?? .object([:]))
        for (i, rule) in (root["rateLimit"]?.arrayValue ?? []).enumerated() {
            guard let path = rule["path"]?.stringValue, let window = rule["window"]?.intValue, let max = rule["max"]?.intValue,
                window > 0, max > 0
            else { throw .invalidManifest("rateLimit[\(i)] needs path, window > 0 and max > 0") }
            rateLimit.append(RateLimitRule(PathPattern(path), window: window, max: max))
        }
        schema = try Self.schemaExtension(root["schema"], abiMinor: abiMinor, settings: FieldSettings(pluginID: pluginID, values: settings))
        for (code, message) in root["errorCodes"]?.objectValue ?? [:] {
            errorCodes.append(ErrorCode(code, message.stringValue ?? code))
        }
        requires = root["requires"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for (i, entry) in (root["events"]?.arrayValue ?? []).enumerated() {
            guard let name = entry["name"]?.stringValue, !name.isEmpty, !name.dropLast().contains("*") else {
                throw .invalidManifest("events[\(i)].name must be an event name or a prefix ending in *")
            }
            events.append(EventEntry(style: CallStyle(entry), pattern: name, sync: entry["sync"]?.boolValue ?? false))
        }
        guard abiMinor >= 2 else { return }
        jobs = try Self.jobs(root["jobs"])
        services = try Self.services(root["services"])
        uses = try Self.uses(root["uses"])
        if let i = uses.firstIndex(where: { $0.plugin == pluginID }) { throw .invalidManifest("uses[\(i)] names the plugin itself") }
        guard abiMinor >= 10, let manages = root["managesPlugins"]?.nonNull else { return }
        guard let flag = manages.boolValue else { throw .invalidManifest("managesPlugins must be true or false") }
        managesPlugins = flag
    }

    /// Plugins that must be loaded for this one to load: `requires` and the non-optional `uses`.
    var requiredPlugins: [String] { requires + uses.filter { !$0.optional }.map(\.plugin) }

    /// 100 years: a due date beyond it would not be a plain ISO-8601 year any more.
    static let longestJobInterval = 100 * 365 * 86_400

    /// `jobs: [{name, everySeconds?}]`: names unique, intervals positive whole seconds.
    private static func jobs(_ value: JSONValue?) throws(PluginLoadError) -> [JobEntry] {
        guard let value else { return [] }
        guard let list = value.arrayValue else { throw .invalidManifest("jobs must be an array of {name, everySeconds}") }
        var entries: [JobEntry] = []
        for (i, entry) in list.enumerated() {
            guard let object = entry.objectValue, let name = object["name"]?.stringValue, !name.isEmpty else {
                throw .invalidManifest("jobs[\(i)].name must be a non-empty string")
            }
            if let unknown = object.keys.first(where: { !["name", "everySeconds"].contains($0) }) {
                throw .invalidManifest("jobs[\(i)].\(unknown) is not a job key (name, everySeconds)")
            }
            var interval: Int?
            if let every = object["everySeconds"], every != .null {
                guard let seconds = every.intValue, seconds > 0, seconds <= Self.longestJobInterval else {
                    throw .invalidManifest("jobs[\(i)].everySeconds must be a positive integer of seconds, at most 100 years")
                }
                interval = seconds
            }
            guard !entries.contains(where: { $0.name == name }) else { throw .invalidManifest("jobs[\(i)].name \"\(name)\" is declared twice") }
            entries.append(JobEntry(name: name, everySeconds: interval))
        }
        return entries
    }

    /// `services: ["name", ...]`, each declared once.
    private static func services(_ value: JSONValue?) throws(PluginLoadError) -> [String] {
        guard let value else { return [] }
        guard let list = value.arrayValue else { throw .invalidManifest("services must be an array of service names") }
        var names: [String] = []
        for (i, entry) in list.enumerated() {
            guard let name = entry.stringValue, !name.isEmpty else { throw .invalidManifest("services[\(i)] must be a non-empty string") }
            guard !names.contains(name) else { throw .invalidManifest("services[\(i)] \"\(name)\" is declared twice") }
            names.append(name)
        }
        return names
    }

    /// `uses: [{plugin, optional?}]` (a bare id string is a required use).
    private static func uses(_ value: JSONValue?) throws(PluginLoadError) -> [Use] {
        guard let value else { return [] }
        guard let list = value.arrayValue else { throw .invalidManifest("uses must be an array of {plugin, optional}") }
        return try list.enumerated().map { i, entry throws(PluginLoadError) in
            if let id = entry.stringValue, !id.isEmpty { return Use(plugin: id, optional: false) }
            guard let object = entry.objectValue, let id = object["plugin"]?.stringValue, !id.isEmpty else {
                throw .invalidManifest("uses[\(i)].plugin must be a plugin id")
            }
            if let unknown = object.keys.first(where: { !["plugin", "optional"].contains($0) }) {
                throw .invalidManifest("uses[\(i)].\(unknown) is not a use key (plugin, optional)")
            }
            guard object["optional"] == nil || object["optional"]?.boolValue != nil else {
                throw .invalidManifest("uses[\(i)].optional must be true or false")
            }
            return Use(plugin: id, optional: object["optional"]?.boolValue ?? false)
        }
    }

    private static func hooks(_ value: JSONValue?, at location: String) throws(PluginLoadError) -> [HookEntry] {
        var entries: [HookEntry] = []
        for (i, hook) in (value?.arrayValue ?? []).enumerated() {
            guard let matcher = hook["matcher"]?.stringValue, matcher.hasPrefix("/") else {
                throw .invalidManifest("\(location)[\(i)].matcher must be a path pattern starting with /")
            }
            var header: HTTPField.Name?
            if let name = hook["requestHeader"]?.stringValue {
                guard let parsed = HTTPField.Name(name) else { throw .invalidManifest("\(location)[\(i)].requestHeader is not a header name") }
                header = parsed
            }
            entries.append(HookEntry(style: CallStyle(hook), matcher: PathPattern(matcher), requestHeader: header,
                                     whenNewSession: hook["whenNewSession"]?.boolValue ?? false,
                                     responseSetsCookie: hook["responseSetsCookie"]?.stringValue))
        }
        return entries
    }

    /// `/.well-known/<name>`: one registered-looking name (RFC 8615), no parameters or wildcards.
    static func isWellKnownPath(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count == 3 && segments[1] == ".well-known" && !segments[2].isEmpty
            && segments[2].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }
    }

    /// `statuses: [404, 409, ...]` (ABI 1.8): status codes from 100 to 599.
    private static func statuses(_ value: JSONValue?, at location: String) throws(PluginLoadError) -> [HTTPResponse.Status] {
        guard let value = value?.nonNull else { return [] }
        guard let list = value.arrayValue else { throw .invalidManifest("\(location) must be an array of status codes") }
        return try list.enumerated().map { i, entry throws(PluginLoadError) in
            guard let code = entry.intValue, (100...599).contains(code) else {
                throw .invalidManifest("\(location)[\(i)] must be a status code from 100 to 599")
            }
            return HTTPResponse.Status(code: code)
        }
    }

    /// Headers that frame or encode the message, belong to one answer (cookies, redirects) or are
    /// the host's own are refused: a route-wide header may only say how every answer is to be
    /// handled (CSP, caching).
    private static let answerOnlyHeaders: Set<String> = [
        "connection", "content-encoding", "content-length", "content-range", "content-type", "keep-alive", "location",
        "set-cookie", "trailer", "transfer-encoding", "upgrade", "x-request-id", "x-retry-after",
    ]

    private static func responseHeaders(_ value: JSONValue?, at location: String) throws(PluginLoadError) -> HTTPFields {
        guard let value = value?.nonNull else { return HTTPFields() }
        guard let object = value.objectValue else { throw .invalidManifest("\(location) must be an object of header names and values") }
        var fields = HTTPFields()
        for (name, entry) in object {
            guard let field = HTTPField.Name(name), !answerOnlyHeaders.contains(field.canonicalName) else {
                throw .invalidManifest("\(location) may not set \"\(name)\"")
            }
            guard fields[field] == nil else { throw .invalidManifest("\(location) names \"\(name)\" twice") }
            guard let text = entry.stringValue, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) else {
                throw .invalidManifest("\(location).\(name) must be a string without control characters")
            }
            fields.append(HTTPField(name: field, value: text))
        }
        return fields
    }

    private static func schema(_ value: JSONValue?, at location: String) throws(PluginLoadError) -> BodySchema? {
        guard let value else { return nil }
        var properties: [BodySchema.Property] = []
        for (i, property) in (value["properties"]?.arrayValue ?? []).enumerated() {
            guard let name = property["name"]?.stringValue, let kind = BodySchema.Kind(rawValue: property["type"]?.stringValue ?? "") else {
                throw .invalidManifest("\(location).properties[\(i)] needs a name and a type (string, boolean, number, object, array, email)")
            }
            properties.append(.init(name, kind, required: property["required"]?.boolValue ?? false,
                                    nullable: property["nullable"]?.boolValue ?? false, description: property["description"]?.stringValue))
        }
        return BodySchema(properties)
    }

    /// The plugin's settings, as fields' `defaultSetting` reads them.
    private struct FieldSettings {
        let pluginID: String
        let values: JSONValue
    }

    private static func schemaExtension(_ value: JSONValue?, abiMinor: Int, settings: FieldSettings) throws(PluginLoadError) -> SchemaExtension {
        guard let value else { return SchemaExtension() }
        var ext = SchemaExtension()
        for (i, table) in (value["tables"]?.arrayValue ?? []).enumerated() {
            guard let name = table["name"]?.stringValue else { throw .invalidManifest("schema.tables[\(i)] needs a name") }
            let fields = try (table["fields"]?.arrayValue ?? []).map { entry throws(PluginLoadError) in
                try field(entry, at: "schema.tables[\(i)]", abiMinor: abiMinor, settings: settings)
            }
            let unique = (table["uniqueTogether"]?.arrayValue ?? []).map { $0.arrayValue?.compactMap(\.stringValue) ?? [] }
            ext.tables.append(TableSchema(name: name, fields: fields, uniqueTogether: unique))
        }
        for (table, entries) in value["fields"]?.objectValue ?? [:] {
            ext.fields[table] = try (entries.arrayValue ?? []).map { entry throws(PluginLoadError) in
                try field(entry, at: "schema.fields.\(table)", abiMinor: abiMinor, settings: settings)
            }
        }
        let misplaced = ext.tables.flatMap(\.fields.values) + ext.fields.filter { $0.key != "user" }.values.joined()
            + (ext.fields["user"] ?? []).filter { $0.type != .boolean }
        if let field = misplaced.first(where: \.suppressesEmail) {
            throw .invalidManifest("schema: suppressesEmail (\(field.name)) applies to boolean fields added to user only")
        }
        return ext
    }

    /// A field with Better Auth's attribute names (`type`, `required`, `unique`, `index`, `input`,
    /// `returned`, `defaultValue`, `references {model, field, onDelete}`, `bigint`), plus Gatehouse's
    /// `suppressesEmail` (ABI 1.5).
    /// `suppressesEmail` (ABI 1.5): a boolean or absent; older plugins never had the key.
    private static func suppressesEmail(_ entry: JSONValue, at location: String, abiMinor: Int) throws(PluginLoadError) -> Bool {
        guard abiMinor >= 5, let value = entry["suppressesEmail"]?.nonNull else { return false }
        guard let flag = value.boolValue else { throw .invalidManifest("\(location): suppressesEmail must be true or false") }
        return flag
    }

    /// `defaultSetting` (ABI 1.6): the name of a key of the plugin's settings whose value, when the
    /// operator sets it, is the field's default instead of `defaultValue` (the admin plugin's
    /// `defaultRole`). A value of another type than the field's refuses the plugin.
    private static func configuredDefault(_ entry: JSONValue, type: FieldType, at location: String, abiMinor: Int,
                                          settings: FieldSettings) throws(PluginLoadError) -> JSONValue? {
        guard abiMinor >= 6, let key = entry["defaultSetting"]?.nonNull else { return nil }
        guard let key = key.stringValue, !key.isEmpty else { throw .invalidManifest("\(location): defaultSetting must be the name of a setting") }
        guard let value = settings.values[key]?.nonNull else { return nil }
        let fits = switch (type, value) {
        case (.string, .string), (.boolean, .bool), (.number, .number): true
        default: false
        }
        // The value is the operator's: name the key and the type, never echo it.
        guard fits else { throw .invalidSetting("plugins.\(settings.pluginID).\(key) must be a \(type.rawValue)") }
        return value
    }

    private static func field(_ entry: JSONValue, at location: String, abiMinor: Int, settings: FieldSettings) throws(PluginLoadError) -> Field {
        guard let name = entry["name"]?.stringValue, let type = FieldType(rawValue: entry["type"]?.stringValue ?? "") else {
            throw .invalidManifest("\(location): a field needs a name and a type (string, number, boolean, date, json, string[], number[])")
        }
        var defaultValue: FieldDefault?
        switch try configuredDefault(entry, type: type, at: location, abiMinor: abiMinor, settings: settings) ?? entry["defaultValue"] {
        case .none, .some(.null): defaultValue = nil
        case .some(.string("now")) where type == .date: defaultValue = .now
        case .some(.string(let s)): defaultValue = .value(.string(s))
        case .some(.bool(let b)): defaultValue = .value(.bool(b))
        case .some(.number(let n)): defaultValue = .value(.number(n))
        case .some(let other): defaultValue = .value(.json(other))
        }
        let reference = entry["references"].flatMap { ref -> FieldReference? in
            guard let table = ref["model"]?.stringValue else { return nil }
            return FieldReference(table: table, field: ref["field"]?.stringValue ?? "id", onDelete: ref["onDelete"]?.stringValue ?? "cascade")
        }
        return Field(name, type, required: entry["required"]?.boolValue ?? true, unique: entry["unique"]?.boolValue ?? false,
                     indexed: entry["index"]?.boolValue ?? false, input: entry["input"]?.boolValue ?? true,
                     returned: entry["returned"]?.boolValue ?? true, defaultValue: defaultValue,
                     updatesToNow: entry["onUpdate"]?.stringValue == "now", references: reference, bigint: entry["bigint"]?.boolValue ?? false,
                     suppressesEmail: try suppressesEmail(entry, at: location, abiMinor: abiMinor))
    }
}

/// Why a plugin was not loaded; each case reads as one clear log line.
enum PluginLoadError: Error, Sendable, CustomStringConvertible {
    case notELF
    case openFailed(String)
    case missingEntrySymbol
    case abiMismatch(pluginMajor: Int, pluginMinor: Int)
    case toolchainMismatch(plugin: String)
    case invalidDescriptor(String)
    case invalidManifest(String)
    case invalidSetting(String)
    case initFailed(String)
    case duplicateID(String)
    case missingRequirement(String)
    case conflict(String)

    var description: String {
        switch self {
        case .notELF: "not an ELF shared object"
        case .openFailed(let reason): "dlopen failed: \(reason)"
        case .missingEntrySymbol: "the entry symbol gatehouse_plugin_entry_v1 is missing (not a Gatehouse plugin, or built for another ABI major)"
        case .abiMismatch(let major, let minor):
            "built for plugin ABI \(major).\(minor); this host speaks ABI \(PluginABI.major).\(PluginABI.minor) and accepts \(PluginABI.major).0 to \(PluginABI.major).\(PluginABI.minor)"
        case .toolchainMismatch(let plugin):
            "built with Swift \(plugin) but the host was built with Swift \(SwiftToolchainVersion.current); rebuild the plugin with the host's toolchain"
        case .invalidDescriptor(let reason): "invalid descriptor: \(reason)"
        case .invalidManifest(let reason): "invalid manifest: \(reason)"
        case .invalidSetting(let reason): "invalid setting: \(reason)"
        case .initFailed(let reason): "init failed: \(reason)"
        case .duplicateID(let other): "duplicate plugin id (also provided by \(other))"
        case .missingRequirement(let id): "requires plugin \"\(id)\", which is not loaded"
        case .conflict(let reason): reason
        }
    }
}
