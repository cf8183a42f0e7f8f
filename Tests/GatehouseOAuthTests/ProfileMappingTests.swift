import GatehouseJSON
import GatehouseOAuth
import Testing

/// Profiles shaped as each provider documents them, mapped to Better Auth's user fields.
@Suite struct ProfileMappingTests {
    @Test func openIDClaims() throws {
        let p = try #require(ProfileMapping.openID.map(["sub": "10769150350006150715113082367", "email": "jsmith@example.com",
                                                        "email_verified": true, "name": "Jane Smith", "picture": "https://lh3.example/p.jpg"]))
        #expect(p.subject == "10769150350006150715113082367" && p.email == "jsmith@example.com" && p.emailVerified)
        #expect(p.name == "Jane Smith" && p.image == "https://lh3.example/p.jpg")
        #expect(ProfileMapping.openID.map(["email": "x@example.com"]) == nil)
    }

    @Test func appleSendsBooleansAsStrings() throws {
        let p = try #require(ProfileMapping.apple.map(["sub": "001234.abc", "email": "a@privaterelay.appleid.com", "email_verified": "true"]))
        #expect(p.emailVerified && p.name == "")
    }

    @Test func githubUsesNumericIDsAndLoginAsName() throws {
        let p = try #require(ProfileMapping.github.map(["id": 583231, "login": "octocat", "name": nil, "avatar_url": "https://avatars.example/u/583231",
                                                        "email": "octocat@github.example"]))
        #expect(p.subject == "583231" && p.name == "octocat" && p.image == "https://avatars.example/u/583231")
        #expect(try #require(ProfileMapping.github.map(["id": 1, "login": "x", "name": "Real Name"])).name == "Real Name")
    }

    @Test func microsoftUsesTheObjectIDAndTenantIssuer() throws {
        let p = try #require(ProfileMapping.microsoft.map([
            "sub": "pairwise", "oid": "00000000-0000-0000-66f3-3332eca7ea81", "iss": "https://login.microsoftonline.com/9122040d/v2.0",
            "email": "a@contoso.example", "verified_primary_email": ["a@contoso.example"], "name": "A",
        ]))
        #expect(p.subject == "00000000-0000-0000-66f3-3332eca7ea81" && p.emailVerified)
        #expect(p.accountIssuer == "https://login.microsoftonline.com/9122040d/v2.0")
    }

    @Test func discordAvatars() throws {
        let animated = try #require(ProfileMapping.discord.map(["id": "80351110224678912", "username": "nelly", "global_name": "Nelly",
                                                                "avatar": "a_8342729096ea3675442027381ff50dfe", "verified": true, "email": "n@example.com"]))
        #expect(animated.image == "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif")
        #expect(animated.name == "Nelly" && animated.emailVerified)
        let plain = try #require(ProfileMapping.discord.map(["id": "80351110224678912", "username": "nelly", "discriminator": "0"]))
        #expect(plain.image == "https://cdn.discordapp.com/embed/avatars/\((80_351_110_224_678_912 >> 22) % 6).png")
    }

    @Test func twitterFacebookGitlab() throws {
        let x = try #require(ProfileMapping.twitter.map(["data": ["id": "2244994945", "name": "X Dev", "username": "xdev",
                                                                  "profile_image_url": "https://pbs.example/p.jpg", "confirmed_email": "dev@x.example"]]))
        #expect(x.subject == "2244994945" && x.email == "dev@x.example" && x.emailVerified)
        #expect(try #require(ProfileMapping.twitter.map(["data": ["id": "1", "name": "n", "username": "u"]])).email == nil)
        let fb = try #require(ProfileMapping.facebook.map(["id": "10158", "name": "F", "email": "f@example.com",
                                                           "picture": ["data": ["url": "https://fb.example/p.jpg"]]]))
        #expect(fb.image == "https://fb.example/p.jpg" && !fb.emailVerified)
        #expect(ProfileMapping.gitlab.map(["id": 7, "username": "g", "state": "blocked"]) == nil)
        #expect(try #require(ProfileMapping.gitlab.map(["id": 7, "username": "g", "state": "active"])).name == "g")
    }
}
