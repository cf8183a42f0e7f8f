import GatehouseJSON
import OrderedCollections
import PluginKit

/// Stripe billing like Better Auth's `@better-auth/stripe` 1.7: customers for users (on the host's
/// `user.created`) and organizations, Checkout and the billing portal for subscriptions, signed
/// webhooks that keep the `subscription` rows in step (each event once), and organization seats
/// that follow the member count. Stripe's API is reached through the host's `http.fetch`.
struct StripePlugin: GatehousePlugin {
    static let id = "stripe"
    static let version = "0.1.0"
    static let name = "Stripe"
    static let manifest = StripeManifest.json

    let host: PluginHost
    let customers: Customers
    let routes: SubscriptionRoutes
    let webhook: StripeWebhook
    let seats: Seats
    let settings: StripeSettings

    init(host: PluginHost, settings json: JSONValue) throws {
        let settings = try StripeSettings(json)
        let info = try host.call("host.info", [:])
        let baseURL = info["baseURL"]?.stringValue ?? ""
        let stripe = StripeClient(host: host, baseURL: settings.apiBaseURL, secretKey: settings.secretKey)
        let db = PluginDatabase(host: host)
        let rows = SubscriptionRows(db: db, settings: settings)
        let customers = Customers(host: host, stripe: stripe)
        let seats = Seats(host: host, settings: settings, stripe: stripe, rows: rows)
        self.host = host
        self.settings = settings
        self.customers = customers
        self.seats = seats
        webhook = StripeWebhook(host: host, settings: settings, stripe: stripe, rows: rows)
        routes = SubscriptionRoutes(host: host, settings: settings, stripe: stripe, rows: rows,
                                    references: References(host: host, settings: settings), customers: customers, seats: seats,
                                    apiURL: baseURL + (info["basePath"]?.stringValue ?? ""), baseURL: baseURL)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        do {
            switch call.kind {
            case .event(let index):
                try event(StripeManifest.Event(rawValue: index), call.envelope["payload"] ?? .null)
                return .result([:])
            case .job(let index):
                return .result(try job(StripeManifest.Job(rawValue: index), call.envelope["payload"] ?? .null))
            case .endpoint(let index):
                guard let route = StripeManifest.Route(rawValue: index) else { break }
                if route != .webhook, route != .success, !settings.subscriptionEnabled {
                    throw PluginError(status: 404, code: "NOT_FOUND", message: "Subscriptions are not enabled")
                }
                return try serve(route, call)
            default:
                break
            }
        } catch let refusal as StripeRefusal {
            throw PluginError(code: refusal.code, message: refusal.message)
        } catch let outage as StripeUnavailable {
            host.log(.error, "Stripe is unavailable: \(outage.reason)")
            throw PluginError(status: 502, code: "STRIPE_UNAVAILABLE", message: "Stripe could not be reached; try again")
        }
        return .error(status: 404, code: "NOT_FOUND", message: "Not found")
    }

    private func serve(_ route: StripeManifest.Route, _ call: PluginCall) throws -> PluginAnswer {
        switch route {
        case .upgrade: try routes.upgrade(call)
        case .cancel: try routes.cancel(call)
        case .restore: try routes.restore(call)
        case .list: try routes.list(call)
        case .billingPortal: try routes.billingPortal(call)
        case .success: try routes.success(call)
        case .webhook: try webhook.receive(call)
        }
    }

    private func event(_ event: StripeManifest.Event?, _ payload: JSONValue) throws {
        switch event {
        case .userCreated where settings.createCustomerOnSignUp:
            try customers.userCreated(payload["user"] ?? .null)
        case .memberAdded, .memberRemoved:
            if let organizationID = payload["organizationId"]?.stringValue { try reconcileSeats(of: organizationID) }
        default:
            break
        }
    }

    private func job(_ job: StripeManifest.Job?, _ payload: JSONValue) throws -> OrderedDictionary<String, JSONValue> {
        switch job {
        case .reconcileSeats:
            if let organizationID = payload["organizationId"]?.stringValue { try reconcileSeats(of: organizationID) }
            return [:]
        case .purgeEvents:
            return ["purged": .int(try webhook.purge())]
        case nil:
            return [:]
        }
    }

    /// Seats follow the member count; when Stripe cannot be reached, a minute later again (the
    /// count is read anew each time, so the last run bills the members there are then).
    private func reconcileSeats(of organizationID: String) throws {
        do {
            try seats.membersChanged(in: organizationID)
        } catch let outage as StripeUnavailable {
            host.log(.warning, "seats of organization \(organizationID) not updated (\(outage.reason)); trying again in a minute")
            try host.scheduleJob("reconcileSeats", after: .seconds(60), payload: ["organizationId": .string(organizationID)])
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: StripePlugin.self) }
