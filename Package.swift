// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "ghr-audit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ghr-audit", targets: ["ghr-audit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Positions, findings, versions, file system: the vocabulary every layer speaks.
        .target(name: "AuditCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        // HCL native syntax and JSON syntax: lexer, recovering parser, AST with ranges, evaluator with unknown.
        .target(name: "HCL", dependencies: ["AuditCore", "Documents"], swiftSettings: strict),
        // Positioned JSON (hand-written) and positioned YAML (Yams nodes).
        .target(name: "Documents", dependencies: ["AuditCore", "Yams"], swiftSettings: strict),
        // Bash and PowerShell scanners, start-script classification.
        .target(name: "Scripts", dependencies: ["AuditCore"], swiftSettings: strict),
        // Knowledge base: releases, inputs per release, script fingerprints, rule catalogue (from rules/).
        .target(name: "Knowledge", dependencies: ["AuditCore", "Yams"], swiftSettings: strict),
        // Terraform semantics on top of HCL: variables, locals, module calls, the deployment model.
        .target(name: "Terraform", dependencies: ["AuditCore", "HCL", "Documents", "Knowledge"], swiftSettings: strict),
        // IAM policy model and evaluation (identity policy + permission boundary), policy front ends.
        .target(name: "IAM", dependencies: ["AuditCore", "Documents", "HCL", "Knowledge", "Yams"], swiftSettings: strict),
        // CI-gate mechanics: inline suppressions, baselines, the config file, applying fixes. The config
        // is read with Documents' YAML, HCL comments with HCL's lexer.
        .target(name: "Gate", dependencies: ["AuditCore", "Documents", "HCL"], swiftSettings: strict),
        // One file per rule.
        .target(name: "Rules", dependencies: ["AuditCore", "HCL", "Documents", "Scripts", "Knowledge", "Terraform", "IAM"], swiftSettings: strict),
        // Discovery, dispatch, sorting, exit-code policy.
        .target(name: "Engine", dependencies: ["AuditCore", "HCL", "Scripts", "Knowledge", "Terraform", "Rules", "Gate"], swiftSettings: strict),
        // Pure functions from a Report to bytes.
        .target(name: "Reporters", dependencies: ["AuditCore"], swiftSettings: strict),
        // The probe's HTTP client side: the transport seam, clocks, redacted secrets; the AWS and
        // GitHub clients build on it. No rule logic.
        .target(name: "ProbeClient", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The probe's checks: live facts (AWS, GitHub) turned into findings, through the same
        // start-script and IAM analysis as `check`. No I/O of its own: it talks through ProbeClient.
        .target(name: "Probe", dependencies: ["AuditCore", "ProbeClient", "Scripts", "IAM", "Knowledge", "Terraform", "Rules", "Engine", "Gate"], swiftSettings: strict),
        // Boot rehearsal: runs start scripts in a bubblewrap sandbox against stubs (the ghr-audit
        // binary under other names) and judges the registration contract they follow.
        .target(name: "Rehearsal", dependencies: ["AuditCore", "HCL", "Scripts", "Knowledge", "Terraform", "Rules", "Engine"], swiftSettings: strict),
        .executableTarget(name: "ghr-audit", dependencies: [
            "AuditCore", "Engine", "Rehearsal", "Reporters", "Knowledge", "Gate", "Rules", "Probe",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // Maintenance code the shipped binary must not link: extracting rules/knowledge from the
        // module's git history, rendering the generated files. Used by ghr-audit-dev and the tests.
        .target(name: "DevTools", dependencies: ["AuditCore", "Knowledge", "IAM", "HCL"], swiftSettings: strict),
        .executableTarget(name: "ghr-audit-dev", dependencies: ["DevTools", "Knowledge"], swiftSettings: strict),
        // How the auditor scales with the input: `swift run -c release ghr-audit-bench`.
        // What every test target shares: where the package, ../shared and the module mirror are.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .executableTarget(name: "ghr-audit-bench", dependencies: ["Engine", "Knowledge", "AuditCore", "Rules", "Terraform", "HCL", "Reporters", "TestSupport"], swiftSettings: strict),

        .testTarget(name: "AuditCoreTests", dependencies: ["AuditCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HCLTests", dependencies: ["HCL", "Documents", "AuditCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DocumentsTests", dependencies: ["Documents", "AuditCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ScriptsTests", dependencies: ["Scripts", "AuditCore", "DevTools", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "KnowledgeTests", dependencies: ["Knowledge", "DevTools", "AuditCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TerraformTests", dependencies: ["Terraform", "HCL", "AuditCore", "Knowledge", "Documents"], swiftSettings: strict),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "Engine", "Knowledge", "AuditCore"], swiftSettings: strict),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Reporters", "AuditCore", "Knowledge", "Rules", "Terraform", "Gate", "HCL", "Yams", "TestSupport", "DevTools"], exclude: ["Snapshots"], swiftSettings: strict),
        .testTarget(name: "IAMTests", dependencies: ["IAM", "DevTools", "AuditCore", "HCL", "Yams", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GateTests", dependencies: ["Gate", "AuditCore"], swiftSettings: strict),
        // Runs the built `ghr-audit` and the scripts around it (action, pre-commit, package).
        .testTarget(name: "PackagingTests", dependencies: ["ghr-audit", "Yams"], swiftSettings: strict),
        .testTarget(name: "ProbeClientTests", dependencies: ["ProbeClient", "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "ProbeTests", dependencies: ["Probe", "ProbeClient", "AuditCore", "Knowledge", "Reporters", "Rules", "Engine", "Gate",
                                                       .product(name: "_CryptoExtras", package: "swift-crypto")],
                    exclude: ["Server", "Fixtures"], swiftSettings: strict),
        .testTarget(name: "RehearsalTests", dependencies: ["Rehearsal", "AuditCore", "Engine", "Gate", "Knowledge", "Rules", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "ReportersTests", dependencies: ["Reporters", "AuditCore", "TestSupport"], exclude: ["Snapshots"], swiftSettings: strict),
    ]
)
