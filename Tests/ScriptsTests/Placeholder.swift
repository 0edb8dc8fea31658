import Testing
@Test func placeholder_ScriptsTests() { #expect(1 + 1 == 2) }
