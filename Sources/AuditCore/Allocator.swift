#if canImport(Glibc)
import Glibc
#endif

/// The C allocator's settings for a run.
///
/// glibc's malloc gives each thread that allocates while another does an arena of its own, up to
/// eight per core, and memory freed into one arena serves only that arena: with the workers
/// parsing files and building models next to the main thread, three arenas on two cores each kept
/// free memory the others could not reuse. Measured on the release bench (two cores), a cap of two
/// arenas lowered the peak RSS by 1.2-1.3 MiB (roots 100/200 copies, monorepo 32x) with no
/// measurable change in time.
public enum Allocator {
    /// The arenas `limitArenas()` allows: half the cores, at least two.
    public static var arenaLimit: Int { max(2, Parallel.defaultWorkers / 2) }

    /// Caps glibc's malloc arenas at `arenaLimit` (nothing elsewhere). Call before starting threads.
    /// Returns whether the allocator took the setting.
    @discardableResult
    public static func limitArenas() -> Bool {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not bring in: it is looked
        // up by name. M_ARENA_MAX is -8 in glibc's <malloc.h>.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        return mallopt(-8, Int32(clamping: arenaLimit)) == 1
        #else
        return false
        #endif
    }
}
