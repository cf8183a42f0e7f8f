import Crypto
import Foundation
import WebhookDelivery
import Testing

@Suite struct WebhookSignatureTests {
    static let hmac: WebhookSignature.HMACSHA256 = { key, message in
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// The example of the Standard Webhooks specification and its reference libraries.
    @Test func specificationExample() throws {
        let signer = try #require(WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hmac: Self.hmac))
        #expect(try signer.header(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: #"{"test": 2432232314}"#)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func anotherIdTimestampOrBodyChangesTheSignature() throws {
        let signer = try #require(WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hmac: Self.hmac))
        let reference = try signer.header(id: "msg_1", timestamp: 1, body: "{}")
        #expect(try signer.header(id: "msg_2", timestamp: 1, body: "{}") != reference)
        #expect(try signer.header(id: "msg_1", timestamp: 2, body: "{}") != reference)
        #expect(try signer.header(id: "msg_1", timestamp: 1, body: "{ }") != reference)
    }

    @Test(arguments: [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",                 // no whsec_ prefix
        "whsec_",                                          // empty key
        "whsec_not base64!",
        "whsec_" + String(repeating: "A", count: 28),      // 21 bytes, too short
        "whsec_" + String(repeating: "A", count: 88),      // 66 bytes, too long
    ])
    func refusedSecrets(_ secret: String) {
        #expect(WebhookSignature(secret: secret, hmac: Self.hmac) == nil)
    }

    @Test(arguments: [24, 32, 64])
    func acceptedKeySizes(_ size: Int) {
        let secret = "whsec_" + [UInt8](repeating: 7, count: size).base64
        #expect(WebhookSignature(secret: secret, hmac: Self.hmac) != nil)
    }
}

@Suite struct RetryScheduleTests {
    @Test func delaysDoubleFromTheInitialDelayUpToTheMaximum() {
        let schedule = RetrySchedule(maxAttempts: 8, initialDelay: 5, maxDelay: 36_000, jitter: 0)
        #expect((1...8).map { schedule.baseDelay(afterAttempt: $0) } == [5, 10, 20, 40, 80, 160, 320, 640])
        let capped = RetrySchedule(maxAttempts: 100, initialDelay: 5, maxDelay: 60, jitter: 0)
        #expect((1...6).map { capped.baseDelay(afterAttempt: $0) } == [5, 10, 20, 40, 60, 60])
        #expect(capped.baseDelay(afterAttempt: 10_000) == 60)
    }

    @Test func jitterStaysWithinItsFraction() {
        let schedule = RetrySchedule(maxAttempts: 8, initialDelay: 10, maxDelay: 36_000, jitter: 0.2)
        #expect(schedule.delay(afterAttempt: 1, unit: -1) == 8)
        #expect(schedule.delay(afterAttempt: 1, unit: 0) == 10)
        #expect(schedule.delay(afterAttempt: 1, unit: 1) == 12)
        #expect(schedule.delay(afterAttempt: 2, unit: 5) == 24)          // clamped to +1
        for _ in 0..<1000 {
            let delay = schedule.delay(afterAttempt: 3, unit: Double.random(in: -1...1))
            #expect((32...48).contains(delay))
        }
    }

    @Test func attemptsIncludeTheFirst() {
        let schedule = RetrySchedule(maxAttempts: 3)
        #expect(!schedule.isExhausted(afterAttempt: 1))
        #expect(!schedule.isExhausted(afterAttempt: 2))
        #expect(schedule.isExhausted(afterAttempt: 3))
        #expect(RetrySchedule(maxAttempts: 1).isExhausted(afterAttempt: 1))
    }
}

private extension [UInt8] {
    var base64: String { Data(self).base64EncodedString() }
}
