import Testing

@testable import RDSClient

@Suite struct ProxyRulesTests {
    @Test func httpsProxyIsUsedExceptForNoProxyAndLoopback() throws {
        let rules = try ProxyRules(environment: ["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "internal.example, .otc-private.net"])
        #expect(rules.proxy?.host == "proxy.corp")
        #expect(rules.proxy?.port == 3128)
        #expect(rules.useProxy(forHost: "rds.eu-de.otc.t-systems.com"))
        #expect(!rules.useProxy(forHost: "internal.example"))
        #expect(!rules.useProxy(forHost: "db.internal.example"))
        #expect(!rules.useProxy(forHost: "rds.otc-private.net"))
        #expect(!rules.useProxy(forHost: "127.0.0.1"))
        #expect(!rules.useProxy(forHost: "localhost"))
    }

    @Test func lowercaseVariablesAndBareHostPortWork() throws {
        let rules = try ProxyRules(environment: ["https_proxy": "proxy:8080", "no_proxy": "*"])
        #expect(rules.proxy?.host == "proxy")
        #expect(rules.proxy?.port == 8080)
        #expect(!rules.useProxy(forHost: "anything.example"), "NO_PROXY=* turns the proxy off")
    }

    @Test func noProxyVariableMeansDirect() throws {
        let rules = try ProxyRules(environment: [:])
        #expect(rules.proxy == nil)
        #expect(!rules.useProxy(forHost: "rds.eu-de.otc.t-systems.com"))
    }

    @Test func unreadableProxyIsAConfigurationError() {
        #expect(throws: ClientConfigurationError.self) { try ProxyRules(environment: ["HTTPS_PROXY": "http://"]) }
    }

    @Test func transportRefusesAMissingCABundle() {
        var configuration = HTTPTransport.Configuration()
        configuration.caBundlePath = "/nonexistent/ca.pem"
        #expect(throws: ClientConfigurationError.self) { try HTTPTransport(configuration: configuration, environment: [:]) }
    }
}
