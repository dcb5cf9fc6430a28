/// The simulator's own IAM wire structs (docs/rds-api.md §7.1); deliberately not the client's models.
enum IAMWire {
    struct TokenRequest: Decodable {
        struct Auth: Decodable {
            var identity: Identity
            var scope: Scope?
        }
        struct Identity: Decodable {
            var methods: [String]
            var password: Password?
        }
        struct Password: Decodable {
            var user: User
        }
        struct User: Decodable {
            var name: String?
            var id: String?
            var password: String
            var domain: NamedRef?
        }
        struct NamedRef: Decodable {
            var id: String?
            var name: String?
        }
        struct Scope: Decodable {
            var project: NamedRef?
            var domain: NamedRef?
        }
        var auth: Auth
    }

    struct TokenResponse: Encodable {
        var token: Token
    }

    struct Token: Encodable {
        var expires_at: String
        var issued_at: String
        var methods: [String]
        var user: User
        var project: Project?
        var domain: Ref?
        var roles: [Ref]
        var catalog: [CatalogEntry]?
    }

    struct Ref: Encodable {
        var id: String
        var name: String
    }

    struct User: Encodable {
        var domain: Ref
        var id: String
        var name: String
        var password_expires_at: String
    }

    struct Project: Encodable {
        var domain: Ref
        var id: String
        var name: String
    }

    struct CatalogEntry: Encodable {
        var endpoints: [Endpoint]
        var id: String
        var name: String
        var type: String
    }

    struct Endpoint: Encodable {
        var id: String
        var interface: String
        var region: String
        var region_id: String
        var url: String
    }

    /// `GET /v3` version discovery document.
    struct VersionResponse: Encodable {
        struct Version: Encodable {
            var id: String
            var status: String
            var updated: String
            var links: [Link]
            var media_types: [MediaType]

            enum CodingKeys: String, CodingKey {
                case id, status, updated, links
                case media_types = "media-types"
            }
        }
        struct Link: Encodable {
            var rel: String
            var href: String
        }
        struct MediaType: Encodable {
            var base: String
            var type: String
        }
        var version: Version
    }

    /// Keystone's error shape (docs/rds-api.md §5.1 says likely; UNCONFIRMED there).
    struct ErrorResponse: Encodable {
        struct Body: Encodable {
            var code: Int
            var message: String
            var title: String
        }
        var error: Body
    }
}
