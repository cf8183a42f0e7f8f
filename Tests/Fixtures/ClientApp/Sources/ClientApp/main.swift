import Foundation
import GatehouseClient

/// `ClientApp BASE_URL EMAIL PASSWORD TOKEN_FILE`: signs up (or in), prints what it sees as one
/// JSON line, and leaves the session in TOKEN_FILE for the next run to resume.
let arguments = CommandLine.arguments
guard arguments.count == 5, let baseURL = URL(string: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: ClientApp BASE_URL EMAIL PASSWORD TOKEN_FILE\n".utf8))
    exit(2)
}
let (email, password) = (arguments[2], arguments[3])
let client = GatehouseClient(baseURL: baseURL, storage: FileTokenStore(fileURL: URL(fileURLWithPath: arguments[4])))

struct Report: Encodable {
    var resumed: Bool
    var userId: String?
    var sessions: Int
    var error: String?
}

var report = Report(resumed: false, sessions: 0)
do {
    if case .signedIn = await client.state, try await client.getSession() != nil {
        report.resumed = true
    } else {
        do {
            try await client.signUp(email: email, password: password, name: "Client App")
        } catch let error as GatehouseError where error.status == 422 {
            try await client.signIn(email: email, password: password)  // the account exists
        }
    }
    report.userId = await client.currentUser?.id
    report.sessions = try await client.listSessions().count
} catch {
    report.error = "\(error)"
}
print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
exit(report.error == nil ? 0 : 1)
