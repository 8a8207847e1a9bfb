//! Any text as a policy configuration: parsing and compiling never panic,
//! and whatever compiles evaluates on a few routes without panicking.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rbgp_policy::{ChainDef, Evaluator, Policies, PolicyConfig, RouteCtx, Session, Source};
use rbgp_rib::Attrs;
use rbgp_wire::AfiSafi;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = toml::from_str::<PolicyConfig>(text) else {
        return;
    };
    let Ok(p) = Policies::compile(&cfg) else {
        return;
    };
    let p = Arc::new(p);
    let names: Vec<String> = cfg.definitions.iter().map(|d| d.name.clone()).collect();
    let Ok(chain) = p.chain(
        &ChainDef {
            policies: names,
            default: None,
        },
        "fuzz",
    ) else {
        return;
    };
    let session = Session {
        local_asn: 65000,
        local_address: "10.0.0.1".parse().ok(),
        peer_address: "192.0.2.1".parse().ok(),
    };
    let mut e = Evaluator::new(Arc::clone(&p), chain, session);
    for (prefix, path) in [("10.0.0.0/8", "65001 6939 3"), ("2001:db8::/32", "65002 {3,4}")] {
        let attrs = Attrs {
            as_path: path.parse().unwrap_or_default(),
            next_hop: "192.0.2.1".parse().ok(),
            ..Attrs::default()
        };
        let route = RouteCtx::learned(
            AfiSafi::IPV4_UNICAST,
            prefix.parse().ok(),
            "192.0.2.1".parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
            65001,
            Source::Ebgp,
        );
        let _ = e.evaluate(&route, &Arc::new(attrs), &mut |x| Arc::new(x));
    }
});
