//! Answers to RIB queries from the control handle: snapshots of the
//! matching paths (the API streams them out in pages).

use std::sync::Arc;

use rbgp_wire::{AfiSafi, Nlri, Prefix};

use super::{Explained, State};
use crate::control::{ControlError, PrefixMatch, RibQuery, RouteEntry, Table};

fn prefix(n: &Nlri) -> Option<&Prefix> {
    match n {
        Nlri::Prefix(p) => Some(p),
        _ => None,
    }
}

/// Whether `n` passes the filter (`LongestMatch` keeps every covering
/// prefix; the caller narrows it to the longest).
fn matches(n: &Nlri, m: &PrefixMatch) -> bool {
    match m {
        PrefixMatch::All => true,
        PrefixMatch::Exact(q) => prefix(n) == Some(q),
        PrefixMatch::MoreSpecifics(q) => prefix(n).is_some_and(|p| q.contains(p)),
        PrefixMatch::LongestMatch(q) => prefix(n).is_some_and(|p| p.contains(q)),
    }
}

fn longest_only(m: &PrefixMatch, mut v: Vec<RouteEntry>) -> Vec<RouteEntry> {
    if let PrefixMatch::LongestMatch(_) = m {
        let longest = v
            .iter()
            .filter_map(|e| prefix(&e.nlri))
            .map(Prefix::len)
            .max();
        v.retain(|e| prefix(&e.nlri).map(Prefix::len) == longest);
    }
    v
}

pub fn run(st: &State, q: &RibQuery) -> Result<Vec<RouteEntry>, ControlError> {
    let family_ok = |f: AfiSafi| q.family.is_none_or(|w| w == f);
    let mut v = Vec::new();
    match q.table {
        Table::Loc | Table::AdjIn(_) => {
            let only = match q.table {
                Table::AdjIn(addr) => Some(
                    st.peers
                        .get(&addr)
                        .map(|p| p.id)
                        .ok_or(ControlError::NoSuchNeighbor(addr))?,
                ),
                _ => None,
            };
            for r in st.rib.iter() {
                let f = r.family();
                if !family_ok(f) {
                    continue;
                }
                let n = r.nlri();
                if !matches(&n, &q.prefix) {
                    continue;
                }
                let best = r.best_index();
                for (i, p) in r.paths().iter().enumerate() {
                    if only.is_none_or(|id| id == p.peer) {
                        v.push(st.entry(f, &n, p, Some(i) == best));
                    }
                }
            }
        }
        Table::AdjInPre(addr) => {
            let p = st
                .peers
                .get(&addr)
                .ok_or(ControlError::NoSuchNeighbor(addr))?;
            let pre = p.pre.as_ref().ok_or_else(|| {
                ControlError::invalid(
                    "table",
                    format!("neighbor {addr} does not keep pre-policy routes (set keep_pre_policy = true)"),
                )
            })?;
            for ((f, n, id), attrs) in pre {
                if family_ok(*f) && matches(n, &q.prefix) {
                    v.push(RouteEntry {
                        family: *f,
                        nlri: n.clone(),
                        path_id: *id,
                        source: st.source(p.id),
                        attrs: Arc::clone(attrs),
                        best: false,
                        stale: false,
                        age: 0,
                    });
                }
            }
        }
        Table::AdjOut(addr) => {
            let p = st
                .peers
                .get(&addr)
                .ok_or(ControlError::NoSuchNeighbor(addr))?;
            if let Some(o) = &p.out {
                let cx = st.ctx();
                for r in o.adj_rib_out(&cx, q.family) {
                    if matches(&r.nlri, &q.prefix) {
                        v.push(RouteEntry {
                            family: r.family,
                            nlri: r.nlri,
                            path_id: r.path_id,
                            source: st.source(r.source),
                            attrs: r.attrs,
                            best: true,
                            stale: false,
                            age: 0,
                        });
                    }
                }
            }
        }
    }
    Ok(longest_only(&q.prefix, v))
}

pub fn explain(st: &State, family: AfiSafi, nlri: &Nlri) -> Option<Explained> {
    let explanation = st.rib.explain(family, nlri)?;
    let candidates = st
        .rib
        .paths(family, nlri)
        .iter()
        .enumerate()
        .map(|(i, p)| st.entry(family, nlri, p, i == explanation.best))
        .collect();
    Some(Explained {
        candidates,
        explanation,
    })
}
