import Testing
@Test func placeholder_IAMTests() { #expect(1 + 1 == 2) }
