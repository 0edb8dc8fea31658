import Testing
@Test func placeholder_RulesTests() { #expect(1 + 1 == 2) }
