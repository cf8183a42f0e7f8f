@testable import GatehouseServer
import GatehouseJSON
import GatehouseStorage
import Testing

/// The ABI 1.2 manifest keys (jobs, services, uses and synchronous event subscriptions), 1.3's
/// `originCheck`, 1.5's `suppressesEmail`, 1.6's `defaultSetting`, 1.7's `wellKnown` and 1.8's `statuses`. A bad entry refuses the plugin with a message naming the key.
@Suite struct PluginManifestTests {
    private func manifest(_ json: String, id: String = "caller") throws(PluginLoadError) -> PluginManifest {
        try PluginManifest(json: json, pluginID: id)
    }

    private func refusal(_ json: String, id: String = "caller") -> String? {
        do {
            _ = try manifest(json, id: id)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func parsesJobsServicesUsesAndSyncEvents() throws {
        let m = try manifest("""
            {"jobs": [{"name": "sweep", "everySeconds": 60}, {"name": "deliver"}],
             "services": ["addMember", "memberCount"],
             "uses": [{"plugin": "organization", "optional": true}, "billing"],
             "events": [{"name": "user.*", "sync": true}, {"name": "session.created"}]}
            """)
        #expect(m.jobs.map(\.name) == ["sweep", "deliver"])
        #expect(m.jobs.map(\.everySeconds) == [60, nil])
        #expect(m.services == ["addMember", "memberCount"])
        #expect(m.uses.map(\.plugin) == ["organization", "billing"])
        #expect(m.uses.map(\.optional) == [true, false])
        #expect(m.requiredPlugins == ["billing"])
        #expect(m.events.map(\.sync) == [true, false])
    }

    @Test func originCheckIsReadFromPluginsBuiltFor13Only() throws {
        let json = #"{"endpoints": [{"method": "POST", "path": "/acs", "originCheck": false}, {"method": "POST", "path": "/other"}]}"#
        #expect(try manifest(json).endpoints.map(\.originCheck) == [false, true])
        #expect(try PluginManifest(json: json, pluginID: "old", abiMinor: 2).endpoints.map(\.originCheck) == [true, true])
        #expect(refusal(#"{"endpoints": [{"method": "POST", "path": "/acs", "originCheck": "no"}]}"#)
                == "invalid manifest: endpoints[0].originCheck must be true or false")
        #expect(throws: Never.self) { try PluginManifest(json: #"{"endpoints": [{"method": "POST", "path": "/acs", "originCheck": "no"}]}"#,
                                                         pluginID: "old", abiMinor: 2) }
    }

    /// 1.5: `suppressesEmail` marks boolean user fields only, and only from plugins built for 1.5.
    @Test func suppressesEmailMarksBooleanUserFieldsOfPluginsBuiltFor15() throws {
        let json = #"{"schema": {"fields": {"user": [{"name": "isAnonymous", "type": "boolean", "suppressesEmail": true}]}}}"#
        #expect(try manifest(json).schema.fields["user"]?.first?.suppressesEmail == true)
        #expect(try PluginManifest(json: json, pluginID: "old", abiMinor: 4).schema.fields["user"]?.first?.suppressesEmail == false)
        let expected = "invalid manifest: schema: suppressesEmail (flag) applies to boolean fields added to user only"
        #expect(refusal(#"{"schema": {"fields": {"user": [{"name": "flag", "type": "string", "suppressesEmail": true}]}}}"#) == expected)
        #expect(refusal(#"{"schema": {"fields": {"session": [{"name": "flag", "type": "boolean", "suppressesEmail": true}]}}}"#) == expected)
        #expect(refusal(#"{"schema": {"tables": [{"name": "t", "fields": [{"name": "flag", "type": "boolean", "suppressesEmail": true}]}]}}"#)
                == expected)
    }

    /// 1.6: `defaultSetting` takes a field's default from the plugin's settings when the operator set it.
    @Test func defaultSettingReadsTheDefaultFromSettings() throws {
        let json = #"{"schema": {"fields": {"user": [{"name": "role", "type": "string", "required": false, "defaultValue": "user", "defaultSetting": "defaultRole"}]}}}"#
        func role(_ settings: JSONValue, abiMinor: Int = 6) throws -> FieldDefault? {
            try PluginManifest(json: json, pluginID: "admin", abiMinor: abiMinor, settings: settings).schema.fields["user"]?.first?.defaultValue
        }
        #expect(try role(["defaultRole": "member"]) == .value(.string("member")))
        #expect(try role([:]) == .value(.string("user")))
        #expect(try role(["defaultRole": "member"], abiMinor: 5) == .value(.string("user")))
        do {
            _ = try role(["defaultRole": 42])
            Issue.record("a number for a string field is refused")
        } catch {
            #expect("\(error)" == "invalid setting: plugins.admin.defaultRole must be a string")
        }
        #expect(refusal(#"{"schema": {"fields": {"user": [{"name": "r", "type": "string", "defaultSetting": 3}]}}}"#)
                == "invalid manifest: schema.fields.user: defaultSetting must be the name of a setting")
    }

    /// 1.7: `wellKnown` endpoints are `/.well-known/<name>` only; older plugins' key is ignored.
    @Test func wellKnownIsReadFromPluginsBuiltFor17() throws {
        let json = #"{"endpoints": [{"method": "GET", "path": "/.well-known/oauth-authorization-server", "wellKnown": true}, {"method": "GET", "path": "/x"}]}"#
        #expect(try manifest(json).endpoints.map(\.wellKnown) == [true, false])
        #expect(try PluginManifest(json: json, pluginID: "old", abiMinor: 6).endpoints.map(\.wellKnown) == [false, false])
        #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/.well-known/a", "wellKnown": "yes"}]}"#)
                == "invalid manifest: endpoints[0].wellKnown must be true or false")
        for path in ["/healthz", "/.well-known/", "/.well-known/a/b", "/.well-known/:name", "/.well-known/**"] {
            #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "\#(path)", "wellKnown": true}]}"#)
                    == "invalid manifest: endpoints[0].path must be /.well-known/<name> for a wellKnown endpoint")
        }
    }

    /// 1.8: `statuses` lists what a handler answers for the OpenAPI document; older plugins' key is ignored.
    @Test func statusesAreReadFromPluginsBuiltFor18() throws {
        let json = #"{"endpoints": [{"method": "POST", "path": "/x", "statuses": [404, 302]}, {"method": "GET", "path": "/y"}]}"#
        #expect(try manifest(json).endpoints.map { $0.statuses.map(\.code) } == [[404, 302], []])
        #expect(try PluginManifest(json: json, pluginID: "old", abiMinor: 7).endpoints.map { $0.statuses.map(\.code) } == [[], []])
        #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "statuses": 404}]}"#)
                == "invalid manifest: endpoints[0].statuses must be an array of status codes")
        for bad in ["600", "99", "404.5", "\"404\""] {
            #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "statuses": [200, \#(bad)]}]}"#)
                    == "invalid manifest: endpoints[0].statuses[1] must be a status code from 100 to 599")
        }
    }

    /// 1.11: `responseHeaders` of a route; an older plugin's key is ignored; framing, cookies,
    /// redirects and control characters refuse the plugin.
    @Test func responseHeadersAreReadFromPluginsBuiltFor111() throws {
        let json = #"{"endpoints": [{"method": "GET", "path": "/x", "responseHeaders": {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}}]}"#
        let fields = try manifest(json).endpoints[0].responseHeaders
        #expect(fields.map { "\($0.name.canonicalName)=\($0.value)" }.sorted() == ["cache-control=no-store", "x-frame-options=DENY"])
        #expect(try PluginManifest(json: json, pluginID: "old", abiMinor: 10).endpoints[0].responseHeaders.isEmpty)
        #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "responseHeaders": ["no-store"]}]}"#)
                == "invalid manifest: endpoints[0].responseHeaders must be an object of header names and values")
        for name in ["Set-Cookie", "content-length", "Location", "Transfer-Encoding", "Content-Encoding", "X-Request-Id", "bad name"] {
            #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "responseHeaders": {"\#(name)": "v"}}]}"#)
                    == "invalid manifest: endpoints[0].responseHeaders may not set \"\(name)\"")
        }
        #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "responseHeaders": {"Cache-Control": "no-store", "cache-control": "private"}}]}"#)
                == "invalid manifest: endpoints[0].responseHeaders names \"cache-control\" twice")
        for value in [#""a\r\nSet-Cookie: x=1""#, "1", #""nul\u0000""#, #""del\u007f""#] {
            #expect(refusal(#"{"endpoints": [{"method": "GET", "path": "/x", "responseHeaders": {"X-A": \#(value)}}]}"#)
                    == "invalid manifest: endpoints[0].responseHeaders.X-A must be a string without control characters")
        }
    }

    /// 1.5's endpoint key `formCSRF` and after-hook key `runsLast`: read from plugins built for 1.5 only.
    @Test func formCSRFAndRunsLastAreReadFromPluginsBuiltFor15() throws {
        let json = #"{"endpoints": [{"method": "POST", "path": "/send", "formCSRF": true}], "hooks": {"after": [{"matcher": "/**", "runsLast": true}]}}"#
        let current = try manifest(json)
        #expect(current.endpoints.map(\.formCSRF) == [true] && current.afterHooks.map(\.runsLast) == [true])
        let older = try PluginManifest(json: json, pluginID: "old", abiMinor: 4)
        #expect(older.endpoints.map(\.formCSRF) == [false] && older.afterHooks.map(\.runsLast) == [false])
        #expect(refusal(#"{"endpoints": [{"method": "POST", "path": "/send", "formCSRF": "yes"}]}"#)
                == "invalid manifest: endpoints[0].formCSRF must be true or false")
        #expect(refusal(#"{"hooks": {"after": [{"matcher": "/**", "runsLast": 1}]}}"#) == "invalid manifest: hooks.after[0].runsLast must be true or false")
        #expect(refusal(#"{"schema": {"fields": {"user": [{"name": "f", "type": "boolean", "suppressesEmail": "yes"}]}}}"#)
                == "invalid manifest: schema.fields.user: suppressesEmail must be true or false")
    }

    @Test func requiredPluginsJoinRequiresAndRequiredUses() throws {
        let m = try manifest(#"{"requires": ["jwt"], "uses": [{"plugin": "organization"}]}"#)
        #expect(m.requiredPlugins == ["jwt", "organization"])
    }

    /// A plugin built for 1.1 never knew these keys: whatever it says under them, it loads as before.
    @Test func olderPluginsIgnoreTheKeysOf12() throws {
        let m = try PluginManifest(json: #"{"jobs": "nightly", "services": 3, "uses": [{"plugin": "caller"}]}"#,
                                   pluginID: "caller", abiMinor: 1)
        #expect(m.jobs.isEmpty && m.services.isEmpty && m.uses.isEmpty)
    }

    @Test(arguments: [
        (#"{"jobs": {"name": "x"}}"#, "jobs must be an array"),
        (#"{"jobs": [{"everySeconds": 5}]}"#, "jobs[0].name"),
        (#"{"jobs": [{"name": "x", "everySeconds": 0}]}"#, "jobs[0].everySeconds"),
        (#"{"jobs": [{"name": "x", "everySeconds": -3}]}"#, "jobs[0].everySeconds"),
        (#"{"jobs": [{"name": "x", "everySeconds": 1.5}]}"#, "jobs[0].everySeconds"),
        (#"{"jobs": [{"name": "x", "everySeconds": 9000000000000}]}"#, "jobs[0].everySeconds"),
        (#"{"jobs": [{"name": "x", "every": 5}]}"#, "jobs[0].every"),
        (#"{"jobs": [{"name": "x"}, {"name": "x"}]}"#, "jobs[1].name"),
        (#"{"services": "addMember"}"#, "services must be an array"),
        (#"{"services": ["a", 3]}"#, "services[1]"),
        (#"{"services": ["a", "a"]}"#, "services[1] \"a\" is declared twice"),
        (#"{"uses": [{"plugin": "caller"}]}"#, "uses[0] names the plugin itself"),
        (#"{"uses": ["caller"]}"#, "uses[0] names the plugin itself"),
        (#"{"uses": [{"optional": true}]}"#, "uses[0].plugin"),
        (#"{"uses": [{"plugin": "org", "optional": "yes"}]}"#, "uses[0].optional"),
        (#"{"uses": [{"plugin": "org", "required": true}]}"#, "uses[0].required"),
    ])
    func refusesBadEntriesNamingTheKey(json: String, key: String) {
        let message = refusal(json)
        #expect(message?.contains(key) == true, "\(json) → \(message ?? "accepted")")
    }
}
