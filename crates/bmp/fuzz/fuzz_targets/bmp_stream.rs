//! Any bytes as a BMP stream through the framer and one session: nothing
//! panics, and every message that decodes re-encodes to canonical bytes
//! that decode back to the same message (input with a non-canonical
//! address padding is not canonical, so the first re-encoding may differ).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::{BmpMessage, BmpSession};

fuzz_target!(|data: &[u8]| {
    let mut session = BmpSession::new();
    for f in split(data) {
        let Frame::Message(m) = f else { continue };
        if let Ok((msg, _)) = BmpMessage::decode(&m) {
            let canon = msg.to_bytes();
            let (again, n) = BmpMessage::decode(&canon).expect("canonical bytes must decode");
            assert_eq!(n, canon.len());
            assert_eq!(again, msg, "value changed through re-encoding");
            assert_eq!(again.to_bytes(), canon, "encoding is not stable");
            let p = session.handle(msg);
            let _ = p.elems();
        }
    }
});
