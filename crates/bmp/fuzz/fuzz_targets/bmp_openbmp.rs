//! Any bytes as an OpenBMP raw_bmp payload: nothing panics, and a header
//! that decodes re-encodes to bytes that decode to the same header and
//! BMP octets (an IPv4 router address with non-zero padding is not
//! canonical, so the re-encoding may differ from the input).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_bmp::framer::{split, Frame};
use rbgp_bmp::openbmp::OpenBmpHeader;
use rbgp_bmp::BmpSession;

fuzz_target!(|data: &[u8]| {
    if let Ok((h, bmp)) = OpenBmpHeader::decode(data) {
        let mut out = Vec::new();
        h.encode(bmp, &mut out);
        let (h2, bmp2) = OpenBmpHeader::decode(&out).expect("canonical header must decode");
        assert_eq!(h2, h, "OpenBMP header changed through re-encoding");
        assert_eq!(bmp2, bmp);
        let mut s = BmpSession::new();
        for f in split(bmp) {
            if let Frame::Message(m) = f {
                let _ = s.process(&m);
            }
        }
    }
});
