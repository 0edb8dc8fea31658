import Testing
@Test func placeholder_TerraformTests() { #expect(1 + 1 == 2) }
