import GatehouseJSON
import PluginKit

/// Better Auth 1.7's email-otp plugin: one-time codes mailed for sign-in (and sign-up), email
/// verification and password reset, kept in the core `verification` table as Better Auth keeps
/// them. Built on PluginKit only; the host's CSPRNG, hash, encryption, password reset and
/// database operations do the work that needs secrets.
struct EmailOTPPlugin: GatehousePlugin {
    static let id = "email-otp"
    static let version = "1.0.0"
    static let name = "Email OTP"
    static let manifest = EmailOTPManifest.json

    let sending: Sending
    let verification: Verification

    init(host: PluginHost, settings: JSONValue) throws {
        let settings = try EmailOTPSettings(settings)
        let context = try EmailOTPContext(host: host, settings: settings, info: try host.call("host.info", [:]))
        if !context.emailAvailable {
            host.log(.warning, "email-otp: no email transport is configured; the routes that send codes answer 400 until one is")
        }
        let store = OTPStore(context: context)
        sending = Sending(context: context, store: store)
        verification = Verification(context: context, store: store)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(let index):
            guard let endpoint = EmailOTPManifest.Endpoint(rawValue: index) else { break }
            switch endpoint {
            case .sendVerificationOTP: return try sending.sendVerificationOTP(call)
            case .checkVerificationOTP: return try verification.check(call)
            case .verifyEmail: return try verification.verifyEmail(call)
            case .signIn: return try verification.signIn(call)
            case .requestPasswordReset, .forgetPassword: return try sending.requestPasswordReset(call)
            case .resetPassword: return try verification.resetPassword(call)
            }
        case .afterHook(let index):
            guard EmailOTPManifest.AfterHook(rawValue: index) == .signUp else { return .keep }
            return sending.afterSignUp(call)
        default:
            break
        }
        return .error(status: 404, code: "NOT_FOUND", message: "Not found")
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: EmailOTPPlugin.self) }
