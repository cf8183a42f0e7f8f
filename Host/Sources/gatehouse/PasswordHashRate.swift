import ArgumentParser
import GatehouseServer

/// `gatehouse password-hash-rate`: how many password verifications one core does per second,
/// the ceiling for sign-ins per core (capacity planning; scripts/bench.sh compares with it), or
/// `--threads N` at once (cores that share caches or are SMT siblings do less than N times one).
struct PasswordHashRate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password-hash-rate",
        abstract: "Measure password verifications per second on one core (the sign-in ceiling per core), or on several at once.")

    @Option(help: "The hash to measure: scrypt (Better Auth's) or argon2id.")
    var algorithm = "scrypt"

    @Option(help: "How long to measure, in seconds.")
    var seconds = 3.0

    @Option(help: "How many threads hash at once (the figure is their total).")
    var threads = 1

    func validate() throws {
        guard ["scrypt", "argon2id"].contains(algorithm) else { throw ValidationError("--algorithm must be scrypt or argon2id") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be between 0 and 600") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        let rate = try PasswordService.verificationsPerSecond(algorithm: algorithm, seconds: seconds, threads: threads)
        print("\(String(format: "%.2f", rate)) \(algorithm) verifications/s on \(threads == 1 ? "one core" : "\(threads) threads at once")")
    }
}
