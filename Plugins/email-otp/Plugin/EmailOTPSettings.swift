import GatehouseJSON
import PluginKit

/// `plugins.email-otp`, with Better Auth's option names and defaults (`EmailOTPOptions`). An
/// unknown key or a bad value refuses the plugin with a message naming the key, never the value.
struct EmailOTPSettings: Sendable {
    /// How codes are kept in the `verification` table; what is mailed is always the code itself.
    enum Storage: String, Sendable, CaseIterable {
        /// The code as it is (Better Auth's default).
        case plain
        /// base64url(SHA-256(code)) without padding, as Better Auth's `defaultKeyHasher`.
        case hashed
        /// Better Auth's `symmetricEncrypt` under the server secret (the host's `encrypt`).
        case encrypted
    }

    /// What a new request does while an earlier code is still valid.
    enum ResendStrategy: String, Sendable, CaseIterable {
        /// A new code every time (Better Auth's default).
        case rotate
        /// Mail the same code again and extend its life; falls back to `rotate` for hashed codes.
        case reuse
    }

    var otpLength = 6
    /// Seconds a code stays valid.
    var expiresIn = 300
    /// Wrong codes tolerated; the next try after that many is refused and the code is gone.
    var allowedAttempts = 3
    /// Sign-in codes never create users: unknown addresses get no mail and no account.
    var disableSignUp = false
    var storeOTP = Storage.plain
    var resendStrategy = ResendStrategy.rotate
    /// Mail an `email-verification` code after every successful `/sign-up/*`.
    var sendVerificationOnSignUp = false

    static let keys: Set<String> = [
        "otpLength", "expiresIn", "allowedAttempts", "disableSignUp", "storeOTP", "resendStrategy",
        "sendVerificationOnSignUp", "overrideDefaultEmailVerification",
    ]

    /// Better Auth options this plugin does not take, with the reason.
    static let refusals: [String: String] = [
        "changeEmail": "is not supported: the change-email routes are not offered",
        "rateLimit": "is not supported: set rateLimit.customRules in the server configuration",
        "sendVerificationOTP": "is a JavaScript callback: codes are mailed with the host's otp template",
        "generateOTP": "is a JavaScript callback: codes are always otpLength random digits",
    ]

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "email-otp", keys: Self.keys, refusals: Self.refusals)
        otpLength = try reader.int("otpLength", in: 4...12) ?? otpLength
        expiresIn = try reader.int("expiresIn", in: 1...86_400) ?? expiresIn
        allowedAttempts = try reader.int("allowedAttempts", in: 1...100) ?? allowedAttempts
        disableSignUp = try reader.bool("disableSignUp") ?? disableSignUp
        storeOTP = try reader.oneOf("storeOTP", Storage.self) ?? storeOTP
        resendStrategy = try reader.oneOf("resendStrategy", ResendStrategy.self) ?? resendStrategy
        sendVerificationOnSignUp = try reader.bool("sendVerificationOnSignUp") ?? sendVerificationOnSignUp
        // The core sends its own verification links; a plugin cannot replace that sender.
        if try reader.bool("overrideDefaultEmailVerification") == true {
            throw reader.invalid("overrideDefaultEmailVerification", "is not supported: the core's verification emails cannot be replaced by a plugin")
        }
    }
}
