//! `rbgp-bench bmp-gen`: a router's BMP stream for the collector
//! benchmark (bench/collector.sh): an Initiation, a Peer Up per peer, then
//! each peer's generated table (the feeders' table, `gen.rs`) as pre-policy
//! Route Monitoring messages, one UPDATE each, and End-of-RIB.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use anyhow::Context as _;
use rbgp_bmp::message::{BmpMessage, Initiation, PeerUp, RouteMonitoring};
use rbgp_bmp::tlv::{Tlv, INIT_SYS_NAME};
use rbgp_bmp::PeerHeader;
use rbgp_wire::{Capability, Open};

#[derive(clap::Args)]
pub struct GenArgs {
    /// Peers of the router.
    #[arg(long, default_value_t = 4)]
    peers: usize,
    /// Prefixes per peer.
    #[arg(long, default_value_t = 250_000)]
    prefixes: usize,
    /// Where the stream goes.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: &GenArgs) -> anyhow::Result<()> {
    let mut out = Vec::new();
    BmpMessage::Initiation(Initiation {
        information: vec![Tlv::new(INIT_SYS_NAME, b"rbgp-bench".to_vec())],
    })
    .encode(&mut out);
    let router_id = Ipv4Addr::new(10, 99, 0, 1);
    let local = Open::new(65000, 90, router_id, vec![Capability::FourOctetAs(65000)]);
    let (mut messages, mut routes) = (1u64, 0u64);
    for i in 0..a.peers {
        let asn = 65100 + i as u32;
        let addr = Ipv4Addr::new(10, 99, 1, 1 + i as u8);
        let mut peer = PeerHeader::new(IpAddr::V4(addr), asn, addr, 1_796_000_000);
        peer.timestamp_usec = 0;
        BmpMessage::PeerUp(PeerUp {
            peer,
            local_address: IpAddr::V4(router_id),
            local_port: 179,
            remote_port: 40_000 + i as u16,
            sent_open: local.clone(),
            received_open: Open::new(asn, 90, addr, vec![Capability::FourOctetAs(asn)]),
            information: Vec::new(),
        })
        .encode(&mut out);
        messages += 1;
        let prefixes = crate::gen::prefixes(a.prefixes, 7 + i as u64);
        let feed = crate::gen::encode_feed(&prefixes, asn, addr, 0.15, 11 + i as u64);
        routes += feed.prefixes as u64;
        let ctx = rbgp_wire::Context::default();
        for pdu in rbgp_wire::message::split_messages(&feed.bytes, &ctx) {
            let pdu = pdu.map_err(|e| anyhow::anyhow!("generated UPDATEs: {e}"))?;
            BmpMessage::RouteMonitoring(RouteMonitoring {
                peer,
                pdu: pdu.to_vec(),
                tlvs: Vec::new(),
                trailing: Vec::new(),
            })
            .encode(&mut out);
            messages += 1;
        }
    }
    std::fs::File::create(&a.out)
        .and_then(|mut f| f.write_all(&out))
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        r#"{{"messages":{messages},"routes":{routes},"bytes":{}}}"#,
        out.len()
    );
    Ok(())
}
