import Foundation
import JobStore
import Testing

@Suite struct WorkerIdentityTests {
    @Test func theUnitComesFromTheUnitFileThenSystemdThenTheProcess() {
        #expect(WorkerIdentity.unit(environment: ["SLUICE_UNIT": "sluice-eu.service"]) == "sluice-eu.service")
        #expect(WorkerIdentity.unit(environment: ["INVOCATION_ID": "0f1e"]) == "sluice.service")
        // Started by hand: an identity of its own, never the service's.
        #expect(WorkerIdentity.unit(environment: ["SLUICE_UNIT": ""]) == "pid-\(getpid())")
        #expect(WorkerIdentity.unit(environment: [:]) == "pid-\(getpid())")
        #expect(WorkerIdentity.derived(unit: "a.service").rawValue.hasSuffix("/a.service"))
    }
}
