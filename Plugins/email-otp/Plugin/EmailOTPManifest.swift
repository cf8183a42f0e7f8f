import GatehouseJSON

/// What the plugin adds to the server (docs/plugin-abi.md §8): Better Auth 1.7's email-otp routes
/// with their bodies, the sign-up hook behind `sendVerificationOnSignUp`, Better Auth's rate limits
/// and the error codes.
enum EmailOTPManifest {
    /// Endpoint indices, in manifest order.
    enum Endpoint: Int, CaseIterable {
        case sendVerificationOTP, checkVerificationOTP, verifyEmail, signIn, requestPasswordReset, forgetPassword, resetPassword
    }

    /// After-hook indices, in manifest order.
    enum AfterHook: Int {
        case signUp
    }

    /// The types a code may be sent for (`change-email` has routes of its own in Better Auth,
    /// which this plugin does not offer).
    static let types = ["email-verification", "sign-in", "forget-password", "change-email"]

    static let json: JSONValue = [
        "endpoints": [
            // Better Auth guards this route alone with formCsrfMiddleware; the host applies it.
            endpoint("/email-otp/send-verification-otp", summary: "Send a verification OTP to an email", formCSRF: true, body: [
                property("email", required: true, "Email address to send the OTP"),
                property("type", required: true, "Type of the OTP: sign-in, email-verification or forget-password"),
            ]),
            endpoint("/email-otp/check-verification-otp", summary: "Check an OTP without using it up", body: [
                property("email", required: true, "Email address the OTP was sent to"),
                property("type", required: true, "Type of the OTP"),
                property("otp", required: true, "OTP to verify"),
            ]),
            endpoint("/email-otp/verify-email", summary: "Verify email with OTP", body: [
                property("email", required: true, "Email address to verify"),
                property("otp", required: true, "OTP to verify"),
            ]),
            endpoint("/sign-in/email-otp", summary: "Sign in with email and OTP", statuses: [422], body: [
                property("email", required: true, "Email address to sign in"),
                property("otp", required: true, "OTP sent to the email"),
                property("name", "User display name. Only used if the user is registering for the first time."),
                property("image", "User profile image URL. Only used if the user is registering for the first time."),
            ]),
            endpoint("/email-otp/request-password-reset", summary: "Request password reset with email and OTP", body: [
                property("email", required: true, "Email address to send the OTP"),
            ]),
            endpoint("/forget-password/email-otp", summary: "Deprecated: Use /email-otp/request-password-reset instead.", body: [
                property("email", required: true, "Email address to send the OTP"),
            ]),
            endpoint("/email-otp/reset-password", summary: "Reset password with email and OTP", body: [
                property("email", required: true, "Email address to reset the password"),
                property("otp", required: true, "OTP sent to the email"),
                property("password", required: true, "New password"),
            ]),
        ],
        "hooks": ["after": [
            // Only successful sign-ups carry `user.email`; the hook reads nothing else.
            ["matcher": "/sign-up/**", "envelope": ["response"]],
        ]],
        // Better Auth's rule for each of these routes: 3 requests per 60 seconds.
        "rateLimit": .array([
            "/email-otp/send-verification-otp", "/email-otp/check-verification-otp", "/email-otp/verify-email", "/sign-in/email-otp",
            "/email-otp/request-password-reset", "/email-otp/reset-password", "/forget-password/email-otp",
        ].map { ["path": .string($0), "window": 60, "max": 3] }),
        "errorCodes": EmailOTPError.declared,
    ]

    /// Routes read their body only; `email` is a plain string so that the plugin answers a
    /// malformed address with Better Auth's `INVALID_EMAIL` rather than `VALIDATION_ERROR`.
    private static func endpoint(_ path: String, summary: String, formCSRF: Bool = false, statuses: [Int] = [], body: [JSONValue]) -> JSONValue {
        ["method": "POST", "path": .string(path), "auth": "none", "summary": .string(summary), "formCSRF": .bool(formCSRF),
         "body": ["properties": .array(body)], "envelope": ["body"], "statuses": .array(statuses.map(JSONValue.int))]
    }

    private static func property(_ name: String, required: Bool = false, _ description: String) -> JSONValue {
        ["name": .string(name), "type": "string", "required": .bool(required), "description": .string(description)]
    }
}
