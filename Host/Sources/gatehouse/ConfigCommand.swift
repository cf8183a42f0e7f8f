import ArgumentParser
import GatehouseServer

/// `gatehouse config validate`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Work with the configuration.",
                                                    subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the configuration and report the first problem.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            print("Configuration is valid (mode \(config.mode.rawValue), database \(config.databaseDisplayed), baseURL \(config.baseURL)).")
        }
    }
}

/// `gatehouse secret`: prints a new random secret.
struct Secret: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a new random secret for GATEHOUSE_SECRET.")

    func run() {
        print(GatehouseSecretGenerator.generate())
    }
}
