import JobStore
import Testing

@Test func linksLibPQ15OrNewer() {
    #expect(LibPQ.version >= 150_000)
}
