import PluginKit

extension PluginHost {
    /// 32 characters from `a-zA-Z0-9` (about 190 bits), as Better Auth's `generateRandomString(32)`
    /// makes codes, tokens, client ids and secrets.
    func randomToken() -> String {
        randomText(32, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    }
}
