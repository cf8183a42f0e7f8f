import CSAML

/// A parsed SAML message: no DOCTYPE, no network, unique IDs (`csaml_parse`). The nodes it hands
/// out are valid while the document lives.
final class SAMLDocument {
    private let document: OpaquePointer
    let root: SAMLNode

    init(_ xml: String) throws(SAMLError) {
        var why = [CChar](repeating: 0, count: 256)
        let bytes = Array(xml.utf8)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { csaml_parse($0.baseAddress, $0.count, &why, why.count) }
        }
        guard let parsed, let root = csaml_root(parsed) else {
            if let parsed { csaml_free_document(parsed) }
            throw SAMLError("malformed", CString.text(why))
        }
        document = parsed
        self.root = SAMLNode(pointer: root)
    }

    deinit {
        csaml_free_document(document)
    }
}

/// One node of a `SAMLDocument`, read-only.
struct SAMLNode: Equatable {
    let pointer: OpaquePointer

    var isAnyElement: Bool { csaml_is_element(pointer, nil, nil) == 1 }

    /// Whether this is element `name` in namespace `namespace` (by URI, whatever its prefix).
    func isElement(_ name: String, in namespace: String) -> Bool {
        csaml_is_element(pointer, name, namespace) == 1
    }

    var parent: SAMLNode? { csaml_parent(pointer).map(SAMLNode.init) }

    var children: [SAMLNode] {
        var nodes: [SAMLNode] = []
        var next = csaml_first_child(pointer)
        while let node = next {
            nodes.append(SAMLNode(pointer: node))
            next = csaml_next(node)
        }
        return nodes
    }

    func child(_ name: String, in namespace: String) -> SAMLNode? {
        children.first { $0.isElement(name, in: namespace) }
    }

    /// Every element below this one (not itself) that satisfies `test`, in document order.
    func descendants(where test: (SAMLNode) -> Bool) -> [SAMLNode] {
        children.filter(\.isAnyElement).flatMap { child in (test(child) ? [child] : []) + child.descendants(where: test) }
    }

    /// An attribute without a namespace, e.g. `ID` or `Recipient`.
    func attribute(_ name: String) -> String? {
        CString.take(csaml_attribute(pointer, name))
    }

    /// The text of every text node below, joined (comments and elements add nothing).
    var text: String { CString.take(csaml_text(pointer)) ?? "" }
}

/// Text handed over by CSAML.
enum CString {
    /// The text of a malloc'd C string, which is freed.
    static func take(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { csaml_free_text(pointer) }
        return String(cString: pointer)
    }

    /// The text of a NUL-terminated buffer (a `why`).
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A PEM certificate of an IdP, checked to hold a public key xmlsec can verify with.
public enum SAMLCertificate {
    public static func isUsable(_ pem: String) -> Bool {
        let bytes = Array(pem.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { csaml_certificate_is_usable($0.baseAddress, $0.count) == 1 }
        }
    }
}
