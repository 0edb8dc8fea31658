import AuditCore
import Foundation
import Testing
import TestSupport
@testable import Knowledge
@testable import DevTools

@Suite struct ExampleMarkerTests {
    @Test func materialiseStripsMarkersAndLocatesThem() throws {
        let example = RuleExample(name: "x", kind: .triggering, files: [
            ExampleFile(path: "main.tf", contents: "module \"a\" {\n  1️⃣enable = true\n  # café ☕ 2️⃣x\n}\n"),
            ExampleFile(path: "scripts/run.sh", contents: "🔟echo 3⃣hi\n"),
        ])
        let (files, markers) = example.materialise()
        #expect(files["main.tf"] == "module \"a\" {\n  enable = true\n  # café ☕ x\n}\n")
        #expect(files["scripts/run.sh"] == "echo hi\n")

        let one = try #require(markers["1️⃣"])
        #expect(one.path == "main.tf" && one.line == 2 && one.column == 3 && one.offset == 15)
        // Multi-byte text before the marker: columns count scalars, offsets count UTF-8 bytes.
        let two = try #require(markers["2️⃣"])
        #expect(two.line == 3 && two.column == 12)
        let text = try #require(files["main.tf"])
        let offset = two.offset
        #expect(String(decoding: Array(text.utf8)[offset...], as: UTF8.self).hasPrefix("x\n}"))
        #expect(SourceFile(path: "main.tf", text: text).position(ofOffset: offset) == SourcePosition(line: 3, column: 12, offset: offset))

        #expect(markers["🔟"].map { ($0.path, $0.line, $0.column, $0.offset) } ?? ("", 0, 0, 0) == ("scripts/run.sh", 1, 1, 0))
        // A keycap without the variation selector is the same marker.
        #expect(markers["3️⃣"].map { ($0.line, $0.column, $0.offset) } ?? (0, 0, 0) == (1, 6, 5))
        #expect(markers.count == 4)
    }

    @Test func canonicalMarkerForms() {
        #expect(ExampleMarkers.canonical("1️⃣") == "1\u{FE0F}\u{20E3}")
        #expect(ExampleMarkers.canonical("1\u{20E3}") == "1\u{FE0F}\u{20E3}")
        #expect(ExampleMarkers.canonical("🔟") == "🔟")
        #expect(ExampleMarkers.canonical("0️⃣") == nil)
        #expect(ExampleMarkers.canonical("1") == nil)
        #expect(ExampleMarkers.canonical("11️⃣") == nil)
        #expect(ExampleMarkers.all.count == 10)
    }

    @Test func digitsThatAreNotKeycapsStay() {
        let stripped = ExampleMarkers.strip("version = \"4.0.1\"\n")
        #expect(stripped.text == "version = \"4.0.1\"\n")
        #expect(stripped.markers.isEmpty)
    }

    /// `strip` reads bytes; it must answer as the scalar reading it replaced (below, as it was)
    /// on mixes of digits, keycaps with and without U+FE0F, 🔟, line breaks and other scalars.
    @Test func byteStripAgreesWithTheScalarReading() {
        func reference(_ text: String) -> (text: String, markers: [ExampleMarkers.Occurrence]) {
            let s = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var markers: [ExampleMarkers.Occurrence] = []
            var line = 1, column = 1, offset = 0, i = 0
            while i < s.count {
                let c = s[i]
                var length = 0, marker = ""
                if c == "\u{1F51F}" {
                    length = 1
                    marker = ExampleMarkers.all[9]
                } else if ("1"..."9").contains(c) {
                    if i + 1 < s.count, s[i + 1] == "\u{20E3}" { length = 2 } else if i + 2 < s.count, s[i + 1] == "\u{FE0F}", s[i + 2] == "\u{20E3}" { length = 3 }
                    if length > 0 { marker = "\(c)\u{FE0F}\u{20E3}" }
                }
                if length > 0 {
                    markers.append(.init(marker: marker, line: line, column: column, offset: offset))
                    i += length
                    continue
                }
                out.append(c)
                offset += String(c).utf8.count
                if c == "\n" { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
            return (String(out), markers)
        }
        var generator = SeededGenerator(seed: 29)
        let pieces = ["1", "5", "9", "0", "\u{20E3}", "\u{FE0F}", "🔟", "\n", "\r\n", "é", "🦆", "x", " ", "3\u{20E3}", "7\u{FE0F}\u{20E3}"]
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 0...14, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let (ours, theirs) = (ExampleMarkers.strip(text), reference(text))
            #expect(ours.text == theirs.text && ours.markers == theirs.markers, "\(text.debugDescription)")
        }
    }

    @Test func catalogueExamplesMaterialiseConsistently() throws {
        let kb = try TestEnvironment.knowledge()
        for rule in kb.rules {
            for example in rule.examples {
                let (files, markers) = example.materialise()
                #expect(Set(files.keys) == Set(example.files.map(\.path)))
                #expect(Set(markers.keys) == Set(example.expect.map(\.marker)), "\(rule.id)/\(example.name)")
                for (marker, at) in markers {
                    let source = SourceFile(path: at.path, text: files[at.path]!)
                    #expect(source.position(ofOffset: at.offset) == SourcePosition(line: at.line, column: at.column, offset: at.offset),
                            "\(rule.id)/\(example.name) \(marker)")
                }
            }
        }
    }
}

@Suite struct ScriptFingerprintTests {
    /// The rules of `normalise` written over scalars, independently: the oracle of its byte reading.
    static func scalarOracle(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var lines: [[Unicode.Scalar]] = [[]]
        var k = 0
        while k < scalars.count {
            if scalars[k] == "\r" || scalars[k] == "\n" {
                if scalars[k] == "\r", k + 1 < scalars.count, scalars[k + 1] == "\n" { k += 1 }
                lines.append([])
            } else {
                lines[lines.count - 1].append(scalars[k])
            }
            k += 1
        }
        let kept = lines.map { line -> String in
            var l = line
            while let last = l.last, last == " " || last == "\t" { l.removeLast() }
            var s = String.UnicodeScalarView()
            s.append(contentsOf: l)
            return String(s)
        }.filter { !$0.unicodeScalars.isEmpty }
        return kept.joined(separator: "\n")
    }

    @Test func byteReadingAgreesWithTheScalarRules() {
        let pieces = ["echo a", " ", "\t", "\n", "\r", "\r\n", "\u{FEFF}", "é", "e\u{301}", " \u{301}", "\u{301}\n", "🚀", "日本", "\u{85}", "\u{2028}"]
        var generator = SeededGenerator(seed: 13)
        for round in 0..<4_000 {
            var text = round % 3 == 0 ? "\u{FEFF}" : ""
            for _ in 0..<Int.random(in: 0...16, using: &generator) { text += pieces.randomElement(using: &generator)! }
            #expect(ScriptFingerprint.normalise(text) == Self.scalarOracle(text), "\(text.debugDescription)")
        }
    }

    @Test func normaliseIgnoresLineEndingsTrailingBlanksAndBOM() {
        let base = "#!/bin/bash\necho a\n\nif true; then\n  echo b\nfi\n"
        let variants = [
            base,
            base.replacingOccurrences(of: "\n", with: "\r\n"),
            base.replacingOccurrences(of: "\n", with: "\r"),
            "\u{FEFF}" + base,
            base.replacingOccurrences(of: "echo a\n", with: "echo a   \t\n\n\n  \n"),
            base + "\n\n",
            String(base.dropLast()),
        ]
        let expected = "#!/bin/bash\necho a\nif true; then\n  echo b\nfi"
        for v in variants {
            #expect(ScriptFingerprint.normalise(v) == expected, "\(v.debugDescription)")
            #expect(ScriptFingerprint.sha256(of: v) == ScriptFingerprint.sha256(of: base))
        }
        // Leading indentation and content changes do matter.
        #expect(ScriptFingerprint.sha256(of: base.replacingOccurrences(of: "  echo b", with: "echo b")) != ScriptFingerprint.sha256(of: base))
        #expect(ScriptFingerprint.sha256(of: "") == Fingerprint.sha256Hex(Data()))
    }

    @Test(arguments: [
        ("./config.sh --unattended $config\n./run.sh\n", StartContract?.some(.tokenOnly)),
        ("& .\\config.cmd $config\n", .tokenOnly),
        ("./run.sh --jitconfig $config\n", .jitOnly),
        ("if [[ $enable_jit_config == true ]]; then ./run.sh --jitconfig $c; else ./config.sh $c; fi\n", .jitAware),
        ("echo hello\n", nil),
    ])
    func contractFromMarkers(text: String, expected: StartContract?) {
        #expect(ScriptFingerprint.contract(of: text) == expected)
    }

    /// The contract boundaries the rules depend on, over the committed data.
    @Test func contractsFollowTheModuleHistory() throws {
        let kb = try TestEnvironment.knowledge()
        func entries(_ file: String) -> [ScriptFingerprintEntry] {
            kb.scriptFingerprints.filter { $0.file == file && $0.form != .packer }
        }
        let linux = entries("modules/runners/templates/start-runner.sh")
        #expect(!linux.isEmpty)
        for e in linux {
            for v in e.releases {
                let expected: StartContract = v < .v("4.0.0") ? .tokenOnly : v == .v("4.0.0") ? .jitOnly : .jitAware
                #expect(e.contract == expected, "start-runner.sh \(e.form) at \(v)")
            }
        }
        let windows = entries("modules/runners/templates/start-runner.ps1")
        for e in windows {
            for v in e.releases {
                #expect(e.contract == (v < .v("5.16.3") ? .tokenOnly : .jitAware), "start-runner.ps1 \(e.form) at \(v)")
            }
        }
        // Every release has its Linux and Windows template fingerprinted, exactly once.
        for r in kb.releases {
            #expect(linux.filter { $0.form == .template && $0.releases.contains(r.version) }.count == 1, "\(r.version)")
            #expect(windows.filter { $0.form == .template && $0.releases.contains(r.version) }.count == 1, "\(r.version)")
        }
        // The 4.0.1 defect is recorded on every form of that script, and only there.
        let defective = kb.scriptFingerprints.filter { !$0.defects.isEmpty }
        #expect(!defective.isEmpty)
        #expect(defective.allSatisfy { $0.releases == [.v("4.0.1")] && $0.defects[0].contains("dash") })
        #expect(Set(defective.map(\.form)) == [.template, .rendered, .packer])
    }

    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror), arguments: [
        ("v3.6.1", "modules/runners/templates/start-runner.sh", StartContract.tokenOnly),
        ("v4.0.0", "modules/runners/templates/start-runner.sh", .jitOnly),
        ("v4.0.1", "modules/runners/templates/start-runner.sh", .jitAware),
        ("v6.7.0", "modules/runners/templates/start-runner.sh", .jitAware),
        ("v5.16.2", "modules/runners/templates/start-runner.ps1", .tokenOnly),
        ("v5.16.3", "modules/runners/templates/start-runner.ps1", .jitAware),
        ("v7.11.0", "modules/runners/templates/start-runner-osx.sh", .jitAware),
    ])
    func fingerprintsRecomputedFromTheMirror(tag: String, path: String, contract: StartContract) throws {
        let kb = try TestEnvironment.knowledge()
        let mirror = try #require(TestEnvironment.mirror())
        let text = try #require(try mirror.show(tag, path))
        let version = ModuleVersion(tag)!

        let entry = try #require(kb.fingerprint(ofScript: text), "\(tag):\(path) not fingerprinted")
        #expect(entry.file == path)
        #expect(entry.form == .template)
        #expect(entry.contract == contract)
        #expect(entry.releases.contains(version))
        #expect(entry.defects.isEmpty == (tag != "v4.0.1"))

        // A copy moved through Windows tooling is still recognised.
        let mangled = text.replacingOccurrences(of: "\n", with: "  \r\n")
        #expect(kb.fingerprint(ofScript: mangled)?.sha256 == entry.sha256)
        // An edited copy is not.
        #expect(kb.fingerprint(ofScript: text + "\necho customised\n") == nil)

        // The script as rendered onto an instance and as baked by Packer.
        if path.hasSuffix("start-runner.sh") {
            let rendered = try #require(TemplateRenderer.render(text, variables: ["metadata_tags": "enabled"]))
            let r = try #require(kb.fingerprint(ofScript: rendered))
            #expect(r.releases.contains(version) && r.contract == contract)
            #expect(r.form == .rendered || ScriptFingerprint.normalise(rendered) == ScriptFingerprint.normalise(text))
            let wrapper = try #require(try mirror.show(tag, "images/start-runner.sh"))
            let baked = try #require(TemplateRenderer.render(wrapper, variables: ["start_runner": rendered]))
            let p = try #require(kb.fingerprint(ofScript: baked))
            #expect(p.form == .packer && p.file == "images/start-runner.sh" && p.releases.contains(version) && p.contract == contract)
        }
    }
}
