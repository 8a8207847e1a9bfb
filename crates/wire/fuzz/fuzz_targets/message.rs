//! Any bytes as a message stream: decoding never panics, and whatever
//! decodes cleanly re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_wire::{Context, Message};

fuzz_target!(|data: &[u8]| {
    let ctx = Context::default().with_extended_message(true);
    for m in rbgp_wire::message::split_messages(data, &ctx) {
        let Ok(m) = m else { break };
        if let Ok(d) = Message::decode(m, &ctx) {
            if d.verdict.is_clean() {
                assert_eq!(d.message.to_bytes(&ctx), m, "re-encoding differs");
            }
        }
    }
});
