import Ethereum
import Foundation
import GatehouseJSON
import PluginKit

/// Sign-In with Ethereum (contract §7.3) with Better Auth 1.7's routes, except that Gatehouse
/// checks the signature itself: EIP-4361 parsing, EIP-191 hashing with Keccak-256 and public-key
/// recovery with libsecp256k1, which this plugin links on its own.
struct SIWEPlugin: GatehousePlugin {
    static let id = "siwe"
    static let version = "1.0.0"
    static let name = "Sign-In with Ethereum"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "POST", "path": "/siwe/nonce", "summary": "A single-use nonce for an EIP-4361 message", "envelope": []],
            ["method": "POST", "path": "/siwe/get-nonce", "summary": "A single-use nonce (alias of /siwe/nonce)", "envelope": []],
            ["method": "POST", "path": "/siwe/verify", "summary": "Sign in with a signed EIP-4361 message",
             "body": ["properties": [["name": "message", "type": "string", "required": true], ["name": "signature", "type": "string", "required": true],
                                     ["name": "email", "type": "email"]]],
             "envelope": ["body"], "statuses": [401, 422]],
        ],
        "schema": ["tables": [[
            "name": "walletAddress",
            "fields": [
                ["name": "userId", "type": "string", "index": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
                ["name": "address", "type": "string"],
                ["name": "chainId", "type": "number"],
                ["name": "isPrimary", "type": "boolean", "required": false, "defaultValue": false],
                ["name": "createdAt", "type": "date", "defaultValue": "now"],
            ],
            "uniqueTogether": [["address", "chainId"]],
        ]]],
        "errorCodes": SIWEError.manifestEntries,
    ]

    static let nonceTTL = 900
    let host: PluginHost
    let settings: SIWESettings
    let wallets: Wallets

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        self.settings = try SIWESettings(settings, baseURL: try host.call("host.info", [:])["baseURL"]?.stringValue ?? "")
        wallets = Wallets(host: host, settings: self.settings)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(0), .endpoint(1): return try nonce()
        case .endpoint(2): return try verify(call)
        default: return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }

    /// A 24-character nonce, stored as `siwe:<nonce>` for 15 minutes.
    private func nonce() throws -> PluginAnswer {
        let nonce = host.randomText(24, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        _ = try host.call("verifications.create", ["identifier": .string("siwe:" + nonce), "value": "1", "expiresIn": .int(Self.nonceTTL)])
        return .json(["nonce": .string(nonce)])
    }

    private func verify(_ call: PluginCall) throws -> PluginAnswer {
        let text = call.body["message"]?.stringValue ?? ""
        let message: SIWEMessage
        do { message = try SIWEMessage(parsing: text) } catch { throw SIWEError.invalidMessage.failure(error.reason) }
        guard try host.call("verifications.consume", ["identifier": .string("siwe:" + message.nonce)])["value"]?.stringValue != nil else {
            throw SIWEError.invalidNonce.failure
        }
        try check(message)
        let signer: EthereumAddress
        do { signer = try PersonalSign.signer(of: text, signature: call.body["signature"]?.stringValue ?? "") } catch {
            throw SIWEError.invalidSignature.failure(error.description)
        }
        guard signer == message.address else { throw SIWEError.invalidSignature.failure("signed by another address") }
        let user = try wallets.user(for: message.address, chainID: message.chainID, email: call.body["email"]?.stringValue)
        return PluginAnswer.json(["token": .null, "success": true,
                                  "user": ["id": .string(user), "walletAddress": .string(message.address.checksummed), "chainId": .int(message.chainID)]])
            .signIn(userID: user, tokenKey: "token")
    }

    /// Domain, URI, chain and validity window.
    private func check(_ message: SIWEMessage) throws {
        guard message.domain.lowercased() == settings.domain else { throw SIWEError.messageMismatch.failure("the domain is not \(settings.domain)") }
        let authority = URLComponents(string: message.uri).map { ($0.host ?? "").lowercased() + ($0.port.map { ":\($0)" } ?? "") }
        let uriMatches = settings.uris.isEmpty
            ? authority == settings.domain || authority == settings.ownAuthority
            : settings.uris.contains { message.uri.hasPrefix($0) }
        guard uriMatches else { throw SIWEError.messageMismatch.failure("the URI is not allowed") }
        guard message.chainID > 0, settings.chainIDs.isEmpty || settings.chainIDs.contains(message.chainID) else {
            throw SIWEError.messageMismatch.failure("chain \(message.chainID) is not allowed")
        }
        let now = Date()
        if let expiry = message.expirationTime, expiry <= now { throw SIWEError.messageExpired.failure }
        if let start = message.notBefore, start > now { throw SIWEError.messageNotYetValid.failure }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: SIWEPlugin.self) }
