import Testing

@testable import Throttle

@Suite struct ThrottleFormatTests {
    @Test(arguments: [
        (Duration.microseconds(400), "0.4ms"), (.microseconds(2_500), "2.5ms"), (.milliseconds(84), "84ms"),
        (.microseconds(84_400), "84ms"), (.microseconds(999_600), "1s"), (.milliseconds(1_250), "1.3s"),
        (.seconds(10), "10s"), (.zero, "0ms"),
    ])
    func durationsReadAsAPersonWouldWriteThem(duration: Duration, text: String) {
        #expect(ThrottleFormat.duration(duration) == text)
    }

    @Test func countsAreGroupedInThrees() {
        #expect(
            [0, 999, 1_000, 2_000, 1_234_567, -12_345].map(ThrottleFormat.count) == [
                "0", "999", "1,000", "2,000", "1,234,567", "-12,345",
            ]
        )
    }
}
