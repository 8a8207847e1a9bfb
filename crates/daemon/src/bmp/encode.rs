//! What the RIB task tells a BMP station, as BMP messages (pure: events
//! in, bytes out). Adj-RIB-In views use the encoding the peer sends with,
//! Adj-RIB-Out the one we send with (RFC 8671 §4), Loc-RIB 4-octet AS
//! without path identifiers (RFC 9069 §4.1).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rbgp_bmp::message::{Initiation, PeerDown, PeerUp, StatisticsReport, Termination};
use rbgp_bmp::stats::Stat;
use rbgp_bmp::tlv::Tlv;
use rbgp_bmp::{BmpMessage, PeerDownReason, PeerHeader, PeerType};
use rbgp_fsm::DownReason;
use rbgp_rib::rules::Local;
use rbgp_wire::notification::codes;
use rbgp_wire::{Capability, Context, Notification, Open};

use crate::peer::pack::{pack_runs, Encoded};
use crate::runs::Runs;
use crate::tasks::{BmpEvent, BmpSnapshot, BmpViews, Export, SessionInfo};

/// Routes encoded at a time from a snapshot.
const CHUNK: usize = 4096;

/// Whose routes: a peer's view, or the Loc-RIB's (`None`).
type Part = (Option<(IpAddr, Rm)>, Vec<Export>);

/// What is left to send of a snapshot, a chunk at a time.
pub struct Replay {
    routes: std::collections::VecDeque<Part>,
}

impl Replay {
    /// Encode the next chunk; false when nothing is left.
    pub fn next(&mut self, enc: &Encoder, out: &mut Vec<u8>) -> bool {
        let Some((whose, mut routes)) = self.routes.pop_front() else {
            return false;
        };
        if routes.len() > CHUNK {
            // From the end: only the chunk moves (a snapshot has no order).
            let chunk = routes.split_off(routes.len() - CHUNK);
            self.routes.push_front((whose, routes));
            routes = chunk;
        }
        // Routes of one set next to each other: packed in runs, a chunk in
        // hash-map or slot order would be a Route Monitoring per route.
        // (A snapshot holds each route once, so the order is free.)
        routes.sort_unstable_by_key(|e| {
            let set = e.attrs.as_ref().map_or(0, |a| Arc::as_ptr(a) as usize);
            (e.family.afi.0, e.family.safi.0, set)
        });
        let mut runs = Runs::default();
        runs.extend(&routes);
        match whose {
            Some((addr, rm)) => enc.routes(addr, rm, runs, out),
            None => enc.best(runs, out),
        }
        true
    }
}

/// RFC 9069 §5.1: the VRF/Table Name of rbgpd's one table.
pub const TABLE_NAME: &str = "global";

/// The state an encoder keeps: who we are, and each up peer's session.
pub struct Encoder {
    local: Local,
    peers: HashMap<IpAddr, Arc<SessionInfo>>,
    /// Attribute sets recently encoded (the views share them).
    /// (A mutex: `&Encoder` is held across awaits; never contended.)
    encoded: std::sync::Mutex<Encoded>,
}

/// What a Route Monitoring is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rm {
    Pre,
    Post,
    Out,
    /// Adj-RIB-Out pre-policy.
    OutPre,
}

use crate::clock::now;

fn put(m: &BmpMessage, out: &mut Vec<u8>) {
    m.encode(out);
}

impl Encoder {
    pub fn new(local: Local) -> Self {
        Encoder {
            local,
            peers: HashMap::new(),
            encoded: std::sync::Mutex::new(Encoded::default()),
        }
    }

    /// A connection's start: Initiation, the Loc-RIB instance's Peer Up
    /// when it is monitored, a Peer Up for each session up; then the
    /// snapshot's routes, from the returned [`Replay`].
    pub fn begin(
        &mut self,
        (sys_name, sys_descr): (&str, &str),
        views: BmpViews,
        snap: BmpSnapshot,
        out: &mut Vec<u8>,
    ) -> Replay {
        Encoder::initiation(sys_name, sys_descr, out);
        if views.loc_rib {
            self.loc_rib_up(out);
        }
        for (addr, s) in snap.peers {
            self.peer_up(addr, s, out);
        }
        let mut routes = std::collections::VecDeque::new();
        for (rm, peers) in [
            (Rm::Pre, snap.pre),
            (Rm::Post, snap.post),
            (Rm::Out, snap.out),
            (Rm::OutPre, snap.out_pre),
        ] {
            for (addr, r) in peers {
                routes.push_back((Some((addr, rm)), r));
            }
        }
        routes.push_back((None, snap.best));
        Replay { routes }
    }

    /// RFC 7854 §4.3: the first message on a connection.
    pub fn initiation(sys_name: &str, sys_descr: &str, out: &mut Vec<u8>) {
        let m = BmpMessage::Initiation(Initiation {
            information: vec![
                Tlv::string(rbgp_bmp::tlv::INIT_SYS_DESCR, sys_descr),
                Tlv::string(rbgp_bmp::tlv::INIT_SYS_NAME, sys_name),
            ],
        });
        put(&m, out);
    }

    /// RFC 7854 §4.5: the last message; reason 0 (administratively closed).
    pub fn termination(out: &mut Vec<u8>) {
        let m = BmpMessage::Termination(Termination {
            information: vec![Tlv::new(rbgp_bmp::tlv::TERM_REASON, 0u16.to_be_bytes())],
        });
        put(&m, out);
    }

    fn header(&self, addr: IpAddr, s: &SessionInfo, at: (u32, u32)) -> PeerHeader {
        let mut h = PeerHeader::new(addr, s.peer_asn, s.peer_id, at.0);
        h.timestamp_usec = at.1;
        h
    }

    /// RFC 9069 §4.1: the Loc-RIB instance's header.
    fn loc_rib_header(&self, at: (u32, u32)) -> PeerHeader {
        let mut h = PeerHeader::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            self.local.asn,
            self.local.router_id,
            at.0,
        );
        h.peer_type = PeerType::LOC_RIB;
        h.timestamp_usec = at.1;
        h
    }

    /// RFC 9069 §5.1: the Loc-RIB instance comes up (sent first when the
    /// station wants the Loc-RIB view), with a fabricated OPEN of ours.
    pub fn loc_rib_up(&self, out: &mut Vec<u8>) {
        let open = Open::new(
            self.local.asn,
            0,
            self.local.router_id,
            vec![Capability::FourOctetAs(self.local.asn)],
        );
        let m = BmpMessage::PeerUp(PeerUp {
            peer: self.loc_rib_header(now()),
            local_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            local_port: 0,
            remote_port: 0,
            sent_open: open.clone(),
            received_open: open,
            information: vec![Tlv::string(rbgp_bmp::tlv::PEER_VRF_TABLE_NAME, TABLE_NAME)],
        });
        put(&m, out);
    }

    /// RFC 7854 §4.10.
    pub fn peer_up(&mut self, addr: IpAddr, s: Arc<SessionInfo>, out: &mut Vec<u8>) {
        let at = crate::clock::stamp(s.at);
        let local = s.local.map(|a| a.ip()).unwrap_or(match addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        });
        let m = BmpMessage::PeerUp(PeerUp {
            peer: self.header(addr, &s, at),
            local_address: local,
            local_port: s.local.map_or(0, |a| a.port()),
            remote_port: s.remote.map_or(0, |a| a.port()),
            sent_open: s.sent_open.clone(),
            received_open: s.received_open.clone(),
            information: Vec::new(),
        });
        put(&m, out);
        self.peers.insert(addr, s);
    }

    /// RFC 7854 §4.9.
    pub fn peer_down(&mut self, addr: IpAddr, why: Option<&DownReason>, out: &mut Vec<u8>) {
        let Some(s) = self.peers.remove(&addr) else {
            return;
        };
        let m = BmpMessage::PeerDown(PeerDown {
            peer: self.header(addr, &s, now()),
            reason: reason(why),
        });
        put(&m, out);
    }

    /// Route Monitoring of an UPDATE as received (pre-policy).
    pub fn received(&self, addr: IpAddr, u: &rbgp_wire::Update, out: &mut Vec<u8>) {
        let Some(s) = self.peers.get(&addr) else {
            return;
        };
        let mut pdu = Vec::new();
        u.encode(&s.rx, &mut pdu);
        let peer = self.header(addr, s, now()).with_as2(!s.rx.four_octet_as);
        BmpMessage::encode_route_monitoring(&peer, &pdu, out);
    }

    /// Route Monitoring of paths of one peer's view.
    pub fn routes(&self, addr: IpAddr, rm: Rm, routes: Runs, out: &mut Vec<u8>) {
        let Some(s) = self.peers.get(&addr) else {
            return;
        };
        let out_view = matches!(rm, Rm::Out | Rm::OutPre);
        let ctx = if out_view { &s.tx } else { &s.rx };
        let peer = self
            .header(addr, s, now())
            .with_post_policy(matches!(rm, Rm::Post | Rm::Out))
            .with_adj_rib_out(out_view)
            .with_as2(!ctx.four_octet_as);
        self.monitor(peer, routes, ctx, out);
    }

    /// Route Monitoring of best paths (Loc-RIB).
    pub fn best(&self, routes: Runs, out: &mut Vec<u8>) {
        let ctx = Context::default().with_four_octet_as(true);
        self.monitor(self.loc_rib_header(now()), routes, &ctx, out);
    }

    /// Exports packed into UPDATEs in runs, one Route Monitoring each.
    fn monitor(&self, peer: PeerHeader, routes: Runs, ctx: &Context, out: &mut Vec<u8>) {
        if routes.is_empty() {
            return;
        }
        let mut encoded = self
            .encoded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pack_runs(&routes, ctx, &mut encoded, |m| {
            BmpMessage::encode_route_monitoring(&peer, m, out)
        });
    }

    /// One event (peer ups and downs change the encoder's state).
    pub fn event(&mut self, ev: BmpEvent, out: &mut Vec<u8>) {
        match ev {
            BmpEvent::PeerUp(a, s) => self.peer_up(a, s, out),
            BmpEvent::PeerDown(a, why) => self.peer_down(a, why.as_ref(), out),
            BmpEvent::Received(a, u) => self.received(a, &u, out),
            BmpEvent::Accepted(a, v) => self.routes(a, Rm::Post, v, out),
            BmpEvent::Best(v) => self.best(v, out),
            BmpEvent::Sent(a, v) => self.routes(a, Rm::Out, v, out),
            BmpEvent::Offered(a, v) => self.routes(a, Rm::OutPre, v, out),
        }
    }

    /// A Statistics Report for one peer (RFC 7854 §4.8, RFC 8671 §5).
    pub fn stats(&self, addr: IpAddr, stats: Vec<Stat>, out: &mut Vec<u8>) {
        let Some(s) = self.peers.get(&addr) else {
            return;
        };
        let m = BmpMessage::StatisticsReport(StatisticsReport {
            peer: self.header(addr, s, now()),
            stats,
        });
        put(&m, out);
    }

    /// The Loc-RIB instance's statistics (RFC 9069 §6: type 8 and 10).
    pub fn loc_rib_stats(&self, stats: Vec<Stat>, out: &mut Vec<u8>) {
        let m = BmpMessage::StatisticsReport(StatisticsReport {
            peer: self.loc_rib_header(now()),
            stats,
        });
        put(&m, out);
    }

    pub fn peers(&self) -> impl Iterator<Item = &IpAddr> {
        self.peers.keys()
    }
}

/// RFC 7854 §4.9 reason for how a session ended.
fn reason(why: Option<&DownReason>) -> PeerDownReason {
    use rbgp_wire::notification::cease_sub;
    match why {
        None => PeerDownReason::Deconfigured,
        Some(DownReason::ManualStop) => PeerDownReason::LocalNotification(Notification::new(
            codes::CEASE,
            cease_sub::ADMINISTRATIVE_SHUTDOWN,
            Vec::new(),
        )),
        Some(DownReason::AutomaticStop(n) | DownReason::ErrorSent(n)) => {
            PeerDownReason::LocalNotification(n.clone())
        }
        Some(DownReason::HoldTimerExpired) => PeerDownReason::LocalNotification(Notification::new(
            codes::HOLD_TIMER_EXPIRED,
            0,
            Vec::new(),
        )),
        Some(DownReason::Collision) => PeerDownReason::LocalNotification(Notification::new(
            codes::CEASE,
            cease_sub::CONNECTION_COLLISION,
            Vec::new(),
        )),
        Some(DownReason::NotificationReceived(n)) => PeerDownReason::RemoteNotification(n.clone()),
        Some(DownReason::ConnectionLost) => PeerDownReason::RemoteNoNotification,
    }
}
