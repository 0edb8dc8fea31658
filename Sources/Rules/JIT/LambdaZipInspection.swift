import AuditCore
import Foundation
import Knowledge
import Terraform

/// JIT-109 on lambda zips committed to the scanned repository (`runners_lambda_zip =
/// "lambdas/runners.zip"`): the zip's central directory (names, sizes, CRC-32s; nothing is
/// decompressed) tells a build of the module's lambda from anything else, and, from 6.4.0 when the
/// build zips the function's `package.json` next to the bundle, which release it was built from
/// (`rules/knowledge/lambda-packages.yaml`).
extension LambdaVersionRule {
    /// A `*_lambda_zip` input naming a file of the scan tree, and what its directory says.
    struct CommittedZip {
        var input: String
        /// The release asset the input takes (`runners`), nil when the input is not one the audit knows.
        var asset: String?
        /// Root-relative path of the zip.
        var path: String
        var range: SourceRange
        var owner: RunnerModuleCall
        var reading: Reading
    }

    enum Reading {
        case unreadable(ZipDirectory.Problem)
        /// The module's layout, and its package.json is the one of these runs.
        case released([LambdaPackageRun])
        /// The module's layout with a package.json of no release.
        case unreleasedPackage
        /// A bundle alone at the root: the layout of the module's assets before `packageSince`.
        case bundleOnly(packageSince: ModuleVersion?)
        /// No `index.js` at the root, where the module's handlers (`index.…`) look.
        case noHandler([String])
    }

    /// The file a zip input names, relative to the scan root: tried against the Terraform root the
    /// call runs in (where Terraform resolves relative paths), then the calling module's folder.
    /// Nil when it names nothing in the tree (built in CI, outside the root, an unknown value).
    static func committedZipPath(_ written: String, call: RunnerModuleCall, fileSystem: any FileSystem) -> String? {
        var text = written
        if text.hasPrefix("/") {
            guard let root = fileSystem.absoluteRoot, text.hasPrefix(root + "/") else { return nil }
            text = String(text.dropFirst(root.count + 1))
        }
        guard !text.isEmpty, !text.contains("://"), !text.contains("${"), text.lowercased().hasSuffix(".zip") else { return nil }
        for base in [call.scope.rootDirectory, call.scope.module.directory, Paths.directory(of: call.call.file)] {
            if let path = Paths.join(base, text), fileSystem.size(path) != nil { return path }
        }
        return nil
    }

    /// What the zip's directory says, against what the module's releases ship.
    static func read(zip data: Data, asset: String?, knowledge: KnowledgeBase) -> Reading {
        let directory: ZipDirectory
        switch ZipDirectory.read(data) {
        case .failure(let problem): return .unreadable(problem)
        case .success(let d): directory = d
        }
        let names = directory.entries.filter { !$0.isDirectory }.map(\.name)
        guard names.contains("index.js") else { return .noHandler(names) }
        let runs = asset.map { knowledge.lambdaPackages(asset: $0) } ?? knowledge.lambdaPackages
        let since = runs.filter { $0.packageJSON != nil }.map(\.first).min()
        guard let package = directory.entries.first(where: { $0.name == "package.json" }) else { return .bundleOnly(packageSince: since) }
        let matches = knowledge.lambdaPackages(packageJSON: .init(size: package.uncompressedSize, crc32: package.crc32))
        return matches.isEmpty ? .unreleasedPackage : .released(matches)
    }

    /// The committed zips the calls name, read (each at most `Limits.maxFileSize`, never outside the root).
    func committedZips(_ context: RuleContext) -> [CommittedZip] {
        var out: [CommittedZip] = []
        let fs = context.workspace.fileSystem
        for call in context.model.calls where call.kind.hasFleets {
            for a in call.call.inputs where a.name.hasSuffix("_lambda_zip") {
                let (v, _) = call.scope.evaluate(a.expression)
                guard let text = v.stringValue, let path = Self.committedZipPath(text, call: call, fileSystem: fs) else { continue }
                let asset = Self.lambdaAsset(ofInput: a.name)
                let reading: Reading
                if let data = fs.read(path) {
                    reading = Self.read(zip: data, asset: asset, knowledge: context.knowledge)
                } else {
                    reading = .unreadable(.tooLarge)
                }
                out.append(CommittedZip(input: a.name, asset: asset, path: path, range: v.origin ?? a.expression.range, owner: call, reading: reading))
            }
        }
        return out
    }

    /// `7.6.0…7.10.0` or `6.5.0…6.5.2, 6.6.0`.
    static func releases(_ runs: [LambdaPackageRun]) -> String {
        runs.map { $0.first == $0.last ? $0.first.description : "\($0.first)…\($0.last)" }.joined(separator: ", ")
    }

    /// One finding per committed zip (nil when it is in lockstep with the module at the target).
    func committedZipFinding(_ zip: CommittedZip, context: RuleContext) -> Finding? {
        let call = zip.owner
        let current = context.currentVersion(for: call)
        let target = context.targetVersion(for: call)
        let assetName = zip.asset.map { "`\($0).zip`" } ?? "lambda zip"
        let wanted = target ?? current
        var replace = wanted.map { "Replace it with the \(assetName) of release v\($0) (download the release asset, or build it from the module's sources at that tag)" }
            ?? "Replace it with the \(assetName) of the release the module runs"
        if let target, let current, target != current { replace += ", in the same change that moves the module to \(target)" }
        let subject = "`\(zip.input)` (`\(zip.path)`)"
        let related = [RelatedNote("module call `\(call.address)` (\(call.evidence.how))", at: call.evidence.range ?? call.call.block.typeRange)]
        func make(_ message: String, _ detail: String, _ severity: Severity, fix: String? = replace, changedIn: ModuleVersion? = nil, jit: Bool = false) -> Finding {
            var f = context.finding(id, message, at: zip.range, detail: detail, severity: severity, related: related,
                                    fix: fix.map { Fix($0) }, changedIn: changedIn)
            f.tags = jit ? ["jit"] : ["version"]
            return f
        }
        switch zip.reading {
        case .unreadable(let problem):
            switch problem {
            case .lfsPointer:
                return make("\(subject) cannot be read: \(problem)",
                            "The audit reads the zip's directory to tell which release it was built from. Check out the LFS objects (`actions/checkout` with `lfs: true`) before the audit.",
                            .note, fix: nil)
            case .notAZip, .truncated:
                return make("\(subject) is not a readable ZIP archive: \(problem)",
                            "AWS Lambda rejects a function package it cannot unzip, so the apply fails. The audit read only the archive's directory and decompressed nothing.",
                            .error)
            case .tooLarge, .zip64, .tooManyEntries, .bombShaped:
                return make("\(subject) is not a lambda artefact of the module: \(problem)",
                            "The module's lambda zips hold a bundle (`index.js`) and at most its `package.json`; this archive was not read further and nothing in it was decompressed.",
                            .warning)
            }
        case .noHandler(let names):
            let shown = names.prefix(5).map { "`\($0)`" }.joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
            return make("\(subject) holds no `index.js` at its root, where the module's lambda handlers (`index.…`) look",
                        "The module configures every lambda with a handler in `index.js`; this zip holds \(names.isEmpty ? "no file" : shown). It is not a build of the module's lambda, and the function fails to start.",
                        .error)
        case .unreleasedPackage:
            return make("\(subject) is a built lambda artefact whose `package.json` matches no release of the module, so its release cannot be told",
                        "Its files are the module's build layout (the bundle `index.js` and the function's `package.json`, zipped from 6.4.0 on), but that `package.json` (size and CRC-32 from the zip's directory) is none of the module's releases: built from an unreleased commit or a fork, or changed after the build.",
                        .warning)
        case .bundleOnly(let since):
            var detail = "Its files are the module's build layout without a `package.json`: the bundle (`index.js`) carries no release, so which release it was built from cannot be told from the zip."
            var severity = Severity.note
            var crossed: [LambdaContractChange] = []
            if let since, let current, current >= since {
                // Release assets zip package.json from `since`: this one was built before, or by hand.
                crossed = context.knowledge.lambdaContracts.filter { $0.release > since && $0.release <= current && $0.concerns(lambda: zip.asset) }
                detail += " The module's own release assets hold a `package.json` from \(since) on, and `\(call.address)` runs \(current): this zip was built for an older release, or not by the module's build."
                if !crossed.isEmpty {
                    detail += " Between \(since) and \(current) the lambda contract changed: " + crossed.map { "\($0.release): \($0.summary)" }.joined(separator: "; ") + "."
                    severity = .error
                } else {
                    severity = .warning
                }
            }
            return make("\(subject) is a built lambda artefact whose release cannot be told from its files (a bundle alone, without `package.json`)",
                        detail + " It must be rebuilt or downloaded for the release the module runs.", severity,
                        jit: crossed.contains(where: \.jit))
        case .released(let runs):
            let mine = zip.asset.map { a in runs.filter { $0.asset == a } } ?? runs
            guard !mine.isEmpty else {
                let other = runs[0].asset
                return make("\(subject) is the `\(other)` lambda of release \(Self.releases(runs)), not the \(assetName) the input takes",
                            "Its `package.json` is the one of `\(runs[0].source)` (size and CRC-32 from the zip's directory): the function would run another lambda's code.",
                            .error)
            }
            let built = "the built `\(mine[0].asset)` artefact of release \(Self.releases(mine))"
            let evidence = "Its `package.json` is byte for byte the one of `\(mine[0].source)` at \(mine.count == 1 && mine[0].first == mine[0].last ? "that release" : "those releases") (size and CRC-32 from the zip's directory; nothing was decompressed)."
            guard let current else {
                return make("\(subject) is \(built); the release module `\(call.address)` runs is not known", evidence + " Confirm the module runs the same release.", .note, fix: nil)
            }
            if mine.contains(where: { $0.exists(at: current) }) {
                guard let target, target != current else { return nil }
                return make("\(Self.lockstepMessagePrefix): \(subject) is \(built) and matches `\(call.address)` at \(current); it must be replaced with the one of \(target) with it",
                            evidence + " The zip is in lockstep with the module today: replace it in the same change that moves the module to \(target), never one without the other.",
                            .note, fix: "Replace the zip with the \(assetName) of release v\(target) in the same change as the module version")
            }
            // Drift: the nearest release the zip can be from against the module's current release.
            let candidates = mine.flatMap { [$0.first, $0.last] }
            let nearest = candidates.min { $0.distance(to: current) < $1.distance(to: current) }!
            let crossed = context.knowledge.lambdaContracts.filter { $0.separates(nearest, current) && $0.concerns(lambda: mine[0].asset) }
            var detail = evidence
            if crossed.isEmpty {
                detail += " No lambda contract change the knowledge base records lies between \(min(nearest, current)) and \(max(nearest, current)), so this is likely to work, but it is not a tested combination."
            } else {
                detail += " The zip and the module sit on different sides of " + crossed.map { "\($0.release): \($0.summary)" }.joined(separator: "; ") + "."
            }
            return make("\(subject) is \(built), but module `\(call.address)` runs release \(current)", detail,
                        crossed.isEmpty ? .warning : .error, changedIn: current, jit: crossed.contains(where: \.jit))
        }
    }
}
