import Testing
@Test func placeholder_ReportersTests() { #expect(1 + 1 == 2) }
