import Testing
@Test func placeholder_AuditCoreTests() { #expect(1 + 1 == 2) }
