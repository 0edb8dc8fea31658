import Testing
@Test func placeholder_HCLTests() { #expect(1 + 1 == 2) }
