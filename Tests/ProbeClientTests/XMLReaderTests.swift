import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import ProbeClient

/// The probe reads AWS's XML with its own reader (`XMLReader`), so the binary need not link
/// FoundationXML and libxml2. These tests hold it to libxml2's reading, through Foundation's
/// `XMLParser`, on AWS-shaped answers and on generated documents.
@Suite struct XMLReaderTests {
    @Test func readsAnAWSQueryAnswer() throws {
        let body = """
        <?xml version="1.0" encoding="UTF-8"?>
        <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <GetRoleResult>
            <Role>
              <RoleName>gh-runner-role</RoleName>
              <AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument>
              <PermissionsBoundary><PermissionsBoundaryArn>arn:aws:iam::123456789012:policy/boundary</PermissionsBoundaryArn></PermissionsBoundary>
              <Description>runners &amp; their &lt;role&gt; &#x263A; &#65;</Description>
            </Role>
          </GetRoleResult>
          <!-- a comment -->
          <ResponseMetadata><RequestId>4a5c</RequestId></ResponseMetadata>
        </GetRoleResponse>
        """
        let xml = try #require(ProbeClient.XMLNode.parse(Data(body.utf8)))
        #expect(xml.name == "GetRoleResponse")
        #expect(xml.string("GetRoleResult", "Role", "RoleName") == "gh-runner-role")
        #expect(xml.string("GetRoleResult", "Role", "PermissionsBoundary", "PermissionsBoundaryArn") == "arn:aws:iam::123456789012:policy/boundary")
        #expect(xml.string("GetRoleResult", "Role", "Description") == "runners & their <role> \u{263A} A")
        #expect(xml.string("ResponseMetadata", "RequestId") == "4a5c")
        #expect(xml == Self.libxml2(Data(body.utf8)))
    }

    @Test func refusesWhatIsNotWellFormedOrNotForUs() {
        let refused = [
            "", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "text<a/>", "<a/>text", "<a>&bogus;</a>", "<a>&amp</a>",
            "<a><!-- open</a>", "<a><![CDATA[open</a>", "<a b=\"x>", "< a/>", "</a>",
            // A document type declaration: AWS never sends one, and it is how entities expand.
            "<!DOCTYPE a [<!ENTITY x \"xx\">]><a>&x;</a>",
            String(repeating: "<a>", count: XMLReader.maxDepth + 1) + String(repeating: "</a>", count: XMLReader.maxDepth + 1),
        ]
        for text in refused {
            #expect(ProbeClient.XMLNode.parse(Data(text.utf8)) == nil, "read: \(text.prefix(60))")
        }
        var invalid = Data("<a>".utf8)
        invalid.append(0xC3)
        invalid.append(contentsOf: Array("</a>".utf8))
        #expect(ProbeClient.XMLNode.parse(invalid) == nil)
        let deepest = String(repeating: "<a>", count: XMLReader.maxDepth) + String(repeating: "</a>", count: XMLReader.maxDepth)
        #expect(ProbeClient.XMLNode.parse(Data(deepest.utf8)) != nil)
    }

    /// Generated documents (nesting, namespaces, attributes with `>` and `/` in their values,
    /// references, CDATA, comments, CR LF): the reader and libxml2 read the same tree. Prefixes of
    /// some of them: Foundation's parser closes what a truncated document left open and answers a
    /// tree, the reader refuses every one that is cut inside its root (a truncated answer is not
    /// an answer); where the reader reads one, libxml2 reads the same.
    @Test func agreesWithLibxml2OnGeneratedDocuments() {
        var rng = SeededGenerator(seed: 23)
        var compared = 0, refused = 0
        for round in 0..<400 {
            let throughRoot = "<?xml version=\"1.0\"?>\r\n" + Self.element(depth: 0, rng: &rng)
            let text = throughRoot + (Bool.random(using: &rng) ? "\n<!-- end -->\n" : "")
            let data = Data(text.utf8)
            let ours = ProbeClient.XMLNode.parse(data)
            #expect(ours != nil, "refused: \(text)")
            #expect(ours == Self.libxml2(data), "differs: \(text)")
            compared += 1
            guard round % 10 == 0 else { continue }
            for cut in stride(from: 1, to: data.count, by: max(1, data.count / 25)) {
                let prefix = data.prefix(cut)
                let a = ProbeClient.XMLNode.parse(prefix)
                if let a { #expect(a == Self.libxml2(prefix), "differs on a prefix: \(String(decoding: prefix, as: UTF8.self))") }
                if cut < throughRoot.utf8.count { #expect(a == nil, "read a truncated document: \(String(decoding: prefix, as: UTF8.self))") }
                if a == nil { refused += 1 }
                compared += 1
            }
        }
        #expect(compared > 1_000 && refused > 300, "\(compared) compared, \(refused) refused")
    }

    private static let names = ["Role", "aws:RoleName", "item", "x", "Reservation-Set", "a.b"]
    private static let texts = ["", " ", "plain", "a &amp; b", "&lt;tag&gt;", "&quot;q&apos;", "&#x263A;&#65;", "line\r\nnext\rend", "é ü", "  padded  "]

    private static func element(depth: Int, rng: inout SeededGenerator) -> String {
        let name = names.randomElement(using: &rng)!
        var open = "<" + name
        if Int.random(in: 0..<3, using: &rng) == 0 { open += " xmlns:aws=\"urn:x\" k='v>/' n=\"1\"" }
        if depth > 4 || Int.random(in: 0..<4, using: &rng) == 0 { return open + (Bool.random(using: &rng) ? "/>" : " />") }
        var body = ""
        for _ in 0..<Int.random(in: 0..<4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1: body += element(depth: depth + 1, rng: &rng)
            case 2: body += "<![CDATA[<not> &amp; a tag]]>"
            case 3: body += "<!-- c -->"
            default: body += texts.randomElement(using: &rng)!
            }
        }
        return open + ">" + body + "</" + name + ">"
    }

    /// The same tree as libxml2 reads it (character data and CDATA as text, prefixes dropped,
    /// text trimmed in elements with children); nil when it reports an error.
    static func libxml2(_ data: Data) -> ProbeClient.XMLNode? {
        final class Builder: NSObject, XMLParserDelegate {
            var stack: [ProbeClient.XMLNode] = [], root: ProbeClient.XMLNode?
            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                stack.append(ProbeClient.XMLNode(name: elementName.split(separator: ":").last.map(String.init) ?? elementName))
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) {
                if !stack.isEmpty { stack[stack.count - 1].text += string }
            }
            func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
                if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
            }
            func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
                guard var node = stack.popLast() else { return }
                if !node.children.isEmpty { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
            }
        }
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse() else { return nil }
        return builder.root
    }
}
