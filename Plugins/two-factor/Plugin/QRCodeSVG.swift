import CQRencode

/// An SVG image of a QR code (libqrencode, error correction M), so a plain web page can show the
/// `otpauth://` URI for an authenticator app to scan. One path of horizontal runs of dark
/// modules, with the 4-module quiet zone the standard asks for.
enum QRCodeSVG {
    static func svg(for text: String) -> String? {
        guard let symbol = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        let modules = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        let quiet = 4
        var path = ""
        for row in 0..<width {
            var column = 0
            while column < width {
                // The low bit of each byte is the module's colour (1 = dark).
                guard modules[row * width + column] & 1 == 1 else { column += 1; continue }
                let start = column
                while column < width, modules[row * width + column] & 1 == 1 { column += 1 }
                path += "M\(start + quiet) \(row + quiet)h\(column - start)v1h-\(column - start)z"
            }
        }
        let size = width + 2 * quiet
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(size) \(size)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}
