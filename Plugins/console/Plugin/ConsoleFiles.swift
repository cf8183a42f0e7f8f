/// The console's templates and static files, kept as files in `Templates/` and compiled into the
/// library (`embedInCode` in Package.swift): a dynamic library must not look for files at run
/// time. Each page's template inherits `layout`; `{{ }}` HTML-escapes every value, and no
/// template uses `{{{ }}}`.
enum ConsoleFiles {
    /// The mustache templates by name (a template's name is its file's, without `.mustache`).
    static let templates: [String: String] = [
        "layout": text(PackageResources.layout_mustache), "error": text(PackageResources.error_mustache),
        "time": text(PackageResources.time_mustache), "pager": text(PackageResources.pager_mustache),
        "sign-in": text(PackageResources.sign_in_mustache), "two-factor": text(PackageResources.two_factor_mustache),
        "dashboard": text(PackageResources.dashboard_mustache), "users": text(PackageResources.users_mustache),
        "user": text(PackageResources.user_mustache), "organizations": text(PackageResources.organizations_mustache),
        "organization": text(PackageResources.organization_mustache), "plugins": text(PackageResources.plugins_mustache),
        "webhooks": text(PackageResources.webhooks_mustache), "audit": text(PackageResources.audit_mustache),
    ]

    /// Enhancement only: every form posts and every link works the same without it (it focuses
    /// the status message and disables a form's buttons once it is on its way).
    static let script = text(PackageResources.console_js)
    static let stylesheet = text(PackageResources.console_css)

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
