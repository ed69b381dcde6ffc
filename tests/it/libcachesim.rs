//! libCacheSim's own oracle: its unit test `test/test_evictionAlgo.c`
//! (github.com/1a1a11a/libCacheSim, develop, 2025) asserts exact miss counts
//! and miss bytes on the cloudPhysicsIO oracleGeneral trace at caches of
//! 128 MiB to 1 GiB in steps of 128 MiB. Each row below is one of its test
//! functions, run here through the cachelab policy it shares; a policy that
//! differs on purpose states by how much, per size, and its file says why.

use crate::common;

use std::sync::OnceLock;

use cachelab::policy::{Policy, PolicyChoice};
use cachelab::request::Request;
use cachelab::seed::Seed;
use cachelab::trace::Trace;

const MIB: u64 = 1 << 20;

/// The cache sizes of the test: `STEP_SIZE` to `CACHE_SIZE`.
const SIZES: [u64; 8] = [
    128 * MIB,
    256 * MIB,
    384 * MIB,
    512 * MIB,
    640 * MIB,
    768 * MIB,
    896 * MIB,
    1024 * MIB,
];

/// One of libCacheSim's test functions.
struct Row {
    /// The cachelab policy, with the parameters the test passes.
    policy: &'static str,
    /// libCacheSim's `miss_cnt_true`.
    misses: [u64; 8],
    /// libCacheSim's `miss_byte_true`.
    miss_bytes: [u64; 8],
    /// cachelab's misses minus libCacheSim's, per size: zero where the
    /// policy follows libCacheSim exactly.
    more_misses: [i64; 8],
    /// cachelab's miss bytes minus libCacheSim's, per size.
    more_miss_bytes: [i64; 8],
}

const SAME: [i64; 8] = [0; 8];

/// libCacheSim's CAR row (two rows below read it).
const CAR_MISSES: [u64; 8] = [90522, 83605, 78063, 75772, 67384, 65687, 64439, 64376];
const CAR_MISS_BYTES: [u64; 8] = [
    4084188160, 3769425920, 3525660160, 3394717696, 2868551168, 2771188224, 2699423232, 2696345600,
];

const ROWS: &[Row] = &[
    Row {
        policy: "lru",
        misses: [93374, 89783, 83572, 81722, 72494, 72104, 71972, 71704],
        miss_bytes: [
            4214303232, 4061242368, 3778040320, 3660569600, 3100927488, 3078128640, 3075403776,
            3061662720,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "fifo",
        misses: [93403, 89386, 84387, 84025, 72498, 72228, 72182, 72140],
        miss_bytes: [
            4213112832, 4052646400, 3829170176, 3807412736, 3093146112, 3079525888, 3079210496,
            3077547520,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "clock",
        misses: [93313, 89775, 83411, 81328, 74815, 72283, 71927, 64456],
        miss_bytes: [
            4213887488, 4064512000, 3762650624, 3644467200, 3256760832, 3091688448, 3074241024,
            2697378816,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "clockpro",
        misses: [96390, 92614, 88911, 85894, 82276, 73203, 63728, 57544],
        miss_bytes: [
            4163599360, 3922361856, 3700721152, 3491452416, 3245322240, 2653708288, 2413087744,
            2293678592,
        ],
        // The paper's algorithm, not ClockPro.c's: there a request for a
        // non-resident entry makes it hot without making it resident, and
        // an object is refused when the cold residents would exceed the
        // cold target (src/policy/clockpro.rs).
        more_misses: [-8067, -11978, -9353, -11718, -12169, -3885, 7016, 6869],
        more_miss_bytes: [
            -181843456, -305633280, -266717696, -213777408, -207109120, 352921088, 639037440,
            403134976,
        ],
    },
    // libCacheSim's LFU and Sieve rows are identical on this trace, and so
    // are cachelab's: an accident of the trace, not of either table.
    Row {
        policy: "lfu",
        misses: [91699, 86720, 78578, 76707, 69945, 66221, 64445, 64376],
        miss_bytes: [
            4158632960, 3917211648, 3536227840, 3455379968, 3035580416, 2801699328, 2699456000,
            2696345600,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "sieve",
        misses: [91699, 86720, 78578, 76707, 69945, 66221, 64445, 64376],
        miss_bytes: [
            4158632960, 3917211648, 3536227840, 3455379968, 3035580416, 2801699328, 2699456000,
            2696345600,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "slru:segments=5",
        misses: [89624, 86725, 82781, 80203, 75388, 65645, 59035, 56063],
        miss_bytes: [
            4123085312, 3915534848, 3690704896, 3493027840, 3174708736, 2661464064, 2507604992,
            2439981056,
        ],
        // libCacheSim evicts during a hit when a cascade overflows the
        // lowest segment; cachelab never evicts on a hit (src/policy/slru.rs).
        more_misses: [893, -35, 306, -132, -410, -87, 153, -70],
        more_miss_bytes: [
            22799360, -195584, 11883520, 2222080, 15783936, 16032768, 18079232, 304128,
        ],
    },
    Row {
        policy: "lfuda",
        misses: [92637, 88601, 82001, 80240, 73214, 71386, 70415, 71128],
        miss_bytes: [
            4200012288, 3993467904, 3673375232, 3579174400, 3164476928, 3046658048, 2998682624,
            3027994112,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "gdsf",
        misses: [89070, 84750, 74850, 70490, 67923, 64180, 61027, 58721],
        miss_bytes: [
            4210726912, 4057058816, 3719176192, 3436855296, 3271648256, 3029728768, 2828456448,
            2677800448,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "mru",
        misses: [100738, 95058, 89580, 85544, 81725, 77038, 71070, 66919],
        miss_bytes: [
            4105477120, 3784799744, 3493475840, 3280475648, 3069635072, 2856241152, 2673937408,
            2539762688,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    // Exact since ghosts keep whole keys: with 32-bit fingerprints two of
    // the trace's keys shared one, one miss off at 640 MiB
    // (src/policy/parts/ghost.rs).
    Row {
        policy: "s3fifo",
        misses: [90117, 80915, 75060, 72191, 69815, 65542, 60799, 56045],
        miss_bytes: [
            4058576896, 3573827584, 3244417024, 3061737984, 2898109952, 2628363776, 2425027072,
            2327934464,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "s3fifo_v0",
        misses: [89307, 82387, 77041, 76791, 71300, 70343, 70455, 70355],
        miss_bytes: [
            4040718336, 3703628800, 3353047552, 3282235904, 3038256128, 2980646912, 2984458752,
            2979649536,
        ],
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "qdlp",
        misses: [88746, 80630, 76450, 71638, 67380, 65680, 66125, 64417],
        miss_bytes: [
            4008265728, 3625704960, 3330610176, 3099731456, 2868538880, 2771098112, 2734977024,
            2697751552,
        ],
        // A ghost hit that fits in the free space evicts nothing here, where
        // libCacheSim's main cache evicts to keep its bound (src/policy/qdlp.rs).
        more_misses: [0, 0, -2, 0, 0, 0, 0, 0],
        more_miss_bytes: [0, 0, -131072, 0, 0, 0, 0, 0],
    },
    Row {
        policy: "car",
        misses: CAR_MISSES,
        miss_bytes: CAR_MISS_BYTES,
        // On purpose (src/policy/car.rs): p adapts by the paper's ratio times
        // the object's size (libCacheSim adds about one byte), after REPLACE
        // rather than before, and B2 is trimmed to the 2c bound (libCacheSim's
        // condition for it never holds). ±1.1% of misses.
        more_misses: [880, 921, -252, -75, -91, 0, 0, 0],
        more_miss_bytes: [55107584, 63319552, -12583936, -8078336, -4786176, 0, 0, 0],
    },
    Row {
        policy: "car:libcachesim=true",
        misses: CAR_MISSES,
        miss_bytes: CAR_MISS_BYTES,
        more_misses: SAME,
        more_miss_bytes: SAME,
    },
    Row {
        policy: "hyperbolic",
        misses: [92924, 89470, 83452, 81234, 74544, 71234, 69356, 65338],
        miss_bytes: [
            4213586432, 4064826368, 3766646272, 3644941824, 3245021184, 3035783168, 2939981312,
            2754100224,
        ],
        // Sampled (src/policy/hyperbolic.rs): libCacheSim draws random hash
        // buckets from its own generator (seed 42), cachelab uniform
        // objects from the policy's seed (1 here): the same algorithm gives
        // misses within 0.14% of libCacheSim's at every size.
        more_misses: [-15, -6, -94, 29, 13, -96, -55, -78],
        more_miss_bytes: [
            -930304, 415744, -3444224, 1532416, 1784320, -6559232, -2587648, -4346880,
        ],
    },
    Row {
        policy: "lhd",
        misses: [90534, 86891, 82334, 77339, 71355, 66938, 63677, 61116],
        miss_bytes: [
            4211037696, 4059153920, 3834546176, 3596945408, 3326034944, 3115964416, 2951718912,
            2804600832,
        ],
        // Sampled (src/policy/lhd.rs), and the trace is shorter than one
        // rebuild interval (2^20 accesses), so both run on the initial
        // GDSF-like table with 8 samples. cachelab misses 0.7% to 2.3% less
        // (seeds 1 to 6 spread by about ±0.1% only, so the gap is not the
        // draws alone); the cause is not found (see the file's doc).
        more_misses: [-972, -1994, -1918, -1638, -859, -748, -802, -663],
        more_miss_bytes: [
            -11601408, -50316288, -92873216, -146961408, -192324096, -213510144, -186225664,
            -130587648,
        ],
    },
];

/// The trace's requests, read once.
fn requests() -> &'static [Request] {
    static REQUESTS: OnceLock<Vec<Request>> = OnceLock::new();
    REQUESTS.get_or_init(|| {
        let path = common::traces_dir().join("cloudPhysicsIO.oracleGeneral.bin");
        let mut stream = Trace::new(&path, None).unwrap().open().unwrap();
        let mut out = Vec::new();
        while stream.next_batch(&mut out, 8192).unwrap() > 0 {}
        out
    })
}

/// (misses, miss bytes) of `policy` at `capacity`: get, then insert on a
/// miss, every request counted, as libCacheSim's simulator does.
fn replay(policy: &str, capacity: u64) -> (u64, u64) {
    let mut cache = PolicyChoice::parse(policy)
        .unwrap()
        .build(capacity, Seed(1));
    count_misses(cache.as_mut())
}

/// (misses, miss bytes) of `cache` over the trace, as [`replay`] counts them.
fn count_misses(cache: &mut dyn Policy) -> (u64, u64) {
    let mut evicted = Vec::new();
    let (mut misses, mut bytes) = (0, 0);
    for req in requests() {
        if !cache.get(req) {
            misses += 1;
            bytes += u64::from(req.size);
            cache.insert(req, &mut evicted);
            evicted.clear();
        }
    }
    (misses, bytes)
}

#[test]
fn the_trace_is_the_one_libcachesim_tests() {
    let requests = requests();
    assert_eq!(requests.len(), 113_872, "g_req_cnt_true");
    let bytes: u64 = requests.iter().map(|r| u64::from(r.size)).sum();
    assert_eq!(bytes, 4_368_040_448, "g_req_byte_true");
}

#[test]
fn policies_match_libcachesims_miss_counts_and_bytes() {
    let mut problems = Vec::new();
    for row in ROWS {
        for (i, &size) in SIZES.iter().enumerate() {
            let (misses, bytes) = replay(row.policy, size);
            let expected = (
                row.misses[i]
                    .checked_add_signed(row.more_misses[i])
                    .unwrap(),
                row.miss_bytes[i]
                    .checked_add_signed(row.more_miss_bytes[i])
                    .unwrap(),
            );
            if (misses, bytes) != expected {
                problems.push(format!(
                    "{} at {} MiB: {misses} misses, {bytes} bytes; libCacheSim {} and {}, \
                     so {:+} misses and {:+} bytes (the table says {:+} and {:+})",
                    row.policy,
                    size / MIB,
                    row.misses[i],
                    row.miss_bytes[i],
                    misses as i64 - row.misses[i] as i64,
                    bytes as i64 - row.miss_bytes[i] as i64,
                    row.more_misses[i],
                    row.more_miss_bytes[i],
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// libCacheSim's generator (`next_rand` in utils/include/mymath.h: D. H.
/// Lehmer's multiplicative generator, a 128-bit state times
/// 0xda942042e4dd58b5, the high 64 bits returned), whose state its test
/// runs start at 1 for every cache size; an admission draw is
/// `next_rand() % 10^7 / 10^7`, LeCaR's `next_rand() % 100 / 100`. (Its
/// comment still names the MMIX LCG it replaced; that generator, from any
/// of the seeds 0, 1, 42 or rand()'s first value, does not give the test's
/// numbers, this one does.)
struct Lehmer {
    state: u128,
    /// The draw is the output modulo this, divided by it.
    modulus: u64,
}

impl Lehmer {
    /// The generator as a test run starts it, drawing in steps of 1/`modulus`.
    fn new(modulus: u64) -> Self {
        Lehmer { state: 1, modulus }
    }
}

impl cachelab::policy::admission::Uniform for Lehmer {
    fn next_unit(&mut self) -> f64 {
        self.state = self.state.wrapping_mul(0xda94_2042_e4dd_58b5);
        (((self.state >> 64) as u64) % self.modulus) as f64 / self.modulus as f64
    }
}

/// (misses, miss bytes) of LRU behind `filter`, as [`replay`] counts them.
fn replay_filtered(
    filter: Box<dyn cachelab::policy::admission::Admission>,
    capacity: u64,
) -> (u64, u64) {
    let lru = PolicyChoice::parse("lru").unwrap().build(capacity, Seed(1));
    count_misses(&mut cachelab::policy::admission::Filtered::new(lru, filter))
}

/// libCacheSim's `test/test_admissionAlgo.c` (develop, 2025): LRU behind
/// its size-probabilistic admission (exponent 1e-6, our `size:c=1000000`)
/// and behind AdaptSize (max-iteration=15, reconf-interval=30000, our
/// defaults), with its own generator, match miss for miss and byte for byte.
#[test]
fn admission_filters_match_libcachesims_miss_counts_and_bytes() {
    use cachelab::policy::admission::{AdaptSize, SizeAdmission};
    let size_prob = (
        [93371, 89122, 83635, 81935, 73293, 72963, 72737, 71949],
        [
            4214365696u64,
            4030683648,
            3781775872,
            3671897088,
            3151684096,
            3133195264,
            3123936256,
            3078763520,
        ],
    );
    let adaptsize = (
        [83204, 80907, 77835, 77086, 76173, 76158, 76158, 76158],
        [
            3996894720u64,
            3916923392,
            3790021120,
            3751927808,
            3695680512,
            3695609344,
            3695609344,
            3695609344,
        ],
    );
    let mut problems = Vec::new();
    for (i, &size) in SIZES.iter().enumerate() {
        let measured = [
            (
                "size",
                replay_filtered(
                    Box::new(SizeAdmission::new(1e6, Lehmer::new(10_000_000))),
                    size,
                ),
                size_prob,
            ),
            (
                "adaptsize",
                replay_filtered(
                    Box::new(AdaptSize::new(size, 30_000, 15, Lehmer::new(10_000_000))),
                    size,
                ),
                adaptsize,
            ),
        ];
        for (name, (misses, bytes), (want_misses, want_bytes)) in measured {
            if (misses, bytes) != (want_misses[i], want_bytes[i]) {
                problems.push(format!(
                    "lru+{name} at {} MiB: {misses} misses, {bytes} bytes; libCacheSim {} and {}",
                    size / MIB,
                    want_misses[i],
                    want_bytes[i]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// libCacheSim's `test_LeCaR` (test/test_evictionAlgo.c, develop, 2025):
/// LeCaR with its defaults and libCacheSim's generator.
#[test]
fn lecar_matches_libcachesims_miss_counts_and_bytes() {
    let misses = [93374, 89067, 80230, 81526, 72159, 67712, 65206, 64541];
    let miss_bytes = [
        4214303232u64,
        4021100032,
        3593971712,
        3652036096,
        3075125760,
        2886052864,
        2735856128,
        2698478080,
    ];
    let mut problems = Vec::new();
    for (i, &size) in SIZES.iter().enumerate() {
        let mut lecar = cachelab::policy::Lecar::new(size, Lehmer::new(100));
        let (got, bytes) = count_misses(&mut lecar);
        if (got, bytes) != (misses[i], miss_bytes[i]) {
            problems.push(format!(
                "lecar at {} MiB: {got} misses, {bytes} bytes; libCacheSim {} and {} ({:+}, {:+})",
                size / MIB,
                misses[i],
                miss_bytes[i],
                got as i64 - misses[i] as i64,
                bytes as i64 - miss_bytes[i] as i64,
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
