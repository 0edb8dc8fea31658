import Foundation

/// The hostile inputs of issue 15, as files: `HostileInputTests` audits each one and the whole
/// tree and checks the findings they get; `ghr-audit-bench --only hostile` times the whole tree
/// with the release build. One definition, so the bench measures what the tests check.
public enum HostileTree {
    /// The depth of the nesting inputs: far beyond every parser's limit.
    public static let nested = 20_000

    /// An ordinary runner module call: the audit must still read it beside every hostile input.
    public static let runners = """
    module "runners" {
      source  = "github-aws-runners/github-runner/aws"
      version = "3.6.1"
      enable_ephemeral_runners = true
    }

    """

    /// One hostile input: the files it writes beside `main.tf`.
    public struct Input: Sendable {
        public var name: String
        public var files: [String: Data]

        init(_ name: String, _ files: [String: Data]) {
            self.name = name
            self.files = files
        }

        init(_ name: String, text files: [String: String]) {
            self.init(name, files.mapValues { Data($0.utf8) })
        }
    }

    /// Bytes that are not UTF-8 anywhere: 0xFF and 0xFE never occur in it.
    public static func randomBytes(_ count: Int, seed: UInt64) -> Data {
        var rng = SeededGenerator(seed: seed)
        var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[count / 2] = 0xFF
        return Data(bytes)
    }

    /// The inputs that are files of their own (links, FIFOs, the many files and the deep chain are
    /// written by `writeWhole`).
    public static let inputs: [Input] = [
        Input("random bytes named .tf", ["random.tf": randomBytes(4096, seed: 15)]),
        // Latin-1 `é`: the finding points at the byte, not the file's start.
        Input("invalid UTF-8", ["latin1.tf": Data("locals {\n  name = \"caf".utf8) + Data([0xE9]) + Data("\"\n}\n".utf8)]),
        Input("BOM and CRLF", text: ["bom/main.tf": "\u{FEFF}module \"bom\" {\r\n  source  = \"github-aws-runners/github-runner/aws\"\r\n  version = \"3.6.1\"\r\n  runner_extra_labels = \"a,b\"\r\n}\r\n"]),
        Input("20,000-deep brackets", text: ["deep-brackets.tf": "locals {\n  x = " + String(repeating: "[", count: nested) + String(repeating: "]", count: nested) + "\n}\n"]),
        Input("20,000-deep blocks", text: ["deep-blocks.tf": String(repeating: "a {\n", count: nested) + String(repeating: "}\n", count: nested)]),
        Input("20,000-deep parentheses", text: ["deep-parens.tf": "locals {\n  x = " + String(repeating: "(", count: nested) + "1" + String(repeating: ")", count: nested) + "\n}\n"]),
        Input("20,000-deep JSON", text: ["deep/policy.json": String(repeating: "[", count: nested) + String(repeating: "]", count: nested)]),
        Input("20,000-deep YAML", text: ["deep/config.yaml": String(repeating: "[", count: nested) + String(repeating: "]", count: nested) + "\n"]),
        Input("20,000-deep shell substitutions", text: ["deep/start.sh": "#!/bin/bash\necho " + String(repeating: "$(", count: nested) + String(repeating: ")", count: nested) + "\n"]),
        Input("unterminated heredoc", text: ["heredoc.tf": "locals {\n  x = <<EOT\nhello\n"]),
        Input("unterminated string", text: ["string.tf": "locals {\n  x = \"abc\n  y = 1\n}\n"]),
        Input("broken YAML", text: ["runners/linux.yaml": "a: [1, 2\nb: {c: d\n"]),
        Input("truncated JSON", text: ["policy.json": #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:"#]),
        // Bash runs the rest of the file as the document's text.
        Input("unterminated shell heredoc", text: ["start.sh": "#!/bin/bash\ncat <<EOF > /etc/runner.env\nA=1\n./config.sh --ephemeral\n"]),
        Input("unterminated PowerShell here-string", text: ["start.ps1": "$x = @\"\nnot closed\n"]),
    ]

    /// The runner call, plus a local reading each file that is not Terraform: the audit reads
    /// YAML, JSON and scripts only when the deployment reaches them.
    public static func main(reaching paths: [String]) -> String {
        let reached = paths.filter { !$0.hasSuffix(".tf") }.sorted()
        guard !reached.isEmpty else { return runners }
        return runners + "locals {\n  reached = [\n" + reached.map { "    file(\"\($0)\"),\n" }.joined() + "  ]\n}\n"
    }

    /// A minified `.tf.json` (one line) of `calls` runner module calls at 3.6.1, each setting
    /// three inputs that 5.0.0 removed: three findings a call, all on the file's one long line.
    public static func minifiedCalls(_ calls: Int) -> String {
        let inputs = #""enable_ephemeral_runners":true,"fifo_build_queue":true,"enabled_userdata":true,"runner_enable_workflow_job_labels_check_all":true"#
        let modules = (0..<calls).map { #""r\#($0)":{"source":"philips-labs/github-runner/aws","version":"3.6.1",\#(inputs)}"# }
        return #"{"module":{"# + modules.joined(separator: ",") + "}}"
    }

    /// "Billion laughs": ten levels of nine aliases each.
    public static let aliasBomb: String = {
        var yaml = ["a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for i in 1...9 { yaml.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        return yaml.joined(separator: "\n") + "\n"
    }()

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `data` at `path` below `root`, making the folders it needs.
    public static func writeFile(_ data: Data, _ path: String, in root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// `count` small files in one folder, each declaring a local: one module of `count` files.
    public static func writeManyFiles(in dir: URL, count: Int = 100_000) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            let path = dir.appendingPathComponent(String(format: "f%06d.tf", i)).path
            guard FileManager.default.createFile(atPath: path, contents: Data("locals {\n  l\(i) = \(i)\n}\n".utf8)) else {
                throw Failure(description: "cannot create \(path)")
            }
        }
    }

    /// `levels` nested `d` folders, each with a small `.tf` file, made with `mkdirat`/`openat` so
    /// no path passed to the system exceeds its limit.
    public static func writeDeepTree(in dir: URL, levels: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw Failure(description: "cannot open \(dir.path)") }
        defer { close(fd) }
        let text = Array("locals {\n  x = 1\n}\n".utf8)
        for level in 0..<levels {
            let file = openat(fd, "leaf.tf", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard file >= 0 else { throw Failure(description: "cannot create leaf.tf at level \(level)") }
            _ = text.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
            close(file)
            guard mkdirat(fd, "d", 0o755) == 0 else { throw Failure(description: "cannot make the folder of level \(level + 1)") }
            let next = openat(fd, "d", O_RDONLY | O_DIRECTORY)
            guard next >= 0 else { throw Failure(description: "cannot open the folder of level \(level + 1)") }
            close(fd)
            fd = next
        }
    }

    /// A valid generated configuration of at least `bytes` bytes (resources with nested values),
    /// written in chunks. Returns its size.
    @discardableResult
    public static func writeLarge(to url: URL, bytes: Int) throws -> Int {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw Failure(description: "cannot create \(url.path)") }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var size = 0, i = 0
        while size < bytes {
            var chunk = ""
            for _ in 0..<1_000 {
                chunk += "resource \"aws_ssm_parameter\" \"p\(i)\" {\n  name  = \"/runners/config/p\(i)\"\n  type  = \"String\"\n"
                    + "  value = jsonencode({ id = \(i), labels = [\"a\", \"b\"], enabled = true })\n  tags  = { Name = \"p\(i)\", Team = \"ci\" }\n}\n\n"
                i += 1
            }
            try handle.write(contentsOf: Data(chunk.utf8))
            size += chunk.utf8.count
        }
        return size
    }

    /// The whole hostile tree in `root`: every input above reached from `main.tf`, a link loop, a
    /// FIFO, a link to `outside` (a folder beside the root holding a runner call), a YAML alias
    /// bomb, 100,000 small files in one folder and a 2,500-level folder chain; with `largeBytes`,
    /// also a generated `.tf` of that size. Remove it with `rm -rf` (the chain is deeper than
    /// `PATH_MAX`, which Foundation's removal does not handle).
    public static func writeWhole(root: URL, outside: URL, largeBytes: Int? = nil) throws {
        try writeFile(Data(main(reaching: inputs.flatMap { $0.files.keys } + ["bomb/laughs.yaml"]).utf8), "main.tf", in: root)
        for input in inputs {
            for (path, data) in input.files { try writeFile(data, path, in: root) }
        }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop.tf").path, withDestinationPath: "loop.tf")
        guard mkfifo(root.appendingPathComponent("fifo.tf").path, 0o644) == 0 else { throw Failure(description: "cannot make fifo.tf") }
        try writeFile(Data(runners.utf8), "elsewhere/main.tf", in: outside)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("shared").path,
                                                   withDestinationPath: outside.appendingPathComponent("elsewhere").path)
        try writeFile(Data(aliasBomb.utf8), "bomb/laughs.yaml", in: root)
        try writeManyFiles(in: root.appendingPathComponent("many"))
        try writeDeepTree(in: root.appendingPathComponent("chain"), levels: 2_500)
        if let largeBytes { try writeLarge(to: root.appendingPathComponent("generated.tf"), bytes: largeBytes) }
    }
}
