/// The built-in templates: plain, friendly wording with `{{appName}}` and the link `{{url}}`.
enum DefaultTemplates {
    /// Every built-in kind, keyed by kind.
    static let all: [String: DefaultTemplate] = [
        "reset-password": resetPassword,
        "verify-email": verifyEmail,
        "change-email-confirmation": changeEmailConfirmation,
        "delete-account": deleteAccount,
        "otp": otp,
        "invitation": invitation,
        "magic-link": magicLink,
        "account-locked": accountLocked,
    ]

    static let resetPassword = DefaultTemplate(
        subject: "Reset your {{{appName}}} password",
        text: """
        Hi,

        Someone asked to reset the password of your {{{appName}}} account. To choose a new one, open this link:

        {{{url}}}

        If that wasn't you, you can ignore this email: your password stays as it is.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>Someone asked to reset the password of your {{appName}} account. To choose a new one, use the button below.</p>
        \(DefaultTemplate.button("Reset password"))
        <p>If that wasn't you, you can ignore this email: your password stays as it is.</p>
        """)
    )

    static let verifyEmail = DefaultTemplate(
        subject: "Verify your email address for {{{appName}}}",
        text: """
        Hi,

        Please confirm that this is your email address for {{{appName}}} by opening this link:

        {{{url}}}

        If you didn't sign up for {{{appName}}}, you can ignore this email.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>Please confirm that this is your email address for {{appName}}.</p>
        \(DefaultTemplate.button("Verify email address"))
        <p>If you didn't sign up for {{appName}}, you can ignore this email.</p>
        """)
    )

    static let changeEmailConfirmation = DefaultTemplate(
        subject: "Confirm the change of your {{{appName}}} email address",
        text: """
        Hi,

        Someone asked to change the email address of your {{{appName}}} account{{#newEmail}} to {{{newEmail}}}{{/newEmail}}. To approve the change, open this link:

        {{{url}}}

        If that wasn't you, ignore this email and your address stays as it is.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>Someone asked to change the email address of your {{appName}} account{{#newEmail}} to <strong>{{newEmail}}</strong>{{/newEmail}}. To approve the change, use the button below.</p>
        \(DefaultTemplate.button("Approve the change"))
        <p>If that wasn't you, ignore this email and your address stays as it is.</p>
        """)
    )

    static let deleteAccount = DefaultTemplate(
        subject: "Confirm deleting your {{{appName}}} account",
        text: """
        Hi,

        Someone asked to delete your {{{appName}}} account. This cannot be undone. To confirm, open this link:

        {{{url}}}

        If that wasn't you, ignore this email and your account stays as it is.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>Someone asked to delete your {{appName}} account. This cannot be undone. To confirm, use the button below.</p>
        \(DefaultTemplate.button("Delete my account"))
        <p>If that wasn't you, ignore this email and your account stays as it is.</p>
        """)
    )

    /// Sent once per lock (`emailAndPassword.lockout`); it never carries a tried password.
    static let accountLocked = DefaultTemplate(
        subject: "Sign-in to your {{{appName}}} account is paused",
        text: """
        Hi,

        There were too many failed attempts to sign in to your {{{appName}}} account with its password, so password sign-in is paused until {{{lockedUntil}}} (UTC).

        If that was you, wait until then or reset your password, which ends the pause at once. If it wasn't, your password held: consider changing it to a long one you use nowhere else.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>There were too many failed attempts to sign in to your {{appName}} account with its password, so password sign-in is paused until {{lockedUntil}} (UTC).</p>
        <p>If that was you, wait until then or reset your password, which ends the pause at once. If it wasn't, your password held: consider changing it to a long one you use nowhere else.</p>
        """)
    )

    static let magicLink = DefaultTemplate(
        subject: "Sign in to {{{appName}}}",
        text: """
        Hi,

        To sign in to {{{appName}}}, open this link:

        {{{url}}}

        It works once and expires soon. If you didn't ask to sign in, you can ignore this email.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>To sign in to {{appName}}, use the button below.</p>
        \(DefaultTemplate.button("Sign in"))
        <p>It works once and expires soon. If you didn't ask to sign in, you can ignore this email.</p>
        """)
    )

    static let otp = DefaultTemplate(
        subject: "Your {{{appName}}} verification code",
        text: """
        Hi,

        Your {{{appName}}} verification code is:

        {{{otp}}}

        It expires soon. If you didn't ask for a code, you can ignore this email.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>Your {{appName}} verification code is:</p>
        <p style="font-size:28px;font-weight:bold;letter-spacing:4px;">{{otp}}</p>
        <p>It expires soon. If you didn't ask for a code, you can ignore this email.</p>
        """)
    )

    static let invitation = DefaultTemplate(
        subject: "{{{inviterName}}} invited you to join {{{organizationName}}} on {{{appName}}}",
        text: """
        Hi,

        {{{inviterName}}} invited you to join {{{organizationName}}} on {{{appName}}}. To accept, open this link:

        {{{url}}}

        If you weren't expecting this invitation, you can ignore this email.

        """,
        html: DefaultTemplate.page("""
        <p>Hi,</p>
        <p>{{inviterName}} invited you to join <strong>{{organizationName}}</strong> on {{appName}}.</p>
        \(DefaultTemplate.button("Accept invitation"))
        <p>If you weren't expecting this invitation, you can ignore this email.</p>
        """)
    )
}
