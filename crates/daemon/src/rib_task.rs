//! The one owner of routing state. Peer tasks send it what they receive;
//! it selects best paths and sends each established peer what changed.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_config::RouteConfig;
use rbgp_rib::policy::{self, Local, PeerRules, Source};
use rbgp_rib::{Attrs, Change, Interner, PeerId, PeerInfo, Rib, SelectionOptions};
use rbgp_wire::attr::{AsPath, Community, ExtCommunity, LargeCommunity, Origin};
use rbgp_wire::{AfiSafi, Nlri, Update, Verdict};
use tokio::sync::mpsc;

/// One route to send a peer: `attrs: None` withdraws it.
#[derive(Debug, Clone)]
pub struct Export {
    pub family: AfiSafi,
    pub nlri: Nlri,
    pub attrs: Option<Arc<Attrs>>,
}

#[derive(Debug)]
pub enum ToPeer {
    Routes(Vec<Export>),
    /// The initial table has been sent (RFC 4724 §2).
    EndOfRib(Vec<AfiSafi>),
    /// The peer sent more routes than its max_prefixes.
    MaxPrefix(u32),
}

#[derive(Debug)]
pub enum RibMsg {
    Up {
        addr: IpAddr,
        rules: PeerRules,
        families: Vec<AfiSafi>,
        max_prefixes: Option<u32>,
        tx: mpsc::Sender<ToPeer>,
    },
    Down {
        addr: IpAddr,
    },
    Update {
        addr: IpAddr,
        update: Box<Update>,
        verdict: Verdict,
    },
}

struct PeerState {
    id: PeerId,
    rules: PeerRules,
    families: Vec<AfiSafi>,
    max_prefixes: Option<u32>,
    tx: mpsc::Sender<ToPeer>,
    /// What this peer has been sent (Adj-RIB-Out keys), so that only
    /// routes it has are withdrawn.
    advertised: HashSet<(AfiSafi, Nlri)>,
}

struct State {
    local: Local,
    rib: Rib,
    interner: Interner,
    local_id: PeerId,
    peers: HashMap<IpAddr, PeerState>,
    /// Peer address by RIB peer id: the source of a best path, looked up
    /// per exported route.
    by_id: HashMap<PeerId, IpAddr>,
}

fn originated(r: &RouteConfig) -> Attrs {
    Attrs {
        origin: Some(Origin::Igp),
        as_path: r
            .as_path
            .as_deref()
            .and_then(|p| p.parse::<AsPath>().ok())
            .unwrap_or_default(),
        next_hop: Some(r.next_hop),
        med: r.med,
        local_pref: r.local_pref,
        communities: r
            .communities
            .iter()
            .filter_map(|c| c.parse::<Community>().ok())
            .collect(),
        large_communities: r
            .large_communities
            .iter()
            .filter_map(|c| c.parse::<LargeCommunity>().ok())
            .collect(),
        ext_communities: r
            .ext_communities
            .iter()
            .filter_map(|c| c.parse::<ExtCommunity>().ok())
            .collect(),
        ..Attrs::default()
    }
}

fn family_of(p: &rbgp_wire::Prefix) -> AfiSafi {
    if p.is_ipv4() {
        AfiSafi::IPV4_UNICAST
    } else {
        AfiSafi::IPV6_UNICAST
    }
}

impl State {
    /// What `to` should get for this change.
    fn export_for(
        &self,
        to: &PeerState,
        family: AfiSafi,
        nlri: &Nlri,
        best: Option<&rbgp_rib::Path>,
    ) -> Option<Export> {
        if !to.families.contains(&family) {
            return None;
        }
        let attrs = best.filter(|p| p.peer != to.id).and_then(|p| {
            let source = if p.peer == self.local_id {
                Source::Local
            } else {
                let from = self.by_id.get(&p.peer).and_then(|a| self.peers.get(a))?;
                Source::Peer(&from.rules)
            };
            policy::export(&p.attrs, &source, &to.rules, &self.local, family)
        });
        match attrs {
            Some(a) => Some(Export {
                family,
                nlri: nlri.clone(),
                attrs: Some(Arc::new(a)),
            }),
            None if to.advertised.contains(&(family, nlri.clone())) => Some(Export {
                family,
                nlri: nlri.clone(),
                attrs: None,
            }),
            None => None,
        }
    }

    async fn distribute(&mut self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let addrs: Vec<IpAddr> = self.peers.keys().copied().collect();
        for addr in addrs {
            let batch: Vec<Export> = match self.peers.get(&addr) {
                Some(to) => changes
                    .iter()
                    .filter_map(|c| self.export_for(to, c.family, &c.nlri, c.best.as_ref()))
                    .collect(),
                None => continue,
            };
            self.send(addr, batch).await;
        }
    }

    async fn send(&mut self, addr: IpAddr, batch: Vec<Export>) {
        let Some(to) = self.peers.get_mut(&addr) else {
            return;
        };
        for e in &batch {
            if e.attrs.is_some() {
                to.advertised.insert((e.family, e.nlri.clone()));
            } else {
                to.advertised.remove(&(e.family, e.nlri.clone()));
            }
        }
        if !batch.is_empty() && to.tx.send(ToPeer::Routes(batch)).await.is_err() {
            tracing::debug!(%addr, "peer task gone");
        }
    }
}

pub async fn run(local: Local, routes: Vec<RouteConfig>, mut rx: mpsc::Receiver<RibMsg>) {
    let mut rib = Rib::new(SelectionOptions::default());
    let local_id = rib.add_peer(PeerInfo::local(local.asn, local.router_id));
    let mut st = State {
        local,
        rib,
        interner: Interner::new(),
        local_id,
        peers: HashMap::new(),
        by_id: HashMap::new(),
    };
    for r in &routes {
        let a = st.interner.intern(originated(r));
        st.rib
            .update(local_id, family_of(&r.prefix), Nlri::Prefix(r.prefix), 0, a);
    }
    while let Some(msg) = rx.recv().await {
        match msg {
            RibMsg::Up {
                addr,
                rules,
                families,
                max_prefixes,
                tx,
            } => {
                let info = PeerInfo {
                    asn: rules.asn,
                    router_id: rules.router_id,
                    address: addr,
                    ibgp: rules.ibgp,
                };
                let id = st.rib.add_peer(info);
                let state = PeerState {
                    id,
                    rules,
                    families: families.clone(),
                    max_prefixes,
                    tx,
                    advertised: HashSet::new(),
                };
                // The initial table, then End-of-RIB.
                let batch: Vec<Export> = st
                    .rib
                    .iter_best()
                    .filter_map(|(f, n, p)| st.export_for(&state, f, n, Some(p)))
                    .collect();
                st.by_id.insert(id, addr);
                st.peers.insert(addr, state);
                for chunk in batch.chunks(10_000) {
                    st.send(addr, chunk.to_vec()).await;
                }
                if let Some(p) = st.peers.get(&addr) {
                    let _ = p.tx.send(ToPeer::EndOfRib(families)).await;
                }
                tracing::info!(%addr, "peer up in the RIB");
            }
            RibMsg::Down { addr } => {
                if let Some(p) = st.peers.remove(&addr) {
                    st.by_id.remove(&p.id);
                    let changes = st.rib.remove_peer(p.id);
                    tracing::info!(%addr, changed = changes.len(), "peer down: its routes removed");
                    st.distribute(changes).await;
                    st.interner.collect();
                }
            }
            RibMsg::Update {
                addr,
                update,
                verdict,
            } => {
                let Some(p) = st.peers.get(&addr) else {
                    continue;
                };
                let (id, rules, max) = (p.id, p.rules.clone(), p.max_prefixes);
                let mut changes = Vec::new();
                for (f, n) in update.withdrawals() {
                    changes.extend(st.rib.withdraw(id, f, &n.nlri, n.path_id.unwrap_or(0)));
                }
                if let Some(w) = &verdict.treat_as_withdraw {
                    // RFC 7606: the UPDATE's routes count as withdrawn.
                    for (f, n) in w {
                        changes.extend(st.rib.withdraw(id, *f, &n.nlri, n.path_id.unwrap_or(0)));
                    }
                } else {
                    let mut attrs = Attrs::from_update(&update);
                    let accepted = policy::import(&mut attrs, &rules, &st.local);
                    let shared = st.interner.intern(attrs);
                    for (f, n) in update.announced() {
                        if verdict.disable_families.contains(&f) {
                            continue;
                        }
                        let path_id = n.path_id.unwrap_or(0);
                        match accepted {
                            Ok(()) => changes.extend(st.rib.update(
                                id,
                                f,
                                n.nlri.clone(),
                                path_id,
                                Arc::clone(&shared),
                            )),
                            Err(why) => {
                                tracing::debug!(%addr, nlri = %n.nlri, ?why, "path rejected");
                                changes.extend(st.rib.withdraw(id, f, &n.nlri, path_id));
                            }
                        }
                    }
                }
                st.distribute(changes).await;
                if let Some(max) = max {
                    if st.rib.path_count(id) > max as usize {
                        tracing::warn!(%addr, max, "max_prefixes exceeded");
                        if let Some(p) = st.peers.get(&addr) {
                            let _ = p.tx.send(ToPeer::MaxPrefix(max)).await;
                        }
                    }
                }
            }
        }
    }
}
