import AuditCore
import Terraform

/// Every rule, in catalogue order. An immutable value: no registry singleton.
public enum RuleRegistry {
    public static let all: [any Rule] = [
        ModuleVersionUnknownRule(),
        NoRunnerModuleRule(),
        DowngradeRule(),
        TokenOnlyScriptRule(),
        JITSwitchMissingRule(),
        JITOnlyScriptOptedOutRule(),
        JITAwareScriptTooEarlyRule(),
        GHESJITRule(),
        WindowsJITRule(),
        UbuntuDashRule(),
        LambdaVersionRule(),
        PartitionRule(),
        BootScriptNotFoundRule(),
        RemovedInputRule(),
        LabelTypeRule(),
        DefaultChangeRule(),
        DeprecatedInputRule(),
        ModuleValidationRule(),
        ObjectAttributeRule(),
        RemovedOutputRule(),
        ProviderConstraintRule(),
        RegistrySourceRule(),
        VersionConstraintRule(),
        GitRefPinRule(),
        WorkflowLabelRule(),
        PermissionGapRule(),
        OverBroadGrantRule(),
    ]

    /// Rule ids whose detection lives in the engine (parse and read problems).
    public static let engineIds: Set<RuleID> = [.core001, .core002, .core003, .core005, .core006, .core007, .core010, .core011, .core012, .core013]

    /// Rule ids the live probe (target `Probe`, which depends on this target's neighbours, not on
    /// it) emits; ProbeTests checks this list against the probe's own.
    public static let probeIds: Set<RuleID> = [
        .prb401, .prb402, .prb403, .prb404, .prb405, .prb406, .prb407, .prb408, .prb409, .prb410, .prb411, .prb412, .prb413,
    ]

    /// Rule ids the boot rehearsal (target `Rehearsal`) emits; RehearsalTests runs their examples.
    public static let rehearsalIds: Set<RuleID> = [.rhs501, .rhs502]

    /// Every id some code can emit.
    public static var implementedIds: Set<RuleID> {
        Set(all.flatMap(\.emits)).union(engineIds).union(probeIds).union(rehearsalIds)
    }
}
