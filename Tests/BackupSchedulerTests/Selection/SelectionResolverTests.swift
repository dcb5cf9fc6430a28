import Foundation
import RDSClient
import RDSSimulator
import RDSTestSupport
import Testing

@testable import BackupScheduler

/// `SelectionResolver` against the simulator over loopback, through every way the API may treat
/// tags (docs/api-notes.md): filtered on the server, ignored, refused, left out of the list.
@Suite struct SelectionResolverTests {
    static func fleet(_ count: Int) -> [SimulatedInstance] {
        (0..<count).map { index in
            SimulatedInstance(
                id: String(format: "%032xin01", index + 1), name: String(format: "shop-%03d", index), engine: .mysql, version: "8.0",
                tags: index % 3 == 0 ? ["backup": "daily"] : ["backup": "weekly"])
        }
    }

    static let selector = InstanceSelector(
        include: .init(name: GlobPattern("shop-*"), tags: [.init(key: "backup", value: GlobPattern("daily"))]),
        exclude: [.init(name: GlobPattern("shop-00?"))])

    func resolve(
        _ configure: @escaping (inout SimulatorConfiguration) -> Void, count: Int = 250
    ) async throws -> (names: [String], routes: [SimulatedRoute?], queries: [String]) {
        try await SimulatorFixture.with(configure: { $0.instances = Self.fleet(count); configure(&$0) }) { fixture in
            let names = try await SelectionResolver(client: fixture.client()).resolve(Self.selector).map(\.name)
            let rds = fixture.simulator.requests().filter { $0.route != .token }
            return (names, rds.map(\.route), rds.map { $0.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&") })
        }
    }

    /// shop-000 … shop-249 tagged daily every third, minus shop-000 … shop-009.
    static let expected = (10..<250).filter { $0 % 3 == 0 }.map { String(format: "shop-%03d", $0) }

    @Test func serverSideTagFilterIsSentAndEveryPageRead() async throws {
        let result = try await resolve({ _ in }, count: 350)
        #expect(result.names == (10..<350).filter { $0 % 3 == 0 }.map { String(format: "shop-%03d", $0) })
        #expect(result.routes.allSatisfy { $0 == .listInstances })
        #expect(result.queries.first == "limit=100&offset=0&tags=backup=daily")
        #expect(result.queries.count == 2, "117 tagged instances: two pages")
    }

    @Test func aServerThatIgnoresTheTagFilterIsFilteredHereAcrossPages() async throws {
        let result = try await resolve { $0.instanceTagsFilter = .ignored }
        #expect(result.names == Self.expected)
        #expect(result.queries.count == 3, "250 instances: three pages")
    }

    @Test func aServerThatRefusesTheTagFilterIsAskedAgainWithoutIt() async throws {
        let result = try await resolve { $0.instanceTagsFilter = .refused }
        #expect(result.names == Self.expected)
        #expect(result.queries.first?.contains("tags=backup=daily") == true)
        #expect(result.queries.dropFirst().allSatisfy { !$0.contains("tags=") })
    }

    @Test func aListWithoutTagsIsCompletedByTheInstanceTagsCall() async throws {
        let result = try await resolve({ $0.instanceListReportsTags = false; $0.instanceTagsFilter = .ignored }, count: 30)
        #expect(result.names == (10..<30).filter { $0 % 3 == 0 }.map { String(format: "shop-%03d", $0) })
        // Only name-matching candidates (all 30 here) cost a tags call; exclusions need tags too.
        #expect(result.routes.filter { $0 == .instanceTags }.count == 30)
    }

    @Test func tagValuesWithSeparatorsOrWildcardsAreMatchedHereNotSent() async throws {
        try await SimulatorFixture.with(configure: { $0.instances = Self.fleet(6) }) { fixture in
            let selector = InstanceSelector(include: .init(tags: [.init(key: "backup", value: GlobPattern("d*"))]))
            let names = try await SelectionResolver(client: fixture.client()).resolve(selector).map(\.name)
            #expect(names == ["shop-000", "shop-003"])
            #expect(fixture.simulator.requests().filter { $0.route == .listInstances }.allSatisfy { !$0.query.contains { $0.name == "tags" } })
        }
    }

    @Test func anAPIFailureIsThrownNotAnEmptySelection() async throws {
        try await SimulatorFixture.with(configure: { $0.instances = Self.fleet(6) }) { fixture in
            fixture.simulator.inject(.serverError(status: 500), on: .listInstances)
            await #expect(throws: RDSError.self) { try await SelectionResolver(client: fixture.client()).resolve(Self.selector) }
        }
    }
}
