import Testing
@Test func placeholder_GateTests() { #expect(1 + 1 == 2) }
