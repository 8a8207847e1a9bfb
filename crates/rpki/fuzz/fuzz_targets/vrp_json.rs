//! Any bytes as an rpki-client / Routinator JSON file (the `[rpki] file`
//! source): parsed within limits or refused, never a panic; what parses
//! builds a table.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_rpki::json::{parse_limited, Limits};
use rbgp_rpki::Table;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_vrps: 10_000,
        max_aspas: 1_000,
    };
    if let Ok((vrps, aspas)) = parse_limited(data, limits) {
        let t = Table::from_parts(vrps.iter().copied(), aspas.iter().cloned());
        let _ = t.vrp_counts();
    }
});
