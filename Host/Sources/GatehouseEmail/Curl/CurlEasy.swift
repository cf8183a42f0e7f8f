import CCurlShim

/// One libcurl easy handle for one transfer, used on a single thread and then dropped.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var upload: CurlUpload?

    /// Creates a handle that never uses signals and discards any response body.
    init() throws {
        let initCode = ccurl_global_init_once()
        guard initCode == CURLE_OK else {
            throw EmailDeliveryError("libcurl initialisation failed: \(String(cString: curl_easy_strerror(initCode)))")
        }
        guard let handle = curl_easy_init() else { throw EmailDeliveryError("libcurl could not create a handle") }
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
    func set(_ option: CURLoption, _ value: String) throws {
        try check(ccurl_setopt_string(handle, option, value))
    }

    /// Sets a numeric or flag option.
    func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_setopt_long(handle, option, value))
    }

    /// Sets a string-list option, such as request headers or SMTP recipients.
    func set(_ option: CURLoption, list: [String]) throws {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list {
            guard let extended = curl_slist_append(head, item) else {
                curl_slist_free_all(head)
                throw EmailDeliveryError("libcurl could not allocate a list")
            }
            head = extended
        }
        guard let head else { return }
        lists.append(head)
        try check(ccurl_setopt_slist(handle, option, head))
    }

    /// Makes the transfer an upload of `bytes`, as SMTP's DATA needs.
    func upload(_ bytes: [UInt8]) throws {
        let source = CurlUpload(bytes)
        upload = source
        try set(CURLOPT_UPLOAD, 1)
        try check(ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()))
        try check(ccurl_setopt_read_function(handle) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            return Unmanaged<CurlUpload>.fromOpaque(userdata).takeUnretainedValue().read(into: buffer, capacity: size * count)
        })
    }

    /// Runs the transfer to completion, blocking the calling thread.
    func perform() throws {
        try check(curl_easy_perform(handle))
    }

    /// The last HTTP status code received, or 0 when there was none.
    func responseCode() throws -> Int {
        var code = 0
        try check(ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code))
        return code
    }

    private func check(_ code: CURLcode) throws {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        throw EmailDeliveryError("\(message) (curl error \(code.rawValue))")
    }
}
