/// A C pointer handed between threads. The ABI's rules (docs/plugin-abi.md) make the pointee
/// safe to use concurrently: descriptors are constant, plugin state must be thread-safe.
struct ABIPointer<Pointer>: @unchecked Sendable {
    let pointer: Pointer
}
