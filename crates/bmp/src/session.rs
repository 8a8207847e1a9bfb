//! Stateful decoding of one monitored router's BMP stream.
//!
//! A Route Monitoring message carries a BGP UPDATE exactly as the
//! monitored session encoded it, so reading it needs what that session
//! negotiated: 4-octet AS numbers, ADD-PATH per family and direction,
//! extended messages. Those come from the two OPENs of the peer's Peer Up
//! (RFC 7854 §4.10). A [`BmpSession`] remembers them per peer and decodes
//! each Route Monitoring with the right [`Context`].
//!
//! When no Peer Up was seen for a peer (a capture that starts mid-session,
//! a collector that restarted), the session guesses: it tries 4-octet AS,
//! then 2-octet, then both with ADD-PATH on every family, takes the first
//! context that decodes cleanly (no RFC 7606 finding), remembers it for
//! the peer and says so in a warning. Nothing here panics or stops the
//! stream: errors are reported per message.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rbgp_wire::capability::Capability;
use rbgp_wire::elem::{Elem, ElemSource};
use rbgp_wire::nlri::rd::RouteDistinguisher;
use rbgp_wire::{AfiSafi, Context, Message, MessageError, Open, Update, Verdict};

use crate::error::BmpError;
use crate::header::{PeerHeader, PeerType};
use crate::message::{BmpMessage, Initiation, PeerUp, RouteMonitoring};

/// How a peer is identified across messages (RFC 7854 §4.2: the peer
/// distinguisher and address; the peer type keeps a Loc-RIB instance
/// apart from a peer of the same distinguisher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey {
    pub peer_type: PeerType,
    pub distinguisher: RouteDistinguisher,
    pub address: IpAddr,
}

impl From<&PeerHeader> for PeerKey {
    fn from(h: &PeerHeader) -> Self {
        PeerKey {
            peer_type: h.peer_type,
            distinguisher: h.distinguisher,
            address: h.address,
        }
    }
}

impl std::fmt::Display for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} peer {}", self.peer_type.name(), self.address)?;
        if self.distinguisher != RouteDistinguisher::default() {
            write!(f, " (distinguisher {})", self.distinguisher)?;
        }
        Ok(())
    }
}

/// The two directions of a monitored session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Adj-RIB-In (pre- or post-policy) and Loc-RIB: the peer sent it.
    In,
    /// Adj-RIB-Out (RFC 8671, O flag): the monitored router sent it.
    Out,
}

impl Direction {
    pub fn of(h: &PeerHeader) -> Self {
        if h.is_adj_rib_out() {
            Direction::Out
        } else {
            Direction::In
        }
    }
}

fn has_four_octet(o: &Open) -> bool {
    o.capabilities()
        .any(|c| matches!(c, Capability::FourOctetAs(_)))
}

fn has_ext_message(o: &Open) -> bool {
    o.capabilities()
        .any(|c| matches!(c, Capability::ExtendedMessage))
}

/// ADD-PATH families of `o` with the wanted send/receive bit.
fn add_path(o: &Open, send: bool) -> Vec<AfiSafi> {
    o.capabilities()
        .flat_map(|c| match c {
            Capability::AddPath(v) => v.as_slice(),
            _ => &[],
        })
        .filter(|a| if send { a.send } else { a.receive })
        .map(|a| a.family)
        .collect()
}

/// What one direction of a session negotiated, from the OPEN of the
/// speaker that sends in that direction and the OPEN of the one that
/// receives (RFC 6793 §4: 4-octet AS iff both have the capability;
/// RFC 7911 §5: path ids for F iff the sender said send and the receiver
/// said receive; RFC 8654 §3: extended messages iff both have it).
pub fn negotiate(sender: &Open, receiver: &Open) -> Context {
    let mut ctx = Context::default()
        .with_four_octet_as(has_four_octet(sender) && has_four_octet(receiver))
        .with_extended_message(has_ext_message(sender) && has_ext_message(receiver));
    let recv = add_path(receiver, false);
    for f in add_path(sender, true) {
        if recv.contains(&f) {
            ctx.set_add_path(f, true);
        }
    }
    ctx
}

/// A peer known from its Peer Up.
#[derive(Debug, Clone)]
pub struct PeerState {
    pub peer_up: PeerUp,
    /// Context of UPDATEs the peer sent (Adj-RIB-In, Loc-RIB): the peer's
    /// OPEN is the Peer Up's received OPEN, the router's the sent one.
    pub adj_rib_in: Context,
    /// Context of UPDATEs the router sent to the peer (Adj-RIB-Out).
    pub adj_rib_out: Context,
}

impl PeerState {
    pub fn new(peer_up: PeerUp) -> Self {
        let adj_rib_in = negotiate(&peer_up.received_open, &peer_up.sent_open);
        let adj_rib_out = negotiate(&peer_up.sent_open, &peer_up.received_open);
        PeerState {
            peer_up,
            adj_rib_in,
            adj_rib_out,
        }
    }
    pub fn context(&self, d: Direction) -> &Context {
        match d {
            Direction::In => &self.adj_rib_in,
            Direction::Out => &self.adj_rib_out,
        }
    }
}

/// Where the context used for a Route Monitoring came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ContextSource {
    /// Negotiated from the peer's Peer Up.
    PeerUp,
    /// The Peer Up's context did not decode cleanly; another reading did
    /// (e.g. the A flag or a router that reformatted AS_PATHs).
    PeerUpAdjusted,
    /// No Peer Up was seen: the first context that decoded cleanly.
    Guessed,
    /// BMP v4 stateless parsing TLVs (draft-ietf-grow-bmp-tlv §4.3).
    Stateless,
}

/// The UPDATE of a Route Monitoring, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteUpdate {
    pub update: Update,
    pub verdict: Verdict,
    pub context: Context,
    pub source: ContextSource,
}

/// The outcome of one BMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub message: BmpMessage,
    /// For Route Monitoring: the UPDATE, or why no context decoded it.
    pub update: Option<Result<RouteUpdate, MessageError>>,
    /// Things worth telling (unknown peer, guessed context, ...).
    pub warnings: Vec<String>,
}

impl Processed {
    /// Route elements of a Route Monitoring (empty otherwise): one per
    /// announced or withdrawn NLRI, with the per-peer header's timestamp,
    /// peer address and AS.
    pub fn elems(&self) -> Vec<Elem> {
        match (&self.message, &self.update) {
            (BmpMessage::RouteMonitoring(rm), Some(Ok(u))) => Elem::from_update(
                &u.update,
                ElemSource {
                    timestamp: rm.peer.timestamp(),
                    peer_ip: rm.peer.address,
                    peer_asn: rm.peer.asn,
                },
            ),
            _ => Vec::new(),
        }
    }
}

/// One monitored router's BMP session.
#[derive(Debug, Default)]
pub struct BmpSession {
    peers: HashMap<PeerKey, PeerState>,
    guesses: HashMap<(PeerKey, Direction), Context>,
    warned: HashSet<PeerKey>,
    /// The router's Initiation message, once seen.
    pub initiation: Option<Initiation>,
    /// A Termination message was seen.
    pub terminated: bool,
}

fn all_families_add_path(mut ctx: Context) -> Context {
    for f in AfiSafi::known() {
        ctx.set_add_path(f, true);
    }
    ctx
}

fn describe(ctx: &Context) -> String {
    let ap: Vec<String> = ctx
        .add_path_families()
        .iter()
        .map(|f| f.to_string())
        .collect();
    format!(
        "{}-octet AS{}",
        if ctx.four_octet_as { 4 } else { 2 },
        if ap.is_empty() {
            String::new()
        } else {
            format!(", ADD-PATH on {}", ap.join(","))
        }
    )
}

impl BmpSession {
    pub fn new() -> Self {
        BmpSession::default()
    }

    pub fn peer(&self, key: &PeerKey) -> Option<&PeerState> {
        self.peers.get(key)
    }

    pub fn peers(&self) -> impl Iterator<Item = (&PeerKey, &PeerState)> {
        self.peers.iter()
    }

    /// Decode one framed message and process it. A message that does not
    /// decode is an error; the session is unchanged and the next message
    /// can be processed.
    pub fn process(&mut self, bytes: &[u8]) -> Result<Processed, BmpError> {
        let (m, n) = BmpMessage::decode(bytes)?;
        if n != bytes.len() {
            return Err(rbgp_wire::WireError::Trailing {
                what: "BMP message",
                extra: bytes.len() - n,
            }
            .into());
        }
        Ok(self.handle(m))
    }

    /// Process a decoded message: remember Peer Ups, forget peers on Peer
    /// Down, decode Route Monitoring UPDATEs.
    pub fn handle(&mut self, message: BmpMessage) -> Processed {
        let mut warnings = Vec::new();
        let mut update = None;
        match &message {
            BmpMessage::PeerUp(p) => {
                let key = PeerKey::from(&p.peer);
                self.guesses.retain(|(k, _), _| *k != key);
                self.warned.remove(&key);
                self.peers.insert(key, PeerState::new(p.clone()));
            }
            BmpMessage::PeerDown(p) => {
                let key = PeerKey::from(&p.peer);
                if self.peers.remove(&key).is_none() {
                    warnings.push(format!("Peer Down for {key}, which had no Peer Up"));
                }
                self.guesses.retain(|(k, _), _| *k != key);
                self.warned.remove(&key);
            }
            BmpMessage::RouteMonitoring(rm) => {
                if !rm.trailing.is_empty() {
                    warnings.push(format!(
                        "{} octets after the Route Monitoring's UPDATE ignored",
                        rm.trailing.len()
                    ));
                }
                update = Some(self.decode_update(rm, &mut warnings));
            }
            BmpMessage::StatisticsReport(s) => {
                let key = PeerKey::from(&s.peer);
                if !self.peers.contains_key(&key) && self.warned.insert(key) {
                    warnings.push(format!("Statistics Report for {key}, which had no Peer Up"));
                }
            }
            BmpMessage::Initiation(i) => {
                if self.initiation.is_some() {
                    warnings.push("second Initiation message on the session".into());
                }
                self.initiation = Some(i.clone());
            }
            BmpMessage::Termination(_) => self.terminated = true,
            BmpMessage::RouteMirroring(_) => {}
            BmpMessage::Unknown { msg_type, .. } => {
                warnings.push(format!("unknown BMP message type {msg_type} skipped"));
            }
        }
        Processed {
            message,
            update,
            warnings,
        }
    }

    /// Which contexts to try, in order, and what each attempt means.
    fn candidates(&self, rm: &RouteMonitoring) -> Vec<(Context, ContextSource)> {
        let peer = &rm.peer;
        let key = PeerKey::from(peer);
        let dir = Direction::of(peer);
        let mut v: Vec<(Context, ContextSource)> = Vec::new();
        // BMP v4 stateless parsing TLVs describe this very PDU
        // (draft-ietf-grow-bmp-tlv §4.3): they go first.
        let caps = rm.stateless_capabilities();
        if !caps.is_empty() {
            let mut ctx = match self.peers.get(&key) {
                Some(st) => st.context(dir).clone(),
                None => Context::default().with_four_octet_as(!peer.is_as2()),
            };
            for c in &caps {
                match c {
                    Capability::AddPath(fams) => {
                        for f in fams {
                            ctx.set_add_path(f.family, f.send || f.receive);
                        }
                    }
                    Capability::FourOctetAs(_) => ctx.four_octet_as = true,
                    Capability::ExtendedMessage => ctx.extended_message = true,
                    _ => {}
                }
            }
            v.push((ctx, ContextSource::Stateless));
        }
        if let Some(st) = self.peers.get(&key) {
            let ctx = st.context(dir).clone();
            // RFC 7854 §4.2: A set says this message's AS_PATH is 2-octet
            // whatever was negotiated; A clear says 4-octet, but a router
            // that sends what it received unchanged may leave A clear on a
            // 2-octet session, so the negotiated reading goes first.
            if peer.is_as2() {
                v.push((ctx.clone().with_four_octet_as(false), ContextSource::PeerUp));
            } else {
                v.push((ctx.clone(), ContextSource::PeerUp));
                let other = !ctx.four_octet_as;
                v.push((ctx.with_four_octet_as(other), ContextSource::PeerUpAdjusted));
            }
            return v;
        }
        if let Some(g) = self.guesses.get(&(key, dir)) {
            v.push((g.clone(), ContextSource::Guessed));
        }
        let order = if peer.is_as2() {
            [false, true]
        } else {
            [true, false]
        };
        for ap in [false, true] {
            for four in order {
                let c = Context::default().with_four_octet_as(four);
                v.push((
                    if ap { all_families_add_path(c) } else { c },
                    ContextSource::Guessed,
                ));
            }
        }
        v
    }

    fn decode_update(
        &mut self,
        rm: &RouteMonitoring,
        warnings: &mut Vec<String>,
    ) -> Result<RouteUpdate, MessageError> {
        let key = PeerKey::from(&rm.peer);
        let dir = Direction::of(&rm.peer);
        let mut first: Option<Result<RouteUpdate, MessageError>> = None;
        let mut chosen = None;
        for (ctx, source) in self.candidates(rm) {
            let r = rm.decode_update(&ctx).and_then(|d| match d.message {
                Message::Update(u) => Ok(RouteUpdate {
                    update: u,
                    verdict: d.verdict,
                    context: ctx.clone(),
                    source,
                }),
                // decode() of the Route Monitoring checked the type.
                _ => Err(MessageError {
                    notification: rbgp_wire::Notification::new(
                        rbgp_wire::notification::codes::MESSAGE_HEADER,
                        rbgp_wire::notification::header_sub::BAD_MESSAGE_TYPE,
                        vec![],
                    ),
                    error: rbgp_wire::WireError::Malformed {
                        what: "Route Monitoring",
                        detail: "not an UPDATE".into(),
                    },
                }),
            });
            if matches!(&r, Ok(u) if u.verdict.is_clean()) {
                chosen = Some(r);
                break;
            }
            if first.is_none() || matches!(first, Some(Err(_))) && r.is_ok() {
                first = Some(r);
            }
        }
        let result = match chosen.or(first) {
            Some(r) => r,
            None => rm.decode_update(&Context::default()).map(|d| RouteUpdate {
                update: match d.message {
                    Message::Update(u) => u,
                    _ => Update::default(),
                },
                verdict: d.verdict,
                context: Context::default(),
                source: ContextSource::Guessed,
            }),
        };
        if let Ok(u) = &result {
            match u.source {
                ContextSource::Guessed => {
                    let prev = self.guesses.insert((key, dir), u.context.clone());
                    if self.warned.insert(key) || prev.as_ref() != Some(&u.context) {
                        warnings.push(format!(
                            "Route Monitoring for {key} without a Peer Up: decoded with a guessed context ({})",
                            describe(&u.context)
                        ));
                    }
                }
                ContextSource::PeerUpAdjusted => warnings.push(format!(
                    "Route Monitoring for {key} did not decode cleanly with the Peer Up context; decoded as {}",
                    describe(&u.context)
                )),
                ContextSource::PeerUp | ContextSource::Stateless => {}
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use rbgp_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
    use rbgp_wire::capability::AddPathFamily;
    use rbgp_wire::NlriEntry;
    use std::net::Ipv4Addr;

    fn open(asn: u32, caps: Vec<Capability>) -> Open {
        Open::new(asn, 90, Ipv4Addr::new(10, 0, 0, (asn % 200) as u8), caps)
    }

    fn update(path_id: Option<u32>) -> Update {
        let p: rbgp_wire::Prefix = "10.1.0.0/16".parse().unwrap();
        let e = match path_id {
            Some(id) => NlriEntry::with_path_id(p.into(), id),
            None => NlriEntry::new(p.into()),
        };
        Update {
            withdrawn: vec![],
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(
                    "65001 4200000001".parse::<AsPath>().unwrap(),
                )),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
            ],
            nlri: vec![e],
        }
    }

    #[test]
    fn add_path_direction_from_peer_up() {
        let ap = |send, receive| {
            Capability::AddPath(vec![AddPathFamily {
                family: AfiSafi::IPV4_UNICAST,
                send,
                receive,
            }])
        };
        // The router (sent OPEN) can receive, the peer (received) can send:
        // Adj-RIB-In has path ids, Adj-RIB-Out does not.
        let peer = PeerHeader::new(
            "192.0.2.9".parse().unwrap(),
            65001,
            Ipv4Addr::new(9, 9, 9, 9),
            1,
        );
        let pu = PeerUp {
            peer,
            local_address: "192.0.2.1".parse().unwrap(),
            local_port: 179,
            remote_port: 50000,
            sent_open: open(65000, vec![ap(false, true)]),
            received_open: open(65001, vec![ap(true, false)]),
            information: vec![],
        };
        let mut s = BmpSession::new();
        s.handle(BmpMessage::PeerUp(pu));
        let st = s.peer(&PeerKey::from(&peer)).unwrap();
        assert!(st.adj_rib_in.add_path(AfiSafi::IPV4_UNICAST));
        assert!(!st.adj_rib_out.add_path(AfiSafi::IPV4_UNICAST));
        assert!(st.adj_rib_in.four_octet_as);

        let with_id = RouteMonitoring::new(peer, &update(Some(7)), &st.adj_rib_in.clone());
        let p = s.handle(BmpMessage::RouteMonitoring(with_id));
        let u = p.update.unwrap().unwrap();
        assert_eq!(u.source, ContextSource::PeerUp);
        assert_eq!(u.update.nlri[0].path_id, Some(7));
        assert!(p.warnings.is_empty());

        let out_peer = peer.with_adj_rib_out(true);
        let ctx_out = s.peer(&PeerKey::from(&peer)).unwrap().adj_rib_out.clone();
        let rm = RouteMonitoring::new(out_peer, &update(None), &ctx_out);
        let p = s.handle(BmpMessage::RouteMonitoring(rm));
        assert_eq!(
            p.update.clone().unwrap().unwrap().update.nlri[0].path_id,
            None
        );
        assert_eq!(p.elems().len(), 1);
    }

    #[test]
    fn guesses_without_peer_up() {
        let peer = PeerHeader::new(
            "192.0.2.9".parse().unwrap(),
            65001,
            Ipv4Addr::new(9, 9, 9, 9),
            1,
        );
        let mut s = BmpSession::new();
        // Encoded for a 2-octet session the 4-octet AS becomes AS_TRANS.
        for (ctx, four, id, path) in [
            (Context::legacy(), false, None, "65001 23456"),
            (
                Context::default().with_add_path(AfiSafi::IPV4_UNICAST),
                true,
                Some(3),
                "65001 4200000001",
            ),
        ] {
            let rm = RouteMonitoring::new(peer, &update(id), &ctx);
            let p = s.handle(BmpMessage::RouteMonitoring(rm));
            let u = p.update.unwrap().unwrap();
            assert_eq!(u.source, ContextSource::Guessed);
            assert!(u.verdict.is_clean());
            assert_eq!(u.context.four_octet_as, four);
            assert_eq!(u.update.nlri[0].path_id, id);
            assert_eq!(u.update.effective_as_path().unwrap().to_string(), path);
            assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        }
        // A corrupt UPDATE is an error for that message only.
        let mut bad = RouteMonitoring::new(peer, &update(None), &Context::default());
        let n = bad.pdu.len();
        bad.pdu[21] = 0xff; // total path attribute length past the end
        let _ = n;
        let p = s.handle(BmpMessage::RouteMonitoring(bad));
        assert!(p.update.unwrap().is_err());
    }

    #[test]
    fn vendor_octets_after_a_v3_update_are_kept_and_reported() {
        let peer = PeerHeader::new(
            "192.0.2.9".parse().unwrap(),
            65001,
            Ipv4Addr::new(9, 9, 9, 9),
            1,
        );
        let ctx = Context::default();
        let mut wire = Vec::new();
        BmpMessage::RouteMonitoring(RouteMonitoring::new(peer, &update(None), &ctx))
            .encode(&mut wire);
        // A vendor TLV (type 0x8001, length 2) after the UPDATE; the
        // common header's length grows to cover it.
        wire.extend_from_slice(&[0x80, 0x01, 0x00, 0x02, 0xab, 0xcd]);
        let len = wire.len() as u32;
        wire[1..5].copy_from_slice(&len.to_be_bytes());
        let mut s = BmpSession::new();
        let p = s.process(&wire).unwrap();
        let u = p.update.clone().unwrap().unwrap();
        assert_eq!(u.update.nlri.len(), 1);
        assert!(
            p.warnings.iter().any(|w| w.contains("6 octets after")),
            "{:?}",
            p.warnings
        );
        let mut again = Vec::new();
        p.message.encode(&mut again);
        assert_eq!(again, wire);
    }
}
