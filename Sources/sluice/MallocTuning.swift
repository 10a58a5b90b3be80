import CMalloc
import Foundation

/// glibc's allocator set for a process with a few busy threads and large short-lived buffers, before any
/// command runs: the memory target is 50 MB for a million-item job.
///
/// By default glibc gives each thread that allocates an arena of its own (up to eight per core), and once a
/// large block is freed it raises the size from which blocks are mapped to that block's (up to 32 MiB): a
/// planning chunk's 800 KB arrays then come from the arenas, and what they free stays resident in each. Two
/// arenas and blocks of 128 KiB and more always mapped (so given back when freed) took the peak RSS of a
/// million-item ArcadeDB job from 48.4 and 49.2 MB to 45.5 and 42.3 MB (`sluice run`) and from 49.0 and 48.4 MB
/// to 46.9 and 45.5 MB (the daemon), builds alternated in one session. An operator's own `GLIBC_TUNABLES` for
/// malloc wins.
enum MallocTuning {
    static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") == true { return }
        _ = mallopt(M_ARENA_MAX, 2)
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    }
}
