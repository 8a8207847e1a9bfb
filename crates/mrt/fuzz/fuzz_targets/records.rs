//! Any bytes as an MRT stream: framing, typed decoding, elements, the
//! bgpdump formatter and the element writer (PSV, JSON) never panic, and
//! every record that decodes re-encodes
//! to canonical bytes that decode back to the same record (RIB prefixes
//! with host bits set are not canonical, so the first re-encoding may
//! differ from the input).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_mrt::elem_text::{ElemFormat, ElemWriter, KeepAll};
use rbgp_mrt::{bgpdump::Formatter, elem::ElemDecoder, Reader};

fuzz_target!(|data: &[u8]| {
    let mut fmt = Formatter::new();
    let mut elems = ElemDecoder::new();
    let mut lines = [
        ElemWriter::new(ElemFormat::Psv),
        ElemWriter::new(ElemFormat::Json),
    ];
    let mut text = Vec::new();
    let mut out = Vec::new();
    for raw in Reader::new(data) {
        let Ok(raw) = raw else { break };
        text.clear();
        fmt.format(&raw.header, &raw.body, &mut text);
        for w in &mut lines {
            w.write(&raw.header, &raw.body, &KeepAll, &mut text);
        }
        if let Ok(rec) = raw.decode() {
            out.clear();
            elems.decode(&rec, &mut out);
            let canon = rec.to_raw();
            let again = canon.decode().expect("canonical bytes must decode");
            assert_eq!(again, rec, "value changed through re-encoding");
            assert_eq!(again.to_raw(), canon, "encoding is not stable");
        }
    }
});
