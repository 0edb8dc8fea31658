import AuditCore

/// What a lambda release asset of the module (`runners.zip`, `webhook.zip`...) holds over a run of
/// releases, as its build script writes it (`rules/knowledge/lambda-packages.yaml`): the files
/// zipped, and, from the releases that zip the function's `package.json` next to the bundle, that
/// file's size and CRC-32, which the zip's central directory repeats. The bundle (`index.js`)
/// carries no release; the `package.json` tells releases apart.
public struct LambdaPackageRun: ReleaseRun, Sendable, Hashable {
    /// The release asset name without `.zip`: `runners`, `webhook`, `runner-binaries-syncer`,
    /// `ami-housekeeper`, `termination-watcher`.
    public var asset: String
    /// The function's folder in the module (`lambdas/functions/control-plane`).
    public var source: String
    public var first: ModuleVersion
    public var last: ModuleVersion
    /// The files the build script zips (`index.js`, `package.json`).
    public var entries: [String]
    /// Size and CRC-32 of the zipped `package.json` (nil when the zip holds none).
    public var packageJSON: FileSum?

    public struct FileSum: Sendable, Hashable {
        public var size: UInt64
        public var crc32: UInt32

        public init(size: UInt64, crc32: UInt32) {
            self.size = size
            self.crc32 = crc32
        }
    }

    public init(asset: String, source: String, first: ModuleVersion, last: ModuleVersion, entries: [String], packageJSON: FileSum?) {
        self.asset = asset
        self.source = source
        self.first = first
        self.last = last
        self.entries = entries
        self.packageJSON = packageJSON
    }
}

extension KnowledgeBase {
    /// The runs whose zipped `package.json` has this size and CRC-32, oldest first.
    public func lambdaPackages(packageJSON sum: LambdaPackageRun.FileSum) -> [LambdaPackageRun] {
        lambdaPackages.filter { $0.packageJSON == sum }
    }

    /// The runs of the asset `asset`, oldest first.
    public func lambdaPackages(asset: String) -> [LambdaPackageRun] {
        lambdaPackages.filter { $0.asset == asset }
    }
}

extension KnowledgeFiles {
    package static let lambdaPackagesPath = "knowledge/lambda-packages.yaml"

    package struct LambdaPackageRow: Sendable, Equatable {
        package var asset: String
        package var source: String
        package var first: String
        package var last: String
        package var entries: [String]
        package var packageJSONSize: Int?
        /// Eight lower-case hex digits.
        package var packageJSONCRC32: String?

        package init(asset: String, source: String, first: String, last: String, entries: [String], packageJSONSize: Int?, packageJSONCRC32: String?) {
            self.asset = asset
            self.source = source
            self.first = first
            self.last = last
            self.entries = entries
            self.packageJSONSize = packageJSONSize
            self.packageJSONCRC32 = packageJSONCRC32
        }
    }

    package struct LambdaPackagesFile: Sendable {
        package var packages: [LambdaPackageRow]
    }
}

extension KnowledgeFiles.LambdaPackagesFile {
    init(node r: NodeReader) throws {
        packages = try r.fields().required("packages").list().map { node in
            let f = try node.fields()
            return KnowledgeFiles.LambdaPackageRow(
                asset: try f.required("asset").string(), source: try f.required("source").string(),
                first: try f.required("first").string(), last: try f.required("last").string(),
                entries: try f.required("entries").list().map { try $0.string() },
                packageJSONSize: try f.optional("package_json_size").map { try $0.int() },
                packageJSONCRC32: try f.optional("package_json_crc32")?.optionalString())
        }
    }
}
