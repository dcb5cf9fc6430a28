import Testing

@testable import Systemd

@Suite struct WatchdogConfigurationTests {
    @Test func pingIntervalIsHalfOfWatchdogUsec() throws {
        let config = try #require(WatchdogConfiguration.from(environment: ["WATCHDOG_USEC": "60000000"]))
        #expect(config.timeout == .seconds(60))
        #expect(config.pingInterval == .seconds(30))
    }

    @Test func watchdogIsDisabledWithoutWatchdogUsec() {
        #expect(WatchdogConfiguration.from(environment: [:]) == nil)
        #expect(WatchdogConfiguration.from(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(WatchdogConfiguration.from(environment: ["WATCHDOG_USEC": "soon"]) == nil)
    }

    @Test func watchdogMeantForAnotherProcessIsIgnored() {
        let env = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"]
        #expect(WatchdogConfiguration.from(environment: env, pid: 4243) == nil)
        #expect(WatchdogConfiguration.from(environment: env, pid: 4242)?.pingInterval == .seconds(1))
    }

    @Test func processWithoutWatchdogReportsNone() {
        // The test runner is not started by systemd with WatchdogSec=, so libsystemd sees none.
        #expect(WatchdogConfiguration.current() == nil)
    }
}
