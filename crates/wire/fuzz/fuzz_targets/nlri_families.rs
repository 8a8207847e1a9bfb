//! One NLRI field of a chosen family (FlowSpec, BGP-LS, EVPN, MVPN, VPLS,
//! RTC, VPN, labeled): no panics; accepted input re-encodes exactly, and
//! its text form parses back to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_wire::attr::BgpLsAttribute;
use rbgp_wire::nlri::{decode_list, Nlri};
use rbgp_wire::AfiSafi;

const FAMILIES: [AfiSafi; 12] = [
    AfiSafi::IPV4_FLOWSPEC,
    AfiSafi::IPV6_FLOWSPEC,
    AfiSafi::IPV4_FLOWSPEC_VPN,
    AfiSafi::BGP_LS,
    AfiSafi::BGP_LS_VPN,
    AfiSafi::L2VPN_EVPN,
    AfiSafi::IPV4_MVPN,
    AfiSafi::IPV6_MVPN,
    AfiSafi::L2VPN_VPLS,
    AfiSafi::RT_CONSTRAINT,
    AfiSafi::IPV6_VPN,
    AfiSafi::IPV4_LABELED,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let fam = FAMILIES[usize::from(sel) % FAMILIES.len()];
    if let Ok(list) = decode_list(rest, fam, sel & 0x80 != 0, "fuzz") {
        let mut out = Vec::new();
        for e in &list {
            e.encode(&mut out);
        }
        let again = decode_list(&out, fam, sel & 0x80 != 0, "fuzz").expect("canonical bytes must decode");
        assert_eq!(again, list, "value changed through re-encoding for {fam}");
    }
    if let Ok(a) = BgpLsAttribute::decode(rest) {
        let mut out = Vec::new();
        a.encode(&mut out);
        assert_eq!(out, rest);
    }
    let _ = Nlri::decode(&mut rbgp_wire::reader::Reader::new(rest, "fuzz"), fam);
});
