import AsyncHTTPClient
import Foundation
import RDSSimulator
import Testing

@Suite struct ServiceTests {
    @Test func runServesUntilCancelledThenStopsListening() async throws {
        let simulator = RDSSimulator(configuration: .demo)
        try await simulator.start()
        let endpoint = simulator.endpoint
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let service = Task { try await simulator.run() }
        do {
            var request = HTTPClientRequest(url: simulator.iamURL + "/auth/tokens")
            request.method = .POST
            request.body = .bytes(SimulatorHarness.tokenBody())
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 201)
            service.cancel()
            try await service.value
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(HTTPClientRequest(url: endpoint + "/v3"), timeout: .seconds(5))
            }
        } catch {
            service.cancel()
            try? await client.shutdown()
            try? await simulator.shutdown()
            throw error
        }
        try await client.shutdown()
        try await simulator.shutdown()
    }

    @Test func demoConfigurationHasTheDesignExampleInstances() {
        let ids = SimulatorConfiguration.demo.instances.map(\.id)
        #expect(ids.contains("d8e6ca5a624745bcb546a227aa3ae1cfin01"))
        #expect(ids.contains("5e1c0c8f1d4a4b7e9b6a0f1e2d3c4b5ain04"))
    }
}
