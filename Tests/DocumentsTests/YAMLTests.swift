import AuditCore
import Documents
import Testing

@Suite struct YAMLRangeTests {
    private func parse(_ text: String) -> (SourceFile, YAMLStream) {
        let source = SourceFile(path: "runners/linux.yaml", text: text)
        return (source, YAML.parse(source))
    }

    @Test func scalarRangesCoverExactlyTheScalarText() throws {
        let (source, stream) = parse("""
        plain: m5.large   # comment
        single: 'it''s'
        double: "a \\"b\\""
        folded_plain: first
          second
        literal: |
          line one
          line two

        folded: >-
          folded text
        empty:
        last: x
        """)
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first)
        #expect(source.text(of: try #require(root["plain"]).range) == "m5.large")
        #expect(source.text(of: try #require(root["single"]).range) == "'it''s'")
        #expect(root["single"]?.string == "it's")
        #expect(source.text(of: try #require(root["double"]).range) == "\"a \\\"b\\\"\"")
        #expect(source.text(of: try #require(root["folded_plain"]).range) == "first\n  second")
        #expect(root["folded_plain"]?.string == "first second")
        #expect(source.text(of: try #require(root["literal"]).range) == "|\n  line one\n  line two")
        #expect(root["literal"]?.scalar?.style == .literal)
        #expect(source.text(of: try #require(root["folded"]).range) == ">-\n  folded text")
        let empty = try #require(root["empty"])
        #expect(empty.range.isEmpty && empty.string == "")
        #expect(empty.range.start.offset == source.offset(of: "empty:") + 6)
        let key = try #require(root.pair("last")?.key)
        #expect(source.text(of: key.range) == "last")
        #expect(key.range.start.line == 13 && key.range.start.column == 1)
    }

    @Test func multiByteColumnsAndCRLF() throws {
        let (source, stream) = parse("é: ü😀\r\nnext: [a, 'ö']\r\n")
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first)
        let value = try #require(root["é"])
        #expect(value.range.start.column == 4 && value.range.start.offset == 4)
        #expect(source.text(of: value.range) == "ü😀")
        let list = try #require(root["next"])
        #expect(source.text(of: list.range) == "[a, 'ö']")
        #expect(list.isFlow)
        let quoted = try #require(list.elements?.last)
        #expect(quoted.range.start.line == 2 && quoted.range.start.column == 11)
        #expect(source.text(of: quoted.range) == "'ö'")
    }

    @Test func byteOrderMarkAndLoneCarriageReturns() throws {
        let (source, stream) = parse("\u{FEFF}a: 1\rb: two\n")
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first)
        #expect(source.text(of: try #require(root["a"]).range) == "1")
        // libyaml breaks lines at a lone CR; the byte offset must still be exact.
        #expect(source.text(of: try #require(root["b"]).range) == "two")
    }

    @Test func collectionRanges() throws {
        let (source, stream) = parse("""
        runners:
          - name: a
            labels: [x, {k: v}]
          - name: b
        flow: {a: 1, b: [2, 3]}   # trailing
        """)
        let root = try #require(stream.documents.first)
        let runners = try #require(root["runners"])
        #expect(source.text(of: runners.range) == "- name: a\n    labels: [x, {k: v}]\n  - name: b")
        let first = try #require(runners.elements?.first)
        #expect(source.text(of: first.range) == "name: a\n    labels: [x, {k: v}]")
        #expect(source.text(of: try #require(root["flow"]).range) == "{a: 1, b: [2, 3]}")
        #expect(source.text(of: root.range).hasSuffix("[2, 3]}"))
    }

    @Test func multipleDocuments() throws {
        let (_, stream) = parse("a: 1\n---\nb: 2\n---\n- x\n")
        #expect(stream.diagnostics.isEmpty)
        #expect(stream.documents.count == 3)
        #expect(stream.documents[1]["b"]?.string == "2")
        #expect(stream.documents[2].elements?.first?.range.start.line == 5)
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let (source, stream) = parse("""
        defaults: &defaults
          instance_type: m5.large
          ephemeral: true
        linux:
          <<: *defaults
          ephemeral: false
        copy: *defaults
        list: [&one 1, *one]
        """)
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first)
        let defaults = try #require(root["defaults"])
        #expect(defaults.anchor == "defaults")
        #expect(source.text(of: defaults.range).hasPrefix("instance_type"))
        let copy = try #require(root["copy"])
        #expect(copy.alias == "defaults")
        #expect(source.text(of: copy.range) == "*defaults")
        // The alias carries the anchored content, whose ranges point at the definition.
        #expect(copy["instance_type"]?.range == defaults["instance_type"]?.range)
        let linux = try #require(root["linux"])
        let merged = try #require(linux.mergedPairs)
        #expect(merged.map { $0.key.string } == ["instance_type", "ephemeral"])
        #expect(linux["ephemeral"]?.string == "false")
        #expect(linux["instance_type"]?.range.start.line == 2)
        #expect(linux.pairs?.first?.isMerge == true)
        let list = try #require(root["list"]?.elements)
        #expect(list[1].alias == "one" && source.text(of: list[1].range) == "*one")
        #expect(list[0].anchor == "one" && source.text(of: list[0].range) == "1")
    }

    @Test func tagsAreRecordedAndSkippedInRanges() throws {
        let (source, stream) = parse("a: !!int \"5\"\nb: !Ref name\nc: plain\n")
        let root = try #require(stream.documents.first)
        #expect(root["a"]?.tag == YAMLTag.int)
        #expect(source.text(of: try #require(root["a"]).range) == "\"5\"")
        #expect(root["b"]?.tag == "!Ref")
        #expect(root["c"]?.tag == nil)
    }

    /// Tag, anchor and alias share one optional box (most nodes have none): each is set and read on
    /// its own, copies do not see each other's changes, and a node whose properties were all
    /// cleared equals one made without them (equality and hashing by value).
    @Test func tagAnchorAndAliasAreIndependentProperties() throws {
        let range = SourceRange(path: "p.yaml", start: .start, end: .start)
        let plain = YAMLNode(kind: .scalar(YAMLScalar(value: "x", style: .plain)), range: range)
        var node = plain
        node.tag = YAMLTag.str
        node.anchor = "a"
        #expect(node.tag == YAMLTag.str && node.anchor == "a" && node.alias == nil)
        var copy = node
        copy.alias = "b"
        copy.tag = nil
        #expect(copy.tag == nil && copy.anchor == "a" && copy.alias == "b")
        #expect(node.tag == YAMLTag.str && node.anchor == "a" && node.alias == nil, "the copy's changes stay its own")
        #expect(node != plain && copy != node)
        copy.anchor = nil
        copy.alias = nil
        #expect(copy == plain && copy.hashValue == plain.hashValue)
        #expect(YAMLNode(kind: plain.kind, range: range, tag: YAMLTag.str, anchor: "a") == node)
        #expect(Set([node, copy, plain]).count == 2)
    }

    @Test func duplicateKeysWarnAtTheSecond() throws {
        let (source, stream) = parse("a: 1\nb: 2\na: 3\n")
        #expect(stream.diagnostics.count == 1)
        let d = try #require(stream.diagnostics.first)
        #expect(d.severity == .warning && d.summary == "Duplicate key `a`")
        #expect(d.range.start.offset == source.offset(of: "a: 3"))
    }

    @Test func syntaxErrorsAreLocated() throws {
        let (_, values) = parse("a: b: c\n")
        let d = try #require(values.diagnostics.first)
        #expect(d.summary == "Invalid YAML: mapping values are not allowed in this context")
        #expect(d.range.start.line == 1 && d.range.start.column == 5)
        #expect(d.detail?.contains("quote the value") == true)

        let (_, tabs) = parse("a:\n\tb: 1\n")
        let tab = try #require(tabs.diagnostics.first)
        #expect(tab.range.start.line == 2 && tab.range.start.column == 1)
        #expect(tab.detail?.contains("tabs") == true)

        let (source, quote) = parse("ok: 1\ns: \"unterminated\n")
        let unterminated = try #require(quote.diagnostics.first)
        #expect(unterminated.range.start.offset == source.offset(of: "\"unterminated"))

        let (_, alias) = parse("x: *nope\n")
        #expect(alias.diagnostics.first?.range.start.column == 4)
        #expect(alias.diagnostics.first?.detail?.contains("anchor") == true)
    }

    @Test func documentsBeforeAnErrorAreKept() {
        let (_, stream) = parse("a: 1\n---\nb: [\n")
        #expect(stream.documents.count == 1)
        #expect(stream.diagnostics.count == 1)
    }

    @Test func hostileNestingIsRefusedWithoutCrashing() {
        let (_, flow) = parse(String(repeating: "[", count: 50_000))
        #expect(flow.documents.isEmpty)
        #expect(flow.diagnostics.map(\.summary) == ["YAML nested too deeply"])
        let (_, dashes) = parse(String(repeating: "- ", count: 50_000) + "x\n")
        #expect(dashes.diagnostics.map(\.summary) == ["YAML nested too deeply"])
        // Just under the limit is read (and does not exhaust the stack).
        let depth = YAML.maxNestingDepth - 10
        let (_, deep) = parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(deep.diagnostics.isEmpty)
        var node = deep.documents.first
        var levels = 0
        while let first = node?.elements?.first { node = first; levels += 1 }
        #expect(levels == depth - 1)
        // A long block scalar with deep indentation is text, not nesting.
        let script = "script: |\n" + String(repeating: " ", count: 300) + "echo deep\n"
        let (_, text) = parse(script)
        #expect(text.diagnostics.isEmpty)
        #expect(text.documents.first?["script"]?.string == "echo deep\n")
    }
}

@Suite struct YAMLResolutionTests {
    private func value(_ text: String, schema: YAMLSchema = .terraform) -> Result<YAMLScalarValue, YAMLResolutionError>? {
        let stream = YAML.parse(SourceFile(path: "v.yaml", text: "v: \(text)\n"))
        return stream.documents.first?["v"]?.resolved(schema: schema)
    }

    @Test(arguments: [
        ("true", YAMLScalarValue.bool(true)), ("False", .bool(false)), ("yes", .bool(true)), ("Off", .bool(false)),
        ("y", .bool(true)), ("~", .null), ("null", .null), ("''", .string("")), ("'yes'", .string("yes")),
        ("42", .number(42)), ("-7", .number(-7)), ("0o17", .number(15)), ("0x1F", .number(31)), ("1.5e3", .number(1500)),
        (".5", .number(0.5)), ("+12", .number(12)), ("1_000", .string("1_000")), ("012", .number(12)),
        ("1.2.3", .string("1.2.3")), ("m5.large", .string("m5.large")), ("\"42\"", .string("42")),
        ("2024-01-15", .string("2024-01-15T00:00:00Z")), ("2001-12-14t21:59:43.10-05:00", .string("2001-12-14T21:59:43-05:00")),
        ("2001-12-14 21:59:43.10", .string("2001-12-14T21:59:43Z")), ("2024-13-01", .string("2024-13-01")),
        ("!!str 5", .string("5")), ("!!int '7'", .string("7")), ("!!bool yes", .bool(true)), ("!!float 1", .number(1)),
        ("!!int 0b101", .number(5)), ("!!null x", .null), ("! 12", .string("12")),
    ])
    func terraformResolution(text: String, expected: YAMLScalarValue) throws {
        #expect(try value(text)?.get() == expected)
    }

    @Test(arguments: [("yes", YAMLScalarValue.string("yes")), ("on", .string("on")), ("TRUE", .bool(true)), ("2024-01-15", .string("2024-01-15"))])
    func coreSchemaResolution(text: String, expected: YAMLScalarValue) throws {
        #expect(try value(text, schema: .core)?.get() == expected)
    }

    @Test func unresolvableScalars() {
        #expect(throws: YAMLResolutionError.self) { try value(".nan")?.get() }
        #expect(throws: YAMLResolutionError("unsupported tag \"!Ref\"")) { try value("!Ref x")?.get() }
        #expect(throws: YAMLResolutionError("cannot parse \"abc\" as !!int")) { try value("!!int abc")?.get() }
        #expect(throws: YAMLResolutionError.self) { try value("!!bool maybe")?.get() }
    }

    @Test func infinities() throws {
        #expect(try value(".inf")?.get() == .number(.infinity))
        #expect(try value("-.Inf")?.get() == .number(-.infinity))
    }

    /// The longest special words (five bytes) are still read as such: a plain scalar is looked up
    /// in the tables only when it is no longer than their longest word.
    @Test func theLongestSpecialWordsResolve() throws {
        #expect(try value("FALSE")?.get() == .bool(false) && value("False")?.get() == .bool(false))
        #expect(try value("+.INF")?.get() == .number(.infinity) && value("-.INF")?.get() == .number(-.infinity))
        #expect(try value("NULL")?.get() == .null)
        #expect(throws: YAMLResolutionError.self) { try value(".NaN")?.get() }
        #expect(try value("FALSEY")?.get() == .string("FALSEY") && value("+.INFX")?.get() == .string("+.INFX"))
    }
}
