import AuditCore

/// The deployment model as a graph for the HTML page: module calls, their fleets, each fleet's
/// boot path (module script, template, Packer template and the script it bakes, an AMI built
/// elsewhere) and IAM (permission boundary, own role). Things several fleets share (a template,
/// a Packer template, the module's script of one release and OS) are one node with several
/// edges. Laid out by our own code in columns, deterministically from the report's order.
struct FleetMap {
    enum Kind: String {
        case module, fleet, moduleScript, script, packerTemplate, ami, missing, permissionBoundary, userRole

        /// What the node is, in words (for the text alternative and tooltips).
        var noun: String {
            switch self {
            case .module: "module call"
            case .fleet: "fleet"
            case .moduleScript: "module start script"
            case .script: "script"
            case .packerTemplate: "Packer template"
            case .ami: "AMI"
            case .missing: "missing start script"
            case .permissionBoundary: "permission boundary"
            case .userRole: "own runner role"
            }
        }
    }

    struct Node {
        var id: Int
        var kind: Kind
        var title: String
        var subtitle: String
        var column: Int
        var row: Int
        /// Where findings must point (primary location or a related note) to belong here.
        var location: SourceRange?
        /// The whole file counts (scripts and Packer templates).
        var wholeFile: Bool
        /// A module call's `source`.
        var source: String? = nil
        /// A fleet's or module call's full name, as findings quote it.
        var name: String? = nil
        /// Indices into the report's findings.
        var findings: [Int] = []
    }

    struct Edge: Hashable {
        var from: Int
        var to: Int
    }

    var nodes: [Node] = []
    var edges: [Edge] = []
    /// The fleet nodes of each module call, in the report's order (`fleetNodes[m][f]`).
    var fleetNodes: [[Int]] = []
    var rows = 0
    var columns = 0

    init(_ report: Report) {
        var keyed: [String: Int] = [:]
        var linked: Set<Edge> = []
        var cursor = 0

        func add(_ kind: Kind, _ title: String, _ subtitle: String, column: Int, row: Int, location: SourceRange?, wholeFile: Bool = false) -> Int {
            nodes.append(Node(id: nodes.count, kind: kind, title: title, subtitle: subtitle, column: column, row: row,
                              location: location, wholeFile: wholeFile))
            columns = max(columns, column + 1)
            rows = max(rows, row + 1)
            return nodes.count - 1
        }
        func link(_ from: Int, _ to: Int) {
            let e = Edge(from: from, to: to)
            if linked.insert(e).inserted { edges.append(e) }
        }
        /// A part of a fleet: shared parts (files, the module script) are keyed so fleets meet
        /// at one node; returns the node and whether it was new.
        func node(for part: FleetPart, fleet: String, os: String?, column: Int, row: Int) -> (Int, Bool) {
            let key: String
            switch part.kind {
            case .script, .packerTemplate: key = "\(part.kind.rawValue)|\(part.label)"
            case .moduleScript: key = "module|\(part.detail ?? "")|\(os ?? "")"
            case .permissionBoundary, .userRole: key = "\(part.kind.rawValue)|\(part.location?.description ?? fleet)"
            case .ami, .missing: key = "\(part.kind.rawValue)|\(fleet)|\(part.location?.description ?? "")"
            }
            if let existing = keyed[key] { return (existing, false) }
            let kind = Kind(rawValue: part.kind.rawValue) ?? .missing
            var subtitle = part.detail ?? ""
            if part.kind == .moduleScript, let os { subtitle = [os, subtitle].filter { !$0.isEmpty }.joined(separator: " ") }
            let id = add(kind, part.label, subtitle, column: column, row: row, location: part.location, wholeFile: part.isFile)
            keyed[key] = id
            return (id, true)
        }

        for module in report.modules {
            let first = cursor
            let (file, address) = Self.split(module.path)
            let moduleTitle = address
            let moduleSubtitle = [module.kind, module.version.map { "v\($0)" } ?? "version unknown", file].joined(separator: " · ")
            var fleetIds: [Int] = []
            for fleet in module.fleets {
                let row = cursor
                let facts = [
                    fleet.os ?? "OS unknown",
                    fleet.ephemeral.map { $0 ? "ephemeral" : "persistent" } ?? "ephemeral?",
                    fleet.jit.map { $0 ? "JIT on" : "JIT off" } ?? "JIT?",
                ]
                let fid = add(.fleet, Self.fleetTitle(fleet.name, address: address), facts.joined(separator: " · "),
                              column: 1, row: row, location: fleet.anchor)
                nodes[fid].name = fleet.name
                fleetIds.append(fid)
                // Top-level parts (boot steps without a parent, then roles) in column 2, their
                // children in column 3.
                var childRow = row
                let tops = fleet.boot.indices.filter { fleet.boot[$0].parent == nil }
                var placed: [Int: Int] = [:]
                for i in tops {
                    let (id, isNew) = node(for: fleet.boot[i], fleet: fleet.name, os: fleet.os, column: 2, row: childRow)
                    link(fid, id)
                    placed[i] = id
                    var used = isNew ? 1 : 0
                    var grandRow = childRow
                    for j in fleet.boot.indices where fleet.boot[j].parent == i {
                        let (cid, childIsNew) = node(for: fleet.boot[j], fleet: fleet.name, os: fleet.os, column: 3, row: grandRow)
                        link(id, cid)
                        if childIsNew {
                            grandRow += 1
                            used = max(used, grandRow - childRow)
                        }
                    }
                    childRow += used
                }
                for role in fleet.roles {
                    let (id, isNew) = node(for: role, fleet: fleet.name, os: fleet.os, column: 2, row: childRow)
                    link(fid, id)
                    if isNew { childRow += 1 }
                }
                cursor = max(row + 1, childRow)
            }
            if module.fleets.isEmpty { cursor += 1 }
            let mid = add(.module, moduleTitle, moduleSubtitle, column: 0, row: first + (cursor - 1 - first) / 2, location: module.anchor)
            nodes[mid].source = module.source
            nodes[mid].name = address
            for f in fleetIds { link(mid, f) }
            fleetNodes.append(fleetIds)
        }

        // Findings belong to every node they point into, by their location or a related note.
        // The instances of a wrapper module's runner call are fleets and calls at one place: a
        // finding that names some of them (its subject) belongs to those only, not to every
        // instance (which listed each instance's findings under all of them).
        var byPath: [SourcePathID: [Int]] = [:]
        var byName: [String: [Int]] = [:]
        for n in nodes.indices {
            if let at = nodes[n].location { byPath[at.pathID, default: []].append(n) }
            if let name = nodes[n].name, nodes[n].kind == .fleet || nodes[n].kind == .module { byName[name, default: []].append(n) }
        }
        var named = [Bool](repeating: false, count: nodes.count)
        var taken = [Bool](repeating: false, count: nodes.count)
        for (index, finding) in report.findings.enumerated() {
            var held: [Int] = []
            for place in [finding.location] + finding.related.map(\.location) {
                for n in byPath[place.pathID] ?? [] where !taken[n] && Self.holds(nodes[n].location!, wholeFile: nodes[n].wholeFile, place) {
                    taken[n] = true
                    held.append(n)
                }
            }
            guard !held.isEmpty else { continue }
            held.sort()
            // The fleets and calls the finding names, and whether it names one of each kind here.
            let names = Fingerprint.subject(of: finding.message).flatMap { byName[$0] ?? [] }
            for n in names { named[n] = true }
            let namesFleet = held.contains { named[$0] && nodes[$0].kind == .fleet }
            let namesModule = held.contains { named[$0] && nodes[$0].kind == .module }
            for n in held {
                taken[n] = false
                let kind = nodes[n].kind
                if (kind == .fleet && namesFleet || kind == .module && namesModule) && !named[n] { continue }
                nodes[n].findings.append(index)
            }
            for n in names { named[n] = false }
        }
    }

    /// Whether a node at `at` holds `place` (same file).
    static func holds(_ at: SourceRange, wholeFile: Bool, _ place: SourceRange) -> Bool {
        if wholeFile { return true }
        if at.isEmpty { return at.start.offset == place.start.offset }
        return at.start.offset <= place.start.offset && place.start.offset < at.end.offset && place.end.offset <= at.end.offset
    }

    /// `main.tf:module.runners` as its file and address.
    static func split(_ path: String) -> (file: String, address: String) {
        guard let r = path.range(of: ":module.") else { return ("", path) }
        return (String(path[..<r.lowerBound]), String(path[path.index(after: r.lowerBound)...]))
    }

    /// A fleet's name without its module's address in front (`module.runners["linux"]` → `linux`).
    static func fleetTitle(_ name: String, address: String) -> String {
        guard name.hasPrefix(address), name.count > address.count else { return name }
        var rest = name.dropFirst(address.count)
        if rest.hasPrefix("[\""), rest.hasSuffix("\"]") { rest = rest.dropFirst(2).dropLast(2) }
        return rest.isEmpty ? name : String(rest)
    }

    // MARK: - Geometry

    static let nodeWidth = 240
    static let nodeHeight = 48
    static let columnGap = 44
    static let rowHeight = 62
    static let margin = 8
    static let headerHeight = 28

    var width: Int { Self.margin * 2 + columns * Self.nodeWidth + max(0, columns - 1) * Self.columnGap }
    var height: Int { Self.headerHeight + Self.margin * 2 + max(1, rows) * Self.rowHeight - (Self.rowHeight - Self.nodeHeight) }

    func x(_ node: Node) -> Int { Self.margin + node.column * (Self.nodeWidth + Self.columnGap) }
    func y(_ node: Node) -> Int { Self.headerHeight + Self.margin + node.row * Self.rowHeight }

    static let columnTitles = ["Module calls", "Fleets", "Start script and IAM", "Baked or embedded script"]
}
