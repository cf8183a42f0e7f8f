import Foundation
import GatehouseCrypto
import Logging

/// Resolves the secret: the configured one, or one generated on first start and kept
/// (mode 0600) in `folder` (next to a SQLite file; the working directory for PostgreSQL) so
/// sessions survive restarts. Several instances on one database need one configured secret.
enum ServerSecret {
    static func resolve(configured: String?, folder directory: String, logger: Logger) throws -> String {
        if let configured {
            if configured == GatehouseConfig.defaultSecret || configured.count < 32 {
                logger.warning("the secret is the development default or shorter than 32 characters; set a long random secret before production")
            }
            return configured
        }
        let path = (directory.isEmpty ? "." : directory) + "/gatehouse.secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            existing.count >= 32
        {
            logger.info("using the generated secret kept from an earlier start", metadata: ["path": "\(path)"])
            return existing
        }
        let secret = RandomIdentifier.string(length: 64, alphabet: RandomIdentifier.alphanumeric)
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(key: "secret", "no secret configured and cannot write a generated one to \(path)")
        }
        logger.notice("no secret configured: generated one and kept it for later starts", metadata: ["path": "\(path)"])
        return secret
    }
}
