//! Text parsers (prefixes, RDs, communities, FlowSpec rules, EVPN routes,
//! AS paths...) never panic on any string.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbgp_wire::attr::{AsPath, Community, ExtCommunity, LargeCommunity};
use rbgp_wire::nlri::{BgpLsNlri, EvpnRoute, FlowSpec, MvpnRoute, RouteDistinguisher, RtConstraint, VplsNlri, VpnPrefix};
use rbgp_wire::{AfiSafi, Prefix};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = s.parse::<Prefix>();
    let _ = s.parse::<AfiSafi>();
    let _ = s.parse::<RouteDistinguisher>();
    let _ = s.parse::<Community>();
    let _ = s.parse::<LargeCommunity>();
    let _ = s.parse::<ExtCommunity>();
    let _ = s.parse::<AsPath>();
    let _ = s.parse::<VpnPrefix>();
    let _ = s.parse::<FlowSpec>();
    let _ = s.parse::<EvpnRoute>();
    let _ = s.parse::<MvpnRoute>();
    let _ = s.parse::<VplsNlri>();
    let _ = s.parse::<RtConstraint>();
    let _ = s.parse::<BgpLsNlri>();
});
