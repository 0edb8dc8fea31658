import Foundation

/// The package root, found from this file's path.
let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        url = url.deletingLastPathComponent()
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// Whether snapshots and golden files should be rewritten instead of compared.
let recordGoldens = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
