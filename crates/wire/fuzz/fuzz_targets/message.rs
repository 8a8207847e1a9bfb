//! Any bytes as a message stream: decoding never panics, and whatever
//! decodes cleanly re-encodes to canonical bytes that decode back to the
//! same message (input with non-zero host bits past a prefix length is not
//! canonical, so the first re-encoding may differ from the input).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_wire::{Context, Message};

fuzz_target!(|data: &[u8]| {
    let ctx = Context::default().with_extended_message(true);
    for m in rbgp_wire::message::split_messages(data, &ctx) {
        let Ok(m) = m else { break };
        if let Ok(d) = Message::decode(m, &ctx) {
            if d.verdict.is_clean() {
                let canon = d.message.to_bytes(&ctx);
                let again = Message::decode(&canon, &ctx).expect("canonical bytes must decode");
                assert_eq!(again.message, d.message, "value changed through re-encoding");
                assert_eq!(again.message.to_bytes(&ctx), canon, "encoding is not stable");
            }
        }
    }
});
