import Testing
@Test func placeholder_KnowledgeTests() { #expect(1 + 1 == 2) }
