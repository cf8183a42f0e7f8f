import GatehouseEmail
import Logging

/// Builds the email sender the configuration asks for (nil: email is off).
enum EmailSetup {
    static func sender(_ config: GatehouseConfig, logger: Logger) throws -> EmailSender? {
        let transport: any EmailTransport
        switch config.email.transport {
        case .none: return nil
        case .log: transport = LogTransport(logger: logger)
        case .webhook: transport = WebhookTransport(url: config.email.webhookURL ?? "")
        case .smtp:
            let startTLS: StartTLSMode = switch config.email.smtpStartTLS {
            case "off": .off
            case "required": .required
            default: .opportunistic
            }
            transport = SMTPTransport(settings: SMTPSettings(
                host: config.email.smtpHost ?? "localhost", port: config.email.smtpPort, secure: config.email.smtpSecure,
                startTLS: startTLS, username: config.email.smtpUsername, password: config.email.smtpPassword))
        }
        let templates: EmailTemplates
        do {
            templates = try EmailTemplates(directory: config.email.templatesDir)
        } catch {
            throw ConfigError(key: "email.templatesDir", "\(error)")
        }
        return EmailSender(transport: transport, templates: templates, from: config.email.from, logger: logger)
    }
}
