import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's two-factor plugin (contract §7.1): TOTP, email OTP and backup codes as second
/// factors, sign-in interception with a signed `two_factor` challenge cookie, trusted devices
/// and account lockout. Built on PluginKit only; the host's HMAC, encryption, password and
/// database operations do the work that needs secrets. Its services (`TwoFactorServices`) check a
/// code for another plugin's sign-in.
struct TwoFactorPlugin: GatehousePlugin {
    static let id = "two-factor"
    static let version = "1.0.0"
    static let name = "Two-factor authentication"
    static let manifest = TwoFactorManifest.json

    let enrolment: Enrolment
    let verification: Verification
    let interception: SignInInterception
    let services: TwoFactorServices

    init(host: PluginHost, settings: JSONValue) throws {
        let settings = try TwoFactorSettings(settings)
        let info = try host.call("host.info", [:])
        let context = TwoFactorContext(host: host, settings: settings, appName: info["appName"]?.stringValue ?? "Gatehouse",
                                       emailAvailable: info["email"]?.boolValue ?? false)
        enrolment = Enrolment(context)
        verification = Verification(context)
        interception = SignInInterception(context)
        services = TwoFactorServices(verification: verification)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(let index):
            guard let endpoint = TwoFactorManifest.Endpoint(rawValue: index) else { break }
            switch endpoint {
            case .enable: return try enrolment.enable(call)
            case .disable: return try enrolment.disable(call)
            case .getTOTPURI: return try enrolment.totpURI(call)
            case .generateBackupCodes: return try enrolment.regenerateBackupCodes(call)
            case .verifyTOTP: return try verification.verifyTOTP(call)
            case .sendOTP: return try verification.sendOTP(call)
            case .verifyOTP: return try verification.verifyOTP(call)
            case .verifyBackupCode: return try verification.verifyBackupCode(call)
            }
        case .afterHook:
            return try interception.intercept(call)
        case .event:
            return try enrolment.revokeUnproven(call)
        case .service(let index) where TwoFactorServices.names.indices.contains(index):
            return .result(try services.answer(index, call.envelope["request"] ?? [:]).objectValue ?? [:])
        default:
            break
        }
        return .error(status: 404, code: "NOT_FOUND", message: "Not found")
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: TwoFactorPlugin.self) }
