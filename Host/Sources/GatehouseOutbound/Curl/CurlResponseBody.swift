/// The first `limit` bytes of a response body, filled by libcurl's write callback.
final class CurlResponseBody {
    private let limit: Int
    private(set) var bytes: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Keeps what still fits; answers `count` so libcurl goes on reading (and drops) the rest.
    func append(_ buffer: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let kept = min(count, limit - bytes.count)
        if kept > 0 {
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: kept))
        }
        return count
    }
}
