import Testing
@Test func placeholder_DocumentsTests() { #expect(1 + 1 == 2) }
