import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTP through the system's libcurl, loaded when the first transport is made: the probe's only
/// transport. FoundationNetworking's URLSession is libcurl too, but linking it costs every run of
/// the binary about 11 ms of start-up and 10 MiB of mapped libraries (its Swift layer, then libcurl,
/// the TLS, Kerberos and LDAP libraries it links), which `check` never uses; loading libcurl here
/// costs only `probe`. The CA bundle is the caller's choice (`--ca-bundle`, `SSL_CERT_FILE`: a GHES
/// behind a private CA) or libcurl's default, the system's. One attempt per call; redirects are
/// followed as URLSession followed them (at most five, HTTP and HTTPS only; libcurl does not send
/// a custom `Authorization` header to another host); the body is never logged.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public let caBundle: String?
    private let timeout: TimeInterval
    private let curl: Curl

    /// Fails when libcurl cannot be loaded or the bundle cannot be read.
    public init(caBundle: String? = nil, timeout: TimeInterval = 30) throws(TransportError) {
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) {
            throw TransportError.unreachable(host: "-", reason: "the CA bundle \(caBundle) cannot be read")
        }
        guard let curl = Curl.shared else {
            throw TransportError.unreachable(host: "-", reason: "the probe needs libcurl (libcurl.so.4; on Debian and Ubuntu the package libcurl4) and it could not be loaded")
        }
        self.caBundle = caBundle
        self.timeout = timeout
        self.curl = curl
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let curl = self.curl, caBundle = self.caBundle, timeout = self.timeout
        // An interrupt returns at once and aborts the transfer: libcurl asks its progress
        // callback at least once a second, and the callback then stops it (closing the connection).
        let abort = Curl.Abort()
        return try await withInterruptibleWait { finish in
            DispatchQueue.global().async {
                finish(Result { try curl.perform(request, caBundle: caBundle, timeout: timeout, abort: abort) })
            }
            return { abort.request() }
        }
    }
}

/// The few libcurl entry points the transport needs, looked up at run time. `curl_easy_setopt` and
/// `curl_easy_getinfo` are variadic; they are called through fixed signatures with one pointer or
/// one `long` argument, which the C calling conventions of the supported platforms pass alike.
final class Curl: @unchecked Sendable {
    typealias Handle = OpaquePointer
    private typealias Init = @convention(c) () -> Handle?
    private typealias Cleanup = @convention(c) (Handle?) -> Void
    private typealias SetPointer = @convention(c) (Handle?, Int32, UnsafeRawPointer?) -> Int32
    private typealias SetLong = @convention(c) (Handle?, Int32, Int) -> Int32
    private typealias Perform = @convention(c) (Handle?) -> Int32
    private typealias GetLong = @convention(c) (Handle?, Int32, UnsafeMutablePointer<Int>) -> Int32
    private typealias SlistAppend = @convention(c) (OpaquePointer?, UnsafePointer<CChar>) -> OpaquePointer?
    private typealias SlistFree = @convention(c) (OpaquePointer?) -> Void
    private typealias StrError = @convention(c) (Int32) -> UnsafePointer<CChar>?
    private typealias GlobalInit = @convention(c) (Int) -> Int32
    typealias DataCallback = @convention(c) (UnsafeMutableRawPointer?, Int, Int, UnsafeMutableRawPointer?) -> Int
    typealias ProgressCallback = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int64) -> Int32

    private let initHandle: Init, cleanup: Cleanup, setPointer: SetPointer, setLong: SetLong, perform: Perform
    private let getLong: GetLong, slistAppend: SlistAppend, slistFree: SlistFree, strerror: StrError

    // Option and info numbers from curl.h (stable ABI).
    private static let url: Int32 = 10002, writeData: Int32 = 10001, writeFunction: Int32 = 20011
    private static let headerData: Int32 = 10029, headerFunction: Int32 = 20079, httpHeader: Int32 = 10023
    private static let customRequest: Int32 = 10036, postFields: Int32 = 10015, postFieldSize: Int32 = 60
    private static let caInfo: Int32 = 10065, timeoutMS: Int32 = 155, noSignal: Int32 = 99, noBody: Int32 = 44
    private static let noProgress: Int32 = 43, progressFunction: Int32 = 20219, progressData: Int32 = 10057
    private static let followLocation: Int32 = 52, maxRedirects: Int32 = 68, redirectProtocols: Int32 = 182
    private static let protocolHTTP = 1, protocolHTTPS = 2, globalDefault = 3
    private static let responseCode: Int32 = 0x200002
    private static let operationTimedOut: Int32 = 28

    private init?(_ lib: UnsafeMutableRawPointer) {
        func sym<T>(_ name: String, _: T.Type) -> T? { dlsym(lib, name).map { unsafeBitCast($0, to: T.self) } }
        guard let a = sym("curl_easy_init", Init.self), let b = sym("curl_easy_cleanup", Cleanup.self),
              let c = sym("curl_easy_setopt", SetPointer.self), let d = sym("curl_easy_setopt", SetLong.self),
              let e = sym("curl_easy_perform", Perform.self), let f = sym("curl_easy_getinfo", GetLong.self),
              let g = sym("curl_slist_append", SlistAppend.self), let h = sym("curl_slist_free_all", SlistFree.self),
              let i = sym("curl_easy_strerror", StrError.self), let globalInit = sym("curl_global_init", GlobalInit.self) else { return nil }
        // Before any handle, once: `curl_easy_init` would otherwise do it on whichever thread
        // comes first, and libcurl's global set-up is not thread-safe in every release.
        guard globalInit(Self.globalDefault) == 0 else { return nil }
        (initHandle, cleanup, setPointer, setLong, perform, getLong, slistAppend, slistFree, strerror) = (a, b, c, d, e, f, g, h, i)
    }

    /// The process's libcurl, loaded and set up on first use; nil when it cannot be.
    static let shared: Curl? = load()

    private static func load() -> Curl? {
        for name in ["libcurl.so.4", "libcurl.so", "libcurl.4.dylib", "libcurl.dylib"] {
            if let lib = dlopen(name, RTLD_NOW), let curl = Curl(lib) { return curl }
        }
        return nil
    }

    /// Collects the response as libcurl hands it over.
    private final class Sink {
        var body = Data()
        var headerLines: [String] = []
        let abort: Abort
        init(abort: Abort) { self.abort = abort }
    }

    /// Set by an interrupt, read by the transfer's progress callback on libcurl's thread.
    final class Abort: @unchecked Sendable {
        private let lock = NSLock()
        private var requested = false
        func request() { lock.withLock { requested = true } }
        var isRequested: Bool { lock.withLock { requested } }
    }

    func perform(_ request: HTTPRequest, caBundle: String?, timeout: TimeInterval, abort: Abort = Abort()) throws -> HTTPResponse {
        let host = request.url.host ?? request.url.absoluteString
        guard let handle = initHandle() else { throw TransportError.unreachable(host: host, reason: "libcurl could not start a request") }
        defer { cleanup(handle) }
        let sink = Sink(abort: abort)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headers: OpaquePointer?
        defer { slistFree(headers) }
        for (name, value) in request.headers { headers = slistAppend(headers, "\(name): \(value)") }
        headers = slistAppend(headers, "Expect:")

        let write: DataCallback = { data, size, count, user in
            guard let data, let user else { return 0 }
            Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().body.append(data.assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        let progress: ProgressCallback = { user, _, _, _, _ in
            guard let user else { return 0 }
            return Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().abort.isRequested ? 1 : 0
        }
        let header: DataCallback = { data, size, count, user in
            guard let data, let user else { return 0 }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue().headerLines.append(line)
            return size * count
        }
        let body = request.body
        let code: Int32 = request.url.absoluteString.withCString { url in
            Self.withOptionalCString(caBundle) { ca in
                request.method.withCString { method in
                    body.withUnsafeBytes { bytes in
                        _ = setPointer(handle, Self.url, url)
                        if let ca { _ = setPointer(handle, Self.caInfo, ca) }
                        _ = setLong(handle, Self.followLocation, 1)
                        _ = setLong(handle, Self.maxRedirects, 5)
                        _ = setLong(handle, Self.redirectProtocols, Self.protocolHTTP | Self.protocolHTTPS)
                        _ = setPointer(handle, Self.customRequest, method)
                        _ = setLong(handle, Self.noSignal, 1)
                        _ = setLong(handle, Self.timeoutMS, Int(timeout * 1000))
                        _ = setPointer(handle, Self.httpHeader, headers.map { UnsafeRawPointer($0) })
                        if request.method == "HEAD" { _ = setLong(handle, Self.noBody, 1) }
                        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
                            _ = setLong(handle, Self.postFieldSize, body.count)
                            _ = setPointer(handle, Self.postFields, body.isEmpty ? UnsafeRawPointer(("" as StaticString).utf8Start) : bytes.baseAddress)
                        }
                        _ = setPointer(handle, Self.writeFunction, unsafeBitCast(write, to: UnsafeRawPointer.self))
                        _ = setPointer(handle, Self.writeData, sinkPointer)
                        _ = setPointer(handle, Self.headerFunction, unsafeBitCast(header, to: UnsafeRawPointer.self))
                        _ = setPointer(handle, Self.headerData, sinkPointer)
                        _ = setLong(handle, Self.noProgress, 0)
                        _ = setPointer(handle, Self.progressFunction, unsafeBitCast(progress, to: UnsafeRawPointer.self))
                        _ = setPointer(handle, Self.progressData, sinkPointer)
                        return perform(handle)
                    }
                }
            }
        }
        withExtendedLifetime(sink) {}
        guard code == 0 else {
            if abort.isRequested { throw CancellationError() }
            if code == Self.operationTimedOut { throw TransportError.timedOut(host: host, seconds: timeout) }
            throw TransportError.unreachable(host: host, reason: strerror(code).map { String(cString: $0) } ?? "libcurl error \(code)")
        }
        var status = 0
        _ = getLong(handle, Self.responseCode, &status)
        // Header lines of the last response only (a 100 Continue may precede it).
        var fields = HTTPHeaders()
        for line in sink.headerLines {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("HTTP/") { fields = HTTPHeaders(); continue }
            guard let colon = trimmed.firstIndex(of: ":") else { continue }
            fields.add(String(trimmed[..<colon]), trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPResponse(status: status, headers: fields, body: sink.body)
    }

    private static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString(body)
    }
}
