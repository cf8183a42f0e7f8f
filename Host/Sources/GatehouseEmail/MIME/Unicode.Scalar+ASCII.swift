extension Unicode.Scalar {
    /// A visible ASCII character or the space, safe in a header as is.
    var isPrintableASCII: Bool { (0x20...0x7E).contains(value) }

    /// A C0 control character or DEL, never allowed raw in a header.
    var isControl: Bool { value < 0x20 || value == 0x7F }
}
