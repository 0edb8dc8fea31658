import Testing
@testable import Knowledge

@Suite struct SuggestionTests {
    @Test func nearWithinTwoEdits() {
        #expect(Suggestion.nearest(to: "enable_jit_confg", among: ["enable_jit_config", "enable_userdata"]) == "enable_jit_config")
        #expect(Suggestion.nearest(to: "zzzz", among: ["enable_jit_config"]) == nil)
    }
}
