/// One step of a fleet's boot path or one piece of its IAM, as the fleet map shows it.
public struct FleetPart: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The module's own start script of the audited release.
        case moduleScript
        /// A script file of the repository (user-data template, a script baked into an AMI).
        case script
        /// A Packer template of the repository that builds the fleet's AMI.
        case packerTemplate
        /// An AMI built outside the repository.
        case ami
        /// A script that should be in the repository but is not (or whose path is unknown).
        case missing
        /// The `role_permissions_boundary` the module puts on its roles.
        case permissionBoundary
        /// A role of the repository used instead of the module's (`iam_overrides`).
        case userRole
    }

    public var kind: Kind
    /// A path, an expression or a short name.
    public var label: String
    /// A contract (`token-only`), a reason, the input's text.
    public var detail: String?
    /// Where it is: a file (scripts, Packer templates: the whole file counts) or an input.
    public var location: SourceRange?
    /// The index, in the same list, of the step this one comes from (a script a Packer template
    /// bakes in); nil when it hangs off the fleet itself.
    public var parent: Int?

    public init(kind: Kind, label: String, detail: String? = nil, location: SourceRange? = nil, parent: Int? = nil) {
        self.kind = kind
        self.label = label
        self.detail = detail
        self.location = location
        self.parent = parent
    }

    /// Whether the part stands for a whole file (findings anywhere in it belong to it).
    public var isFile: Bool { kind == .script || kind == .packerTemplate }
}

/// The upgrade plan: for each major release crossed, the findings to act on, then the steps every
/// upgrade needs. The `checklist` command writes it as Markdown; the HTML page shows it too.
public struct UpgradeChecklist: Sendable, Hashable, Codable {
    public struct Call: Sendable, Hashable, Codable {
        public var address: String
        public var file: String
        public init(address: String, file: String) {
            self.address = address
            self.file = file
        }
    }

    public struct Item: Sendable, Hashable, Codable {
        public var ruleId: String
        public var title: String
        public var message: String
        public var location: SourceRange
        public var fix: String?
        public var fixApplies: Bool
        /// The finding's fingerprint, to link to it.
        public var fingerprint: String

        public init(ruleId: String, title: String, message: String, location: SourceRange, fix: String?, fixApplies: Bool, fingerprint: String) {
            self.ruleId = ruleId
            self.title = title
            self.message = message
            self.location = location
            self.fix = fix
            self.fixApplies = fixApplies
            self.fingerprint = fingerprint
        }
    }

    public struct Section: Sendable, Hashable, Codable {
        /// `Before you start`, `v4 (current major)`, `v5 (major upgrade)`, `Other findings`.
        public var title: String
        public var items: [Item]
        /// Said when the section has no item.
        public var emptyNote: String?
        public init(title: String, items: [Item], emptyNote: String? = nil) {
            self.title = title
            self.items = items
            self.emptyNote = emptyNote
        }
    }

    /// The release the plan goes to; `pinned` when each call is audited at the release it pins
    /// (what is wrong today, not an upgrade).
    public var target: String
    /// Whether the plan compares each call with the release it pins (`--target pinned`); nil otherwise.
    public var pinned: Bool?
    /// The oldest release a call is audited from, nil when none is known.
    public var from: String?
    /// The newest call's release when calls differ.
    public var newest: String?
    public var calls: [Call]
    public var sections: [Section]
    /// Pins that move with the module (lambda artefacts in lockstep with the call): the first
    /// steps of every upgrade, each behind its finding.
    public var coupledPins: [Item]
    /// Steps every upgrade needs; text with backtick code spans.
    public var everyUpgrade: [String]

    public init(target: String, pinned: Bool = false, from: String?, newest: String?, calls: [Call], sections: [Section], coupledPins: [Item] = [], everyUpgrade: [String]) {
        self.target = target
        self.pinned = pinned ? true : nil
        self.from = from
        self.newest = newest
        self.calls = calls
        self.sections = sections
        self.coupledPins = coupledPins
        self.everyUpgrade = everyUpgrade
    }

    /// `to v7.11.0`, or `at the pinned releases`.
    public var heading: String { pinned == true ? "at the pinned releases" : "to v\(target)" }

    /// The plan without items whose finding is not among `findings` (a baseline may have removed
    /// findings after the plan was made).
    public func keeping(_ findings: [Finding]) -> UpgradeChecklist {
        let kept = Set(findings.map(\.fingerprint))
        var copy = self
        copy.sections = sections.map { s in
            var s = s
            s.items = s.items.filter { kept.contains($0.fingerprint) }
            return s
        }.filter { !$0.items.isEmpty || $0.emptyNote != nil }
        copy.coupledPins = coupledPins.filter { kept.contains($0.fingerprint) }
        return copy
    }
}
