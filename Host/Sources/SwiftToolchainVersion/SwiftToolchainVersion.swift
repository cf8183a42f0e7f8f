/// The Swift compiler this code was built with, as "major.minor". Linux Swift has no stable
/// ABI, so the host and every Swift plugin must agree on it; both compile this same file.
public enum SwiftToolchainVersion {
    #if compiler(>=6.5)
    public static let current = "6.5+"
    #elseif compiler(>=6.4)
    public static let current = "6.4"
    #elseif compiler(>=6.3)
    public static let current = "6.3"
    #elseif compiler(>=6.2)
    public static let current = "6.2"
    #else
    public static let current = "6.1"
    #endif
}
