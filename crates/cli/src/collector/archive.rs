//! Per-router MRT archives, as RouteViews and RIS keep them: in
//! `DIRECTORY/ROUTER/`, BGP4MP_ET update files (the UPDATEs of one view as
//! the router's peers sent them, and Peer Up/Down as state changes;
//! RFC 6396 §4.4) rotated every `updates_interval`, and TABLE_DUMP_V2
//! snapshots (§4.3) of that view every `table_interval`. Files are written
//! under a temporary name and renamed when complete.
//!
//! Runs on a blocking thread: compression takes CPU time, and the files
//! are this task's alone.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use rbgp_bmp::header::PeerHeader;
use rbgp_bmp::session::{PeerKey, Processed};
use rbgp_bmp::tables::View;
use rbgp_bmp::BmpMessage;
use rbgp_mrt::file::MrtFile;
use rbgp_mrt::record::{
    bgp4mp_add_path, rib_next_hop_attribute, Bgp4mpMessage, Bgp4mpStateChange, Peer,
    PeerIndexTable, Rib, RibEntry,
};
use rbgp_mrt::{MrtRecord, Record};
use rbgp_wire::attr::{AttrValue, PathAttribute};
use rbgp_wire::elem::ElemType;
use rbgp_wire::{Afi, AfiSafi, Context, Nlri, Safi, Update};
use tokio::sync::mpsc;

use super::config::{ArchiveView, Mrt};
use super::metrics::Metrics;
use super::router::RouterId;
use super::{Event, Msg};

/// RFC 6396 §4.4.1 states.
const IDLE: u16 = 1;
const OPEN_CONFIRM: u16 = 5;
const ESTABLISHED: u16 = 6;

type RouteKey = (AfiSafi, Nlri, Option<u32>);

/// What a Peer Up told about a session.
struct Session {
    peer_asn: u32,
    peer_bgp_id: Ipv4Addr,
    local_asn: u32,
    local_ip: Option<IpAddr>,
}

#[derive(Default)]
struct PeerState {
    session: Option<Session>,
    header: Option<PeerHeader>,
    routes: HashMap<RouteKey, Arc<Vec<u8>>>,
}

struct RouterArchive {
    dir: PathBuf,
    bgp_id: Ipv4Addr,
    peers: HashMap<PeerKey, PeerState>,
    updates: Option<(u64, MrtFile)>,
}

pub struct Archive {
    cfg: Mrt,
    routers: HashMap<IpAddr, RouterArchive>,
    metrics: Arc<Metrics>,
    next_table: u64,
}

fn wanted(view: ArchiveView, h: &PeerHeader) -> bool {
    matches!(
        (view, View::of(h)),
        (ArchiveView::PrePolicy, View::PrePolicy)
            | (ArchiveView::PostPolicy, View::PostPolicy)
            | (ArchiveView::LocRib, View::LocRib)
    )
}

fn unspecified(like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// A RIB entry's attributes (RFC 6396 §4.3.4): 4-octet AS_PATH (AS4_PATH
/// merged in, RFC 6793 §4.2.3), and for every family but IPv4 unicast the
/// abbreviated MP_REACH_NLRI holding the next hop.
fn entry_attributes(u: &Update, family: AfiSafi) -> Vec<u8> {
    let ctx = Context::default().with_four_octet_as(true);
    let mut out = Vec::with_capacity(64);
    for a in &u.attributes {
        let a = match &a.value {
            AttrValue::MpReach(_)
            | AttrValue::MpUnreach(_)
            | AttrValue::As4Path(_)
            | AttrValue::As4Aggregator(_) => continue,
            AttrValue::AsPath(_) => match u.effective_as_path() {
                Some(p) => PathAttribute::new(AttrValue::AsPath(p)),
                None => a.clone(),
            },
            AttrValue::Aggregator(_) => match u.effective_aggregator() {
                Some(g) => PathAttribute::new(AttrValue::Aggregator(g)),
                None => a.clone(),
            },
            _ => a.clone(),
        };
        a.encode(&ctx, &mut out);
    }
    if family != AfiSafi::IPV4_UNICAST {
        if let Some(m) = u.mp_reach() {
            rib_next_hop_attribute(&m.next_hop, &mut out);
        }
    }
    out
}

impl Archive {
    pub fn new(cfg: Mrt, metrics: Arc<Metrics>, now: u64) -> Self {
        let t = u64::from(cfg.files.table_interval);
        Archive {
            next_table: now.checked_div(t).map_or(u64::MAX, |n| (n + 1) * t),
            cfg,
            routers: HashMap::new(),
            metrics,
        }
    }

    fn router(&mut self, r: &RouterId) -> &mut RouterArchive {
        let dir = self.cfg.files.directory.join(r.ip.to_string());
        self.routers.entry(r.ip).or_insert_with(|| RouterArchive {
            dir,
            bgp_id: Ipv4Addr::UNSPECIFIED,
            peers: HashMap::new(),
            updates: None,
        })
    }

    fn write(&mut self, r: &RouterId, rec: MrtRecord, now: u64) {
        let interval = u64::from(self.cfg.files.updates_interval);
        if interval == 0 {
            return;
        }
        let name = self.cfg.files.updates_name.clone();
        let compression = self.cfg.files.compression;
        let metrics = self.metrics.clone();
        let ra = self.router(r);
        let start = now / interval * interval;
        if ra.updates.as_ref().is_some_and(|(s, _)| *s != start) {
            close(ra.updates.take(), &metrics);
        }
        if ra.updates.is_none() {
            let n = rbgp_config::mrt_file_name(&name, start);
            match MrtFile::create(&ra.dir, &n, compression.into()) {
                Ok(f) => ra.updates = Some((start, f)),
                Err(e) => {
                    metrics.mrt_errors.fetch_add(1, Relaxed);
                    tracing::warn!("mrt: creating {}/{n}: {e}", ra.dir.display());
                    return;
                }
            }
        }
        if let Some((_, f)) = &mut ra.updates {
            match f.write(&rec) {
                Ok(()) => {
                    metrics.mrt_records.fetch_add(1, Relaxed);
                }
                Err(e) => {
                    metrics.mrt_errors.fetch_add(1, Relaxed);
                    tracing::warn!("mrt: writing: {e}");
                    if let Some((_, f)) = ra.updates.take() {
                        f.discard();
                    }
                }
            }
        }
    }

    fn state(
        &mut self,
        r: &RouterId,
        h: &PeerHeader,
        s: &Session,
        old: u16,
        new: u16,
        at: (u32, u32),
    ) {
        let rec = MrtRecord {
            timestamp: at.0,
            microseconds: Some(at.1),
            body: Record::Bgp4mpStateChange(Bgp4mpStateChange {
                as4: true,
                peer_as: s.peer_asn,
                local_as: s.local_asn,
                interface_index: 0,
                peer_ip: h.address,
                local_ip: s.local_ip.unwrap_or(unspecified(h.address)),
                old_state: old,
                new_state: new,
            }),
        };
        self.write(r, rec, u64::from(at.0));
    }

    /// One message of a router.
    pub fn message(&mut self, m: &Msg) {
        let Ok(p) = m.p.as_ref() else {
            return;
        };
        let view = self.cfg.view;
        match &p.message {
            BmpMessage::PeerUp(u) => {
                let s = Session {
                    peer_asn: u.received_open.asn(),
                    peer_bgp_id: u.received_open.bgp_id,
                    local_asn: u.sent_open.asn(),
                    local_ip: Some(u.local_address),
                };
                if !u.peer.is_loc_rib() && view != ArchiveView::LocRib {
                    self.state(&m.router, &u.peer, &s, OPEN_CONFIRM, ESTABLISHED, m.at);
                }
                let ra = self.router(&m.router);
                ra.bgp_id = u.sent_open.bgp_id;
                let ps = ra.peers.entry(PeerKey::from(&u.peer)).or_default();
                ps.session = Some(s);
                ps.header = Some(u.peer);
                ps.routes.clear();
            }
            BmpMessage::PeerDown(d) => {
                let key = PeerKey::from(&d.peer);
                let gone = self.router(&m.router).peers.remove(&key);
                if let Some(s) = gone.and_then(|g| g.session) {
                    if !d.peer.is_loc_rib() && view != ArchiveView::LocRib {
                        self.state(&m.router, &d.peer, &s, ESTABLISHED, IDLE, m.at);
                    }
                }
            }
            BmpMessage::RouteMonitoring(rm) if wanted(view, &rm.peer) => {
                self.route_monitoring(m, p, &rm.peer, &rm.pdu);
            }
            _ => {}
        }
    }

    fn route_monitoring(&mut self, m: &Msg, p: &Processed, h: &PeerHeader, pdu: &[u8]) {
        let (as4, add_path) = match &p.update {
            Some(Ok(u)) => (
                u.context.four_octet_as,
                bgp4mp_add_path(&u.context, &u.update),
            ),
            _ => (!h.is_as2(), false),
        };
        let key = PeerKey::from(h);
        let (local_asn, local_ip) = {
            let ra = self.router(&m.router);
            match ra.peers.get(&key).and_then(|p| p.session.as_ref()) {
                Some(s) => (s.local_asn, s.local_ip),
                None => (0, None),
            }
        };
        let rec = MrtRecord {
            timestamp: m.at.0,
            microseconds: Some(m.at.1),
            body: Record::Bgp4mpMessage(Bgp4mpMessage {
                as4,
                local: false,
                add_path,
                peer_as: h.asn,
                local_as: local_asn,
                interface_index: 0,
                peer_ip: h.address,
                local_ip: local_ip.unwrap_or(unspecified(h.address)),
                message: pdu.to_vec(),
            }),
        };
        self.write(&m.router, rec, u64::from(m.at.0));
        // The table, for the next snapshot.
        if self.cfg.files.table_interval == 0 {
            return;
        }
        let Some(Ok(u)) = &p.update else {
            return;
        };
        let ra = self.router(&m.router);
        let ps = ra.peers.entry(key).or_default();
        if ps.header.is_none() {
            ps.header = Some(*h);
        }
        let mut attrs: HashMap<AfiSafi, Arc<Vec<u8>>> = HashMap::new();
        for e in m.elems.iter() {
            let k = (e.afi_safi, e.nlri.clone(), e.path_id);
            match e.elem_type {
                ElemType::Withdraw => {
                    ps.routes.remove(&k);
                }
                ElemType::Announce => {
                    let a = attrs
                        .entry(e.afi_safi)
                        .or_insert_with(|| Arc::new(entry_attributes(&u.update, e.afi_safi)))
                        .clone();
                    ps.routes.insert(k, a);
                }
            }
        }
    }

    /// A router went away: its peers' sessions are over for us.
    pub fn router_down(&mut self, r: &RouterId) {
        if let Some(ra) = self.routers.get_mut(&r.ip) {
            ra.peers.clear();
        }
    }

    /// Rotate files whose interval ended; write tables that are due.
    pub fn tick(&mut self, now: u64) {
        let interval = u64::from(self.cfg.files.updates_interval);
        if let Some(n) = now.checked_div(interval) {
            let start = n * interval;
            for ra in self.routers.values_mut() {
                if ra.updates.as_ref().is_some_and(|(s, _)| *s != start) {
                    close(ra.updates.take(), &self.metrics);
                }
            }
        }
        if now >= self.next_table {
            let t = u64::from(self.cfg.files.table_interval);
            self.next_table = (now / t + 1) * t;
            self.tables(now);
        }
    }

    /// A TABLE_DUMP_V2 file per router.
    pub fn tables(&mut self, now: u64) {
        let name = rbgp_config::mrt_file_name(&self.cfg.files.table_name, now);
        for ra in self.routers.values() {
            let recs = table_records(ra, now as u32);
            let r = MrtFile::create(&ra.dir, &name, self.cfg.files.compression.into()).and_then(
                |mut f| {
                    for rec in &recs {
                        f.write(rec)?;
                    }
                    f.finish()
                },
            );
            match r {
                Ok(path) => {
                    self.metrics
                        .mrt_records
                        .fetch_add(recs.len() as u64, Relaxed);
                    tracing::info!("mrt: wrote {} ({} records)", path.display(), recs.len());
                }
                Err(e) => {
                    self.metrics.mrt_errors.fetch_add(1, Relaxed);
                    tracing::warn!("mrt: table of {}: {e}", ra.dir.display());
                }
            }
        }
    }

    /// Complete every open file (at exit).
    pub fn finish(&mut self) {
        for ra in self.routers.values_mut() {
            close(ra.updates.take(), &self.metrics);
        }
    }
}

fn close(f: Option<(u64, MrtFile)>, metrics: &Metrics) {
    if let Some((_, f)) = f {
        if let Err(e) = f.finish() {
            metrics.mrt_errors.fetch_add(1, Relaxed);
            tracing::warn!("mrt: completing an update file: {e}");
        }
    }
}

/// PEER_INDEX_TABLE and RIB records of a router's view.
fn table_records(ra: &RouterArchive, at: u32) -> Vec<MrtRecord> {
    let mut peers = Vec::new();
    let mut by_nlri: HashMap<(AfiSafi, Nlri), Vec<RibEntry>> = HashMap::new();
    for ps in ra.peers.values() {
        let Some(h) = &ps.header else {
            continue;
        };
        if peers.len() >= usize::from(u16::MAX) {
            break;
        }
        let index = peers.len() as u16;
        let bgp_id = ps.session.as_ref().map_or(h.bgp_id, |s| s.peer_bgp_id);
        peers.push(Peer::new(bgp_id, h.address, h.asn));
        for ((family, nlri, path_id), attrs) in &ps.routes {
            by_nlri
                .entry((*family, nlri.clone()))
                .or_default()
                .push(RibEntry {
                    peer_index: index,
                    originated: h.timestamp_sec,
                    path_id: *path_id,
                    attributes: attrs.as_ref().clone(),
                });
        }
    }
    let mut out = vec![MrtRecord {
        timestamp: at,
        microseconds: None,
        body: Record::PeerIndexTable(PeerIndexTable {
            collector_id: ra.bgp_id,
            view_name: Vec::new(),
            peers,
        }),
    }];
    let mut keys: Vec<(AfiSafi, Nlri)> = by_nlri.keys().cloned().collect();
    keys.sort_by_key(|(f, n)| (f.afi.0, f.safi.0, n.to_string()));
    for (sequence, k) in keys.into_iter().enumerate() {
        let Some(mut entries) = by_nlri.remove(&k) else {
            continue;
        };
        let (family, nlri) = k;
        let add_path = entries.iter().any(|e| e.path_id.is_some());
        for e in &mut entries {
            e.path_id = if add_path {
                Some(e.path_id.unwrap_or(0))
            } else {
                None
            };
        }
        let generic = !matches!(
            (family.afi, family.safi),
            (Afi::IPV4 | Afi::IPV6, Safi::UNICAST | Safi::MULTICAST)
        );
        out.push(MrtRecord {
            timestamp: at,
            microseconds: None,
            body: Record::Rib(Rib {
                sequence: sequence as u32,
                family,
                generic,
                add_path,
                nlri,
                entries,
            }),
        });
    }
    out
}

/// The archive task: messages and ticks until the channel closes.
pub fn run(cfg: Mrt, metrics: Arc<Metrics>, mut rx: mpsc::Receiver<Event>) {
    let mut a = Archive::new(cfg, metrics, u64::from(super::now().0));
    while let Some(ev) = rx.blocking_recv() {
        match ev {
            Event::Msg(m) => a.message(&m),
            Event::RouterDown(r) => a.router_down(&r),
            Event::Tick(now) => a.tick(now),
        }
    }
    a.finish();
}
