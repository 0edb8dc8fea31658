import AuditCore
import Testing
@testable import HCL

/// Bodies, attributes and blocks: structure and exact ranges.
struct ParserStructureTests {
    /// Every file's tree stays alive for the whole run: a body item is the size of an attribute
    /// (blocks are boxed) and a template part the size of an interpolation (directives are boxed).
    /// What reads them is unchanged: a block, a `%{ if }` and a `%{ for }` come back whole.
    @Test func bodyItemsAndTemplatePartsStayCompact() throws {
        #expect(MemoryLayout<BodyItem>.stride == MemoryLayout<Attribute>.stride)
        #expect(MemoryLayout<TemplatePart>.stride <= MemoryLayout<Expression>.stride + 8)
        let file = parseFile("""
        a = 1
        b "x" { c = "%{ if v }yes%{ else }no%{ endif }%{ for i in l }${i}%{ endfor }" }
        d = 2

        """)
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.attributes.map(\.name) == ["a", "d"])
        let block = try #require(file.body.blocks.first)
        #expect(block.type == "b" && block.labels.map(\.value) == ["x"])
        guard case .template(let parts) = try #require(block.body.attribute("c")).expression.kind, parts.count == 2,
              case .conditional(_, let then, let otherwise, _) = parts[0], case .loop(nil, "i", _, let body, _) = parts[1] else {
            Issue.record("expected a conditional and a loop")
            return
        }
        guard case .literal("yes", _) = then.first, case .literal("no", _) = otherwise.first, case .interpolation = body.first else {
            Issue.record("the directives' parts changed")
            return
        }
    }

    /// Bodies, objects, tuples and argument lists are kept without the spare capacity their
    /// appends left (five items grown to room for eight): every file's tree lives for the run.
    @Test func parsedListsKeepNoSpareCapacity() throws {
        let file = parseFile("""
        a = { p = 1, q = 2, r = 3, s = 4, t = 5 }
        b = [1, 2, 3, 4, 5]
        c = f(1, 2, 3, 4, 5)
        d = 4
        e = 5

        """)
        #expect(file.diagnostics.isEmpty)
        func tight<T>(_ list: [T]) -> Bool { list.count == 5 && list.capacity - list.count <= list.count / 4 }
        #expect(tight(file.body.items), "body: capacity \(file.body.items.capacity)")
        let values = file.body.attributes.map(\.expression.kind)
        guard case .object(let object) = values[0], case .tuple(let tuple) = values[1], case .functionCall(_, _, let arguments, _) = values[2] else {
            Issue.record("expected an object, a tuple and a call")
            return
        }
        #expect(tight(object) && tight(tuple) && tight(arguments), "capacities \(object.capacity), \(tuple.capacity), \(arguments.capacity)")
        #expect(object.map { $0.key.staticString ?? $0.key.traversalPath?.first } == ["p", "q", "r", "s", "t"])
    }

    @Test func attributesAndBlocksWithExactRanges() throws {
        let text = """
        resource "aws_lambda_function" runner {
          name = "x"

          tags = {}
        }
        count = 2

        """
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.items.count == 2)
        #expect(spot(file.body.range) == "1:1-7:1@0-78")

        let block = try #require(file.body.blocks.first)
        #expect(block.type == "resource")
        #expect(spot(block.typeRange) == "1:1-1:9@0-8")
        #expect(block.labels.map(\.value) == ["aws_lambda_function", "runner"])
        #expect(block.labels.map(\.quoted) == [true, false])
        #expect(block.labels.map { spot($0.range) } == ["1:10-1:31@9-30", "1:32-1:38@31-37"])
        #expect(spot(block.openBraceRange) == "1:39-1:40@38-39")
        #expect(spot(block.closeBraceRange) == "5:1-5:2@66-67")
        #expect(spot(block.range) == "1:1-5:2@0-67")
        #expect(spot(block.body.range) == "1:39-5:2@38-67")

        let name = try #require(block.body.attribute("name"))
        #expect(spot(name.nameRange) == "2:3-2:7@42-46")
        #expect(spot(name.range) == "2:3-2:13@42-52")
        #expect(spot(name.expression.range) == "2:10-2:13@49-52")
        #expect(name.expression.staticString == "x")

        let count = try #require(file.body.attribute("count"))
        #expect(spot(count.range) == "6:1-6:10@68-77")
        #expect(tree(count.expression) == "2")
    }

    @Test func nestedBlocksAndEmptyBlocks() throws {
        let file = parseFile("a {\n  b \"x\" {\n    c {}\n  }\n}\nd {\n\n}\ne {}\n")
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.blocks.map(\.type) == ["a", "d", "e"])
        let b = try #require(file.body.blocks.first?.body.blocks.first)
        #expect(b.type == "b")
        #expect(b.labels.map(\.value) == ["x"])
        #expect(b.body.blocks.map(\.type) == ["c"])
        #expect(b.body.blocks.first?.body.items.isEmpty == true)
        #expect(spot(b.range) == "2:3-4:4@6-26")
    }

    @Test func singleLineBlock() throws {
        let file = parseFile("a \"l\" { b = 1 + 2 }\n")
        #expect(file.diagnostics.isEmpty)
        let block = try #require(file.body.blocks.first)
        let attribute = try #require(block.body.attribute("b"))
        #expect(tree(attribute.expression) == "(+ 1 2)")
        #expect(spot(attribute.range) == "1:9-1:18@8-17")
        #expect(spot(block.closeBraceRange) == "1:19-1:20@18-19")
        #expect(spot(block.range) == "1:1-1:20@0-19")
    }

    @Test func labelsDecodeEscapes() throws {
        let file = parseFile("a \"x\\\"y\" {\n}\n")
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.blocks.first?.labels.first?.value == "x\"y")
    }

    @Test func commentsEverywhere() {
        let text = """
        # leading
        a = 1 # trailing
        // slash
        /* block */ b = /* inline */ 2
        c = [ # inside a tuple
          1, // one
          2, /* two */
        ]
        d = {
          # inside an object
          e = 1 // after
        }
        """
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.summary))")
        #expect(file.body.attributes.map(\.name) == ["a", "b", "c", "d"])
        #expect(tree(file.body.attribute("c")!.expression) == "[1 2]")
        #expect(tree(file.body.attribute("d")!.expression) == "{'e'=1}")
    }

    @Test func emptyAndCommentOnlyFiles() {
        for text in ["", "\n\n", "# only a comment", "/*\n  block\n*/\n", "\u{FEFF}"] {
            let file = parseFile(text)
            #expect(file.diagnostics.isEmpty, "\(text.debugDescription)")
            #expect(file.body.items.isEmpty)
        }
    }

    @Test func crlfLineEndings() throws {
        let text = "a = 1\r\nb \"x\" {\r\n  c = \"d\"\r\n}\r\ne = <<EOT\r\nline\r\nEOT\r\n"
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.summary))")
        #expect(file.body.items.count == 3)
        let c = try #require(file.body.blocks.first?.body.attribute("c"))
        #expect(spot(c.range) == "3:3-3:10@18-25")
        #expect(c.expression.staticString == "d")
        let e = try #require(file.body.attribute("e"))
        #expect(e.expression.staticString == "line\r\n")
        #expect(spot(e.range) == "5:1-7:4@30-50")
    }

    @Test func byteOrderMarkAtStart() throws {
        let file = parseFile("\u{FEFF}a = 1\n")
        #expect(file.diagnostics.isEmpty)
        let a = try #require(file.body.attribute("a"))
        // Offsets count the BOM's three bytes.
        #expect(a.nameRange.start.offset == 3)
        #expect(tree(a.expression) == "1")
    }

    @Test func multiByteCharactersBeforeATokenCountScalarsForColumnsAndBytesForOffsets() throws {
        // "é" is 2 bytes, "😀" is 4 bytes (one scalar), "👩‍👩‍👧" is 3 emoji joined by 2 ZWJs: 5 scalars, 18 bytes.
        let file = parseFile("a = \"é😀👩‍👩‍👧\" # ü\nb = x\n")
        #expect(file.diagnostics.isEmpty)
        let a = try #require(file.body.attribute("a"))
        #expect(spot(a.expression.range) == "1:5-1:14@4-30")
        let b = try #require(file.body.attribute("b"))
        #expect(spot(b.nameRange) == "2:1-2:2@36-37")
        let file2 = parseFile("/* é😀 */ x = 1")
        #expect(spot(file2.body.attributes[0].nameRange) == "1:10-1:11@13-14")
    }

    @Test func duplicateArgumentIsReportedAtTheSecondDefinition() throws {
        let file = parseFile("a = 1\nb = 2\na = 3\nblk {\n  a = 1\n}\n")
        #expect(file.diagnostics.count == 1)
        let d = try #require(file.diagnostics.first)
        #expect(d.summary == "Duplicate argument `a`")
        #expect(spot(d.range) == "3:1-3:2@12-13")
        #expect(d.detail?.contains("line 1, column 1") == true)
        // Both stay in the tree; `attribute(_:)` returns the last.
        #expect(file.body.attributes.count == 3)
        #expect(tree(file.body.attribute("a")!.expression) == "3")
    }

    @Test func duplicateArgumentsInALargeBodyAreReportedOnce() throws {
        // Past 16 items the parser switches from searching the items to a table.
        let names = (0..<40).map { "a\($0) = \($0)\n" }.joined()
        let file = parseFile(names + "blk {\n}\na3 = 1\na39 = 2\na40 = 3\na40 = 4\n")
        #expect(file.diagnostics.map(\.summary) == ["Duplicate argument `a3`", "Duplicate argument `a39`", "Duplicate argument `a40`"])
        #expect(file.diagnostics[0].detail?.contains("line 4, column 1") == true)
        #expect(file.diagnostics[2].detail?.contains("line 45, column 1") == true)
    }

    @Test func identifiersWithDashesAndKeywordsAsNames() {
        let file = parseFile("for-each = 1\nif = 2\ntrue = 3\n")
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.attributes.map(\.name) == ["for-each", "if", "true"])
    }

    @Test func attributeValueMayBeAnyExpressionSpanningLinesInBrackets() {
        let text = """
        policy = jsonencode({
          Version = "2012-10-17"
          Statement = [
            {
              Effect   = "Allow"
              Action   = ["s3:GetObject",
                          "s3:PutObject"]
              Resource = "*"
            },
          ]
        })
        next = true
        """
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.summary))")
        #expect(file.body.attributes.map(\.name) == ["policy", "next"])
        #expect(tree(file.body.attribute("policy")!.expression) ==
            "jsonencode({'Version'=(tpl '2012-10-17') 'Statement'=[{'Effect'=(tpl 'Allow') 'Action'=[(tpl 's3:GetObject') (tpl 's3:PutObject')] 'Resource'=(tpl '*')}]})")
    }

    /// The parser reuses the `String` it made for the same bytes earlier in the file (a small
    /// table indexed by a hash): names and plain literals must still be exactly their own text,
    /// whatever collides, repeats or differs only in the middle.
    @Test func namesAndLiteralsAreTheirOwnTextWhateverRepeats() {
        var text = ""
        var expected: [(String, String, String)] = []
        for i in 0..<3_000 {
            // Same first and last bytes and length, different middles; some repeat; lengths 1 to 70.
            let name = i % 7 == 0 ? "name" : "a\(String(repeating: "x", count: i % 60))\(i)z"
            let value = i % 5 == 0 ? "v" : "s\(i % 97)-\(String(repeating: "é", count: i % 3))t"
            let label = "l\(i % 11)\(String(repeating: "-", count: i % 65))m"
            text += "b \"\(label)\" {\n  \(name) = \"\(value)\"\n  k = \(name)\n}\n"
            expected.append((name, value, label))
        }
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty)
        #expect(file.body.blocks.count == expected.count)
        for (block, (name, value, label)) in zip(file.body.blocks, expected) {
            #expect(block.labels.map(\.value) == [label])
            #expect(block.body.attributes.map(\.name) == [name, "k"])
            #expect(block.body.attributes.first?.expression.staticString == value)
            #expect(block.body.attribute("k")?.expression.traversalPath == [name])
        }
    }
}
