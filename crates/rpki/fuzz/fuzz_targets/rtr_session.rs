//! Any bytes from an RTR cache: PDUs decode without panicking and the
//! ones that decode re-encode to bytes that decode to the same PDU; a
//! session fed the bytes in pieces (sizes and the version it starts with
//! taken from the first octet) never panics, whatever it answers.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rbgp_rpki::pdu::decode_limited;
use rbgp_rpki::{Session, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((pdu, len))) = decode_limited(rest, 65_535) {
        let bytes = pdu.to_bytes();
        match decode_limited(&bytes, 65_535) {
            Ok(Some((again, n))) => {
                assert_eq!(again, pdu, "round trip");
                assert_eq!(n, bytes.len());
            }
            other => panic!("{pdu:?} re-encoded does not decode: {other:?}"),
        }
        match rest.get(len.max(1)..) {
            Some(r) => rest = r,
            None => break,
        }
    }

    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let mut s = Session::new(SessionConfig {
        max_version: first % 3,
        max_vrps: 10_000,
        max_aspas: 1_000,
        max_router_keys: 100,
        ..SessionConfig::default()
    });
    let t0 = Instant::now();
    let _ = s.connected(t0);
    let piece = usize::from(first >> 2).max(1);
    for (i, chunk) in body.chunks(piece).enumerate() {
        let now = t0 + Duration::from_secs(i as u64);
        if s.receive(chunk, now).is_err() {
            s.disconnected(now);
            let _ = s.connected(now);
        }
        let _ = s.poll(now);
        let _ = s.next_timeout();
    }
    let _ = s.data().vrp_counts();
});
