@testable import GatehouseServer
import GatehouseCrypto
import GatehouseJSON
import NIOCore
import Testing

/// ABI 1.9 `reuseFor`: a kept answer comes back only for the same callback and the same envelope
/// bytes, until it expires; an answer with effects beyond the response is never kept.
@Suite struct ReusableHookAnswersTests {
    let envelope = Array(#"{"response":{"status":200,"body":{"user":{"id":"u1","name":"Ann"}}}}"#.utf8)
    let answer: JSONValue = ["action": "keep", "headers": ["set-auth-jwt": "token-1"], "reuseFor": 60]

    func lookup(_ index: Int = 0, _ envelope: [UInt8]? = nil) -> ReusableHookAnswers.Lookup {
        .init(callback: .init(kind: 3, index: index), envelope: envelope ?? self.envelope)
    }

    func kept(_ store: ReusableHookAnswers, _ index: Int = 0, _ envelope: [UInt8]? = nil, now: NIODeadline = .now()) -> JSONValue? {
        var request = lookup(index, envelope)
        return store.answer(&request, now: now)
    }

    @Test func aKeptAnswerComesBackForTheSameEnvelopeOnly() {
        let store = ReusableHookAnswers()
        var first = lookup()
        #expect(store.answer(&first) == nil)
        store.keep(answer, for: first)
        #expect(kept(store) == answer)
        // update-user changes the user in the answer: a different envelope, so a new call.
        #expect(kept(store, 0, Array(#"{"response":{"status":200,"body":{"user":{"id":"u1","name":"Bea"}}}}"#.utf8)) == nil)
        #expect(kept(store, 1) == nil)
    }

    @Test func aKeptAnswerExpires() {
        let store = ReusableHookAnswers()
        let now = NIODeadline.now()
        store.keep(answer, for: lookup(), now: now)
        #expect(kept(store, now: now + .seconds(59)) != nil)
        #expect(kept(store, now: now + .seconds(60)) == nil)
        store.keep(["action": "keep", "reuseFor": 999_999], for: lookup(), now: now)
        #expect(kept(store, now: now + .seconds(3599)) != nil)
        #expect(kept(store, now: now + .seconds(3600)) == nil)
    }

    @Test func answersWithEffectsOrWithoutReuseForAreNotKept() {
        let store = ReusableHookAnswers()
        let unreusable: [JSONValue] = [
            ["action": "keep", "headers": ["x": "1"]],
            ["action": "keep", "reuseFor": 0],
            ["action": "keep", "reuseFor": "60"],
            ["action": "keep", "reuseFor": 60, "cookies": [["name": "c", "value": "v"]]],
            ["action": "keep", "reuseFor": 60, "signIn": ["userId": "u1"]],
            ["action": "keep", "reuseFor": 60, "error": ["code": "NO"]],
            ["action": "keep", "reuseFor": 60, "clearSession": true],
        ]
        for (index, answer) in unreusable.enumerated() {
            store.keep(answer, for: lookup(index))
            #expect(kept(store, index) == nil, "\(answer)")
        }
    }

    @Test func aFullStoreStartsOver() {
        let store = ReusableHookAnswers()
        for index in 0...ReusableHookAnswers.capacity {
            store.keep(answer, for: lookup(index))
        }
        #expect(kept(store, 0) == nil)                 // evicted when the store filled up
        #expect(kept(store, ReusableHookAnswers.capacity) == answer)
    }
}

/// The memo of verified session cookies: only genuine, canonically written cookies are kept.
@Suite struct VerifiedSessionCookiesTests {
    let signer = CookieSigner(secret: "a-test-secret-a-test-secret-a-test-secret")

    @Test func genuineCookiesAnswerTheirTokenAndForgedOnesNothing() {
        let cookies = VerifiedSessionCookies(signer: signer)
        let genuine = signer.sign("token-1")
        #expect(cookies.token(genuine) == "token-1")
        #expect(cookies.token(genuine) == "token-1")
        #expect(cookies.token(signer.sign("token-1").replacingOccurrences(of: "token-1", with: "token-2")) == nil)
        #expect(cookies.token("token-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D") == nil)
        #expect(cookies.remembered == 1)
    }

    @Test func otherSpellingsOfAGenuineCookieAreVerifiedButNotKept() {
        let cookies = VerifiedSessionCookies(signer: signer)
        let genuine = signer.sign("token-1")
        let respelled = genuine.replacingOccurrences(of: "%3D", with: "%3d")
        #expect(respelled != genuine)
        #expect(cookies.token(respelled) == "token-1")
        #expect(cookies.remembered == 0)
    }
}
