/// The built-in subject, text and HTML templates of one kind of email.
struct DefaultTemplate: Sendable {
    let subject: String
    let text: String
    let html: String

    /// The source of `part`.
    func source(_ part: TemplatePart) -> String {
        switch part {
        case .subject: subject
        case .text: text
        case .html: html
        }
    }

    /// Wraps HTML body content in the shared plain page layout.
    static func page(_ content: String) -> String {
        """
        <!DOCTYPE html>
        <html>
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body style="margin:0;padding:24px;background:#f6f6f6;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;">
        <div style="max-width:520px;margin:0 auto;padding:32px;background:#fff;border-radius:8px;line-height:1.5;">
        \(content)
        </div>
        </body>
        </html>

        """
    }

    /// A button-styled link to `{{url}}`, with the address spelled out below for mail clients that hide buttons.
    static func button(_ label: String) -> String {
        """
        <p><a href="{{url}}" style="display:inline-block;padding:12px 20px;background:#222;color:#fff;text-decoration:none;border-radius:6px;">\(label)</a></p>
        <p style="font-size:13px;color:#666;">Or paste this link into your browser:<br><a href="{{url}}" style="color:#666;word-break:break-all;">{{url}}</a></p>
        """
    }
}
