import CCurlShim

/// libcurl's description of a failed transfer or option, and its code.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let code: CURLcode

    public var description: String { message }
}

/// One libcurl easy handle for one transfer, used on a single thread and then dropped.
public final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var upload: CurlUpload?
    private var response: CurlResponseBody?
    private var connectionGuard: ConnectionGuard?

    /// Creates a handle that never uses signals and discards any response body.
    public init() throws {
        let initCode = ccurl_global_init_once()
        guard initCode == CURLE_OK else {
            throw CurlError(message: "libcurl initialisation failed: \(String(cString: curl_easy_strerror(initCode)))", code: initCode)
        }
        guard let handle = curl_easy_init() else { throw CurlError(message: "libcurl could not create a handle", code: CURLE_FAILED_INIT) }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try set(CURLOPT_NOSIGNAL, 1)
        try check(ccurl_setopt_write_function(handle) { _, size, count, _ in size * count })
    }

    deinit {
        curl_easy_cleanup(handle)
        lists.forEach { curl_slist_free_all($0) }
        errorBuffer.deallocate()
    }

    /// Sets a string option; libcurl keeps its own copy.
    public func set(_ option: CURLoption, _ value: String) throws {
        try check(ccurl_setopt_string(handle, option, value))
    }

    /// Sets a numeric or flag option.
    public func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_setopt_long(handle, option, value))
    }

    /// Sets a string-list option, such as request headers or SMTP recipients.
    public func set(_ option: CURLoption, list: [String]) throws {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list {
            guard let extended = curl_slist_append(head, item) else {
                curl_slist_free_all(head)
                throw CurlError(message: "libcurl could not allocate a list", code: CURLE_OUT_OF_MEMORY)
            }
            head = extended
        }
        guard let head else { return }
        lists.append(head)
        try check(ccurl_setopt_slist(handle, option, head))
    }

    /// Makes the transfer an upload of `bytes`, as SMTP's DATA needs.
    public func upload(_ bytes: [UInt8]) throws {
        let source = CurlUpload(bytes)
        upload = source
        try set(CURLOPT_UPLOAD, 1)
        try check(ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()))
        try check(ccurl_setopt_read_function(handle) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            return Unmanaged<CurlUpload>.fromOpaque(userdata).takeUnretainedValue().read(into: buffer, capacity: size * count)
        })
    }

    /// Keeps up to `limit` bytes of the response body (the rest is read and dropped);
    /// `responseBody` has them after `perform`.
    public func keepResponseBody(limit: Int) throws {
        let sink = CurlResponseBody(limit: limit)
        response = sink
        try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()))
        try check(ccurl_setopt_write_function(handle) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return size * count }
            return Unmanaged<CurlResponseBody>.fromOpaque(userdata).takeUnretainedValue().append(buffer, size * count)
        })
    }

    /// The response body kept by `keepResponseBody` (empty without it).
    public var responseBody: [UInt8] { response?.bytes ?? [] }

    /// Checks every address libcurl is about to connect to against `connectionGuard`, which
    /// refuses those outside what it allows and records why.
    public func guardConnections(_ connectionGuard: ConnectionGuard) throws {
        self.connectionGuard = connectionGuard
        try check(ccurl_setopt_opensocket_function(handle, { clientp, _, address in
            guard let clientp, let address else { return ccurl_socket_bad() }
            return Unmanaged<ConnectionGuard>.fromOpaque(clientp).takeUnretainedValue().open(address)
        }, Unmanaged.passUnretained(connectionGuard).toOpaque()))
    }

    /// Runs the transfer to completion, blocking the calling thread.
    public func perform() throws {
        try check(curl_easy_perform(handle))
    }

    /// The last HTTP status code received, or 0 when there was none.
    public func responseCode() throws -> Int {
        var code = 0
        try check(ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code))
        return code
    }

    private func check(_ code: CURLcode) throws {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        throw CurlError(message: "\(message) (curl error \(code.rawValue))", code: code)
    }
}
