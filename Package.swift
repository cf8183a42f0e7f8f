// swift-tools-version: 6.1
import Foundation
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
/// Each plugin library exports its entry symbol only (Plugins/exports.map).
let pluginLinking: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--version-script=\(root)/Plugins/exports.map"])]

/// A bundled plugin: its own dynamic library, built on PluginKit only; `resources` are compiled in.
func plugin(_ product: String, _ target: String, path: String, dependencies: [Target.Dependency] = [],
            resources: [Resource]? = nil) -> (Product, Target) {
    (.library(name: product, type: .dynamic, targets: [target]),
     .target(name: target, dependencies: ["PluginKit"] + dependencies, path: path, resources: resources, swiftSettings: swift6,
             linkerSettings: pluginLinking))
}

/// The console's pages (mustache templates) and static files, in Plugins/console/Plugin/Templates.
let consoleFiles = ["layout", "error", "time", "pager", "sign-in", "two-factor", "dashboard", "users", "user", "organizations",
                    "organization", "plugins", "webhooks", "audit"].map { "Templates/\($0).mustache" } + ["Templates/console.js", "Templates/console.css"]

let plugins = [
    plugin("bearer", "BearerPlugin", path: "Plugins/bearer"),
    plugin("jwt", "JWTPlugin", path: "Plugins/jwt"),
    plugin("two-factor", "TwoFactorPlugin", path: "Plugins/two-factor/Plugin", dependencies: ["OneTimePassword", "CQRencode"]),
    plugin("passkey", "PasskeyPlugin", path: "Plugins/passkey/Plugin", dependencies: ["CBOR"]),
    plugin("siwe", "SIWEPlugin", path: "Plugins/siwe/Plugin", dependencies: ["Ethereum"]),
    plugin("organization", "OrganizationPlugin", path: "Plugins/organization/Plugin"),
    plugin("audit-log", "AuditLogPlugin", path: "Plugins/audit-log/Plugin"),
    plugin("sso", "SSOPlugin", path: "Plugins/sso/Plugin", dependencies: ["SAML", "NetworkAddress"]),
    plugin("webhooks", "WebhooksPlugin", path: "Plugins/webhooks/Plugin", dependencies: ["WebhookDelivery", "NetworkAddress"]),
    plugin("scim", "SCIMPlugin", path: "Plugins/scim/Plugin",
           dependencies: ["SCIMProtocol", .product(name: "OrderedCollections", package: "swift-collections")]),
    plugin("stripe", "StripePlugin", path: "Plugins/stripe/Plugin",
           dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]),
    plugin("magic-link", "MagicLinkPlugin", path: "Plugins/magic-link/Plugin", dependencies: ["EmailSyntax"]),
    plugin("email-otp", "EmailOTPPlugin", path: "Plugins/email-otp/Plugin", dependencies: ["EmailSyntax"]),
    plugin("one-time-token", "OneTimeTokenPlugin", path: "Plugins/one-time-token/Plugin"),
    plugin("anonymous", "AnonymousPlugin", path: "Plugins/anonymous/Plugin", dependencies: ["EmailSyntax"]),
    plugin("admin", "AdminPlugin", path: "Plugins/admin/Plugin", dependencies: ["EmailSyntax"]),
    plugin("username", "UsernamePlugin", path: "Plugins/username/Plugin"),
    plugin("multi-session", "MultiSessionPlugin", path: "Plugins/multi-session/Plugin"),
    plugin("oauth-provider", "OAuthProviderPlugin", path: "Plugins/oauth-provider/Plugin",
           dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]),
    plugin("console", "ConsolePlugin", path: "Plugins/console/Plugin", dependencies: [.product(name: "Mustache", package: "swift-mustache")],
           resources: consoleFiles.map { .embedInCode($0) }),
    plugin("hello-swift", "HelloSwiftPlugin", path: "Plugins/Examples/hello-swift"),
    plugin("host-probe", "HostProbePlugin", path: "Tests/Fixtures/HostProbePlugin"),
]

/// libFuzzer targets, one per parser of untrusted input (scripts/fuzz.sh): `Tests/Fuzz/<name>/`
/// holds `Fuzz<name>.swift`, its seed corpus `Corpus/` and its libFuzzer dictionary `<name>.dict`.
/// Without `-DFUZZING` they build as tools that replay inputs given as arguments.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: "Fuzz" + name, dependencies: ["FuzzSupport"] + dependencies, path: "Tests/Fuzz/" + name,
                      exclude: ["Corpus", name + ".dict"], swiftSettings: swift6)
}

let fuzzTargets: [Target] = [
    .target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport", swiftSettings: swift6),
    fuzzTarget("JSON", ["GatehouseJSON"]),
    fuzzTarget("CookieHeader", ["HTTPSyntax"]),
    fuzzTarget("SignedCookie", ["GatehouseCrypto"]),
    fuzzTarget("FormBody", ["HTTPSyntax"]),
    fuzzTarget("CBOR", ["CBOR"]),
    fuzzTarget("SIWE", ["Ethereum"]),
    fuzzTarget("SAMLResponse", ["SAML"]),
    fuzzTarget("SCIMFilter", ["SCIMProtocol", "GatehouseJSON"]),
]

let package = Package(
    name: "Gatehouse",
    platforms: [.macOS(.v15), .iOS(.v16)],
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        // For plugins outside this repository (docs/plugin-abi.md §13): the Swift layer over the
        // ABI, and a fake host that runs a plugin's handlers in unit tests without a server.
        .library(name: "PluginKit", targets: ["PluginKit"]),
        .library(name: "PluginKitTesting", targets: ["PluginKitTesting"]),
        // For apps (iOS, macOS, Linux): a client of the HTTP API, Foundation only (README: "Apps").
        .library(name: "GatehouseClient", targets: ["GatehouseClient"]),
    ] + plugins.map(\.0),
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries from Debian: SQLite, libsodium (argon2id) and libcurl (SMTP, webhooks).
        .systemLibrary(name: "CSodium", path: "Host/Sources/CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Host/Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "GatehousePluginABI", path: "PluginAPI/include"),
        .target(name: "SwiftToolchainVersion", path: "Host/Sources/SwiftToolchainVersion", swiftSettings: swift6),
        .target(name: "CCurlShim", path: "Host/Sources/CCurlShim", linkerSettings: [.linkedLibrary("curl")]),

        .target(name: "GatehouseJSON", dependencies: [
            .product(name: "OrderedCollections", package: "swift-collections"),
        ], path: "Host/Sources/GatehouseJSON", swiftSettings: swift6),
        .target(name: "GatehouseCrypto", dependencies: [
            "CSodium",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ], path: "Host/Sources/GatehouseCrypto", swiftSettings: swift6),
        .target(name: "GatehouseStorage", dependencies: [
            "GatehouseJSON",
            "CSQLite",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "OrderedCollections", package: "swift-collections"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Host/Sources/GatehouseStorage", swiftSettings: swift6),
        // Outbound HTTP(S) with libcurl: transfers on threads of their own, connections checked
        // against the network address policy (no private networks unless allowed).
        .target(name: "GatehouseOutbound", dependencies: ["CCurlShim", "NetworkAddress"], path: "Host/Sources/GatehouseOutbound", swiftSettings: swift6),
        // Which IP addresses are public (the SSRF guard's classifier); no dependencies, so the
        // webhooks plugin links it too.
        .target(name: "NetworkAddress", path: "Host/Sources/NetworkAddress", swiftSettings: swift6),
        // New passwords screened against common and breached ones: the built-in list (a data file
        // compiled in), an operator's list, and Have I Been Pwned's k-anonymity range API.
        .target(name: "PasswordScreening", dependencies: [
            "GatehouseOutbound", "GatehouseCrypto", .product(name: "Crypto", package: "swift-crypto"),
        ], path: "Host/Sources/PasswordScreening", resources: [.embedInCode("Blocklist/common-passwords.txt")], swiftSettings: swift6),
        // Email address syntax, shared by the core's routes and the plugins that take addresses.
        .target(name: "EmailSyntax", path: "Host/Sources/EmailSyntax", swiftSettings: swift6),
        // `Cookie` headers and query strings / form bodies, apart from the server so they are
        // fuzzed without it.
        .target(name: "HTTPSyntax", dependencies: [
            .product(name: "OrderedCollections", package: "swift-collections"),
        ], path: "Host/Sources/HTTPSyntax", swiftSettings: swift6),
        .target(name: "GatehouseEmail", dependencies: [
            "CCurlShim", "GatehouseOutbound", "GatehouseJSON",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Host/Sources/GatehouseEmail", swiftSettings: swift6),
        // OAuth 2.0 / OpenID Connect client: providers, flows, discovery, ID-token verification.
        .target(name: "GatehouseOAuth", dependencies: [
            "GatehouseJSON", "GatehouseCrypto",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Host/Sources/GatehouseOAuth", swiftSettings: swift6),
        .target(name: "GatehouseServer", dependencies: [
            "GatehouseJSON", "GatehouseCrypto", "GatehouseStorage", "GatehouseEmail", "GatehouseOutbound", "GatehouseOAuth", "GatehousePluginABI",
            "GatehouseHostABI", "SwiftToolchainVersion", "EmailSyntax", "NetworkAddress", "PasswordScreening", "HTTPSyntax",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "OrderedCollections", package: "swift-collections"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "X509", package: "swift-certificates"),
        ], path: "Host/Sources/GatehouseServer", swiftSettings: swift6),
        .executableTarget(name: "gatehouse", dependencies: [
            "GatehouseServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Host/Sources/gatehouse", swiftSettings: swift6),

        .target(name: "PluginKit", dependencies: [
            "GatehouseJSON", "GatehousePluginABI", "SwiftToolchainVersion",
            .product(name: "OrderedCollections", package: "swift-collections"),
        ], path: "PluginAPI/PluginKit", swiftSettings: swift6),
        // The host's side of the ABI, shared by the server and PluginKitTesting's fake host (not
        // by PluginKit: plugins do not link it): buffers, the host table, hash algorithms.
        .target(name: "GatehouseHostABI", dependencies: [
            "GatehousePluginABI", .product(name: "Crypto", package: "swift-crypto"),
        ], path: "PluginAPI/HostABI", swiftSettings: swift6),
        .target(name: "PluginKitTesting", dependencies: [
            "PluginKit", "GatehouseJSON", "GatehousePluginABI", "GatehouseHostABI", "SwiftToolchainVersion",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "OrderedCollections", package: "swift-collections"),
        ], path: "PluginAPI/PluginKitTesting", swiftSettings: swift6),

        // The two-factor plugin's own native dependency: QR codes of the otpauth:// URI.
        .systemLibrary(name: "CQRencode", path: "Plugins/two-factor/CQRencode", pkgConfig: "libqrencode",
                       providers: [.apt(["libqrencode-dev"])]),
        // HOTP/TOTP, base32 and otpauth URIs for the two-factor plugin (linked into it statically).
        .target(name: "OneTimePassword", path: "Plugins/two-factor/OneTimePassword", swiftSettings: swift6),

        // The siwe plugin's own native dependency: secp256k1 public-key recovery.
        .systemLibrary(name: "CSecp256k1", path: "Plugins/siwe/CSecp256k1", pkgConfig: "libsecp256k1",
                       providers: [.apt(["libsecp256k1-dev"])]),
        // Keccak-256, EIP-55 addresses, EIP-191 signatures and EIP-4361 messages (linked into the siwe plugin).
        .target(name: "Ethereum", dependencies: ["CSecp256k1"], path: "Plugins/siwe/Ethereum", swiftSettings: swift6),
        .testTarget(name: "EthereumTests", dependencies: ["Ethereum"], path: "Tests/EthereumTests", swiftSettings: swift6),
        // A strict CBOR decoder for WebAuthn (linked into the passkey plugin statically).
        .target(name: "CBOR", path: "Plugins/passkey/CBOR", swiftSettings: swift6),
        // SAML for the sso plugin: Debian's libxmlsec1 (OpenSSL engine) and libxml2 behind a C shim
        // (xmlsec's API is mostly macros; libxml2's headers pull in ICU, which Swift cannot import
        // beside Foundation), and the Response checks in Swift.
        .target(name: "CSAML", path: "Plugins/sso/CSAML", cSettings: [
            // What `pkg-config --cflags xmlsec1-openssl` says for Debian's libxmlsec1-dev.
            .unsafeFlags(["-I/usr/include/xmlsec1", "-I/usr/include/libxml2"]),
            .define("XMLSEC_CRYPTO_OPENSSL", to: "1"), .define("XMLSEC_NO_SIZE_T"), .define("XMLSEC_OPENSSL3_ENGINES", to: "1"),
            .define("XMLSEC_NO_GOST", to: "1"), .define("XMLSEC_NO_GOST2012", to: "1"), .define("XMLSEC_NO_CRYPTO_DYNAMIC_LOADING", to: "1"),
            .define("__XMLSEC_FUNCTION__", to: "__func__"),
        ], linkerSettings: [.linkedLibrary("xmlsec1-openssl"), .linkedLibrary("xmlsec1"), .linkedLibrary("xml2"), .linkedLibrary("z")]),
        .target(name: "SAML", dependencies: ["CSAML"], path: "Plugins/sso/SAML", swiftSettings: swift6),
        .testTarget(name: "SAMLTests", dependencies: ["SAML"], path: "Tests/SAMLTests", exclude: ["Fixtures"], swiftSettings: swift6),
        // SCIM 2.0 resources, filters and PATCH (RFC 7643/7644), pure Swift over JSON values.
        .target(name: "SCIMProtocol", dependencies: ["GatehouseJSON"], path: "Plugins/scim/Protocol", swiftSettings: swift6),
        .testTarget(name: "SCIMProtocolTests", dependencies: ["SCIMProtocol", "GatehouseJSON"], path: "Tests/SCIMProtocolTests", swiftSettings: swift6),
        // Standard Webhooks signatures and the retry schedule, pure Swift (unit-tested on their own).
        .target(name: "WebhookDelivery", path: "Plugins/webhooks/Delivery", swiftSettings: swift6),
        .testTarget(name: "WebhookDeliveryTests", dependencies: ["WebhookDelivery", .product(name: "Crypto", package: "swift-crypto")],
                    path: "Tests/WebhookDeliveryTests", swiftSettings: swift6),

        .testTarget(name: "CBORTests", dependencies: ["CBOR"], path: "Tests/CBORTests", swiftSettings: swift6),
        .testTarget(name: "OneTimePasswordTests", dependencies: [
                        "OneTimePassword", .product(name: "Crypto", package: "swift-crypto"),
                    ],
                    path: "Tests/OneTimePasswordTests", swiftSettings: swift6),
        .testTarget(name: "GatehouseCryptoTests", dependencies: ["GatehouseCrypto"],
                    path: "Tests/GatehouseCryptoTests", swiftSettings: swift6),
        .testTarget(name: "GatehouseStorageTests", dependencies: ["GatehouseStorage"],
                    path: "Tests/GatehouseStorageTests", swiftSettings: swift6),
        .testTarget(name: "GatehouseEmailTests", dependencies: ["GatehouseEmail", "GatehouseJSON"],
                    path: "Tests/GatehouseEmailTests", exclude: ["smtp_sink.py", "webhook_sink.py"], swiftSettings: swift6),
        .testTarget(name: "PasswordScreeningTests", dependencies: ["PasswordScreening"], path: "Tests/PasswordScreeningTests", swiftSettings: swift6),
        .testTarget(name: "HTTPSyntaxTests", dependencies: ["HTTPSyntax"], path: "Tests/HTTPSyntaxTests", swiftSettings: swift6),
        .testTarget(name: "NetworkAddressTests", dependencies: ["NetworkAddress"], path: "Tests/NetworkAddressTests", swiftSettings: swift6),
        .testTarget(name: "GatehouseOAuthTests", dependencies: [
                        "GatehouseOAuth", "GatehouseCrypto", "GatehouseJSON", .product(name: "Crypto", package: "swift-crypto"),
                    ],
                    path: "Tests/GatehouseOAuthTests", swiftSettings: swift6),
        .testTarget(name: "GatehouseServerTests", dependencies: [
                        "GatehouseServer", "GatehousePluginABI", "EmailSyntax", "NetworkAddress", .product(name: "Crypto", package: "swift-crypto"),
                    ],
                    path: "Tests/GatehouseServerTests", swiftSettings: swift6),
        // Plugins on PluginKitTesting. All test targets link into one test binary and every plugin
        // target defines the entry symbol, so only one links its plugin (organization, tested as a
        // type); the others load the plugin's built library (libbearer.so, libaudit-log.so).
        .testTarget(name: "PluginKitTestingTests", dependencies: ["PluginKitTesting", "PluginKit", "GatehouseJSON", "GatehouseCrypto"],
                    path: "Tests/PluginKitTestingTests", swiftSettings: swift6),
        .testTarget(name: "OrganizationPluginTests", dependencies: ["OrganizationPlugin", "PluginKitTesting", "PluginKit", "GatehouseJSON"],
                    path: "Tests/OrganizationPluginTests", swiftSettings: swift6),
        .testTarget(name: "BearerPluginTests", dependencies: ["PluginKitTesting", "GatehouseJSON"],
                    path: "Tests/BearerPluginTests", swiftSettings: swift6),
        .testTarget(name: "WebhooksPluginTests", dependencies: ["PluginKitTesting", "PluginKit", "GatehouseJSON",
                                                             .product(name: "Crypto", package: "swift-crypto")],
                    path: "Tests/WebhooksPluginTests", swiftSettings: swift6),
        .testTarget(name: "SCIMPluginTests", dependencies: ["PluginKitTesting", "PluginKit", "GatehouseJSON",
                                                         .product(name: "Crypto", package: "swift-crypto")],
                    path: "Tests/SCIMPluginTests", swiftSettings: swift6),
        // The Swift client library for apps (Foundation only, no package), and its tests against the real
        // server and real peers (Tests/GatehouseClientTests/Peers).
        .target(name: "GatehouseClient", path: "Client/GatehouseClient", swiftSettings: swift6),
        .testTarget(name: "GatehouseClientTests", dependencies: ["GatehouseClient"], path: "Tests/GatehouseClientTests",
                    exclude: ["Peers"], swiftSettings: swift6),
        .testTarget(name: "AuditLogPluginTests", dependencies: ["PluginKitTesting", "GatehouseJSON"],
                    path: "Tests/AuditLogPluginTests", swiftSettings: swift6),
    ] + plugins.map(\.1) + fuzzTargets
)
