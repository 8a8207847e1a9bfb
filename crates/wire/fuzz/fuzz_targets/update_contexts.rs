//! UPDATE bodies under every context combination (2/4-octet AS, ADD-PATH
//! per family, extended messages), through the owned decoder and the view.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_wire::view::UpdateView;
use rbgp_wire::{AfiSafi, Context, Update};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let mut ctx = if sel & 1 == 0 { Context::legacy() } else { Context::default() };
    ctx.extended_message = sel & 2 != 0;
    let fams = [
        AfiSafi::IPV4_UNICAST,
        AfiSafi::IPV6_UNICAST,
        AfiSafi::IPV4_VPN,
        AfiSafi::L2VPN_EVPN,
        AfiSafi::IPV4_FLOWSPEC,
        AfiSafi::IPV4_LABELED,
    ];
    for (i, f) in fams.iter().enumerate() {
        if sel & (4 << i) != 0 {
            ctx.set_add_path(*f, true);
        }
    }
    if let Ok((u, v)) = Update::decode(body, &ctx) {
        if v.is_clean() {
            // Canonical re-encoding decodes to the same value, and is stable.
            let mut out = Vec::new();
            u.encode_body(&ctx, &mut out);
            let (u2, v2) = Update::decode(&out, &ctx).expect("canonical bytes must decode");
            assert!(v2.is_clean());
            assert_eq!(u2, u);
            let mut out2 = Vec::new();
            u2.encode_body(&ctx, &mut out2);
            assert_eq!(out2, out);
        }
    }
    if let Ok(view) = UpdateView::new(body, &ctx) {
        for _ in view.attributes() {}
        for _ in view.nlri() {}
        for _ in view.withdrawn() {}
        if let Some(Ok(m)) = view.mp_reach(&ctx) {
            for _ in m.nlri() {}
        }
        if let Some(Ok(m)) = view.mp_unreach(&ctx) {
            for _ in m.withdrawn() {}
        }
    }
});
