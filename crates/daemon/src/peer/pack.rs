//! Exports into UPDATE messages: a pure function from the RIB's batch of
//! [`Export`]s to the bytes written to the socket.

use std::sync::Arc;

use rbgp_rib::Attrs;
use rbgp_wire::{AfiSafi, Context, NlriEntry};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::runs::Runs;
use crate::tasks::Export;

/// Encoded UPDATEs, back to back.
#[derive(Debug, Default)]
pub struct Packed {
    pub bytes: Vec<u8>,
    /// How many UPDATE messages `bytes` holds.
    pub updates: u64,
}

/// Pack a batch into as few UPDATEs as fit: withdrawals per family, then
/// announcements grouped by attribute set (the Adj-RIB-Out hands out
/// shared `Arc`s, so a set is found by address), each group packed with
/// many NLRI per message (RFC 4271 §4.3).
///
/// `merged`: the batch joins several the RIB sent, where a route may come
/// more than once; only its last export counts.
pub fn pack(batch: Vec<Export>, merged: bool, ctx: &Context) -> Packed {
    let keep: Vec<bool> = if merged {
        last_of_each(&batch)
    } else {
        Vec::new()
    };
    let mut groups: FxHashMap<(AfiSafi, usize), (Arc<Attrs>, Vec<NlriEntry>)> =
        FxHashMap::default();
    let mut withdrawals: FxHashMap<AfiSafi, Vec<NlriEntry>> = FxHashMap::default();
    for (i, e) in batch.into_iter().enumerate() {
        if keep.get(i) == Some(&false) {
            continue;
        }
        let entry = NlriEntry {
            path_id: e.path_id,
            nlri: e.nlri,
        };
        match e.attrs {
            Some(a) => groups
                .entry((e.family, Arc::as_ptr(&a) as usize))
                .or_insert_with(|| (Arc::clone(&a), Vec::new()))
                .1
                .push(entry),
            None => withdrawals.entry(e.family).or_default().push(entry),
        }
    }
    let mut out = Packed::default();
    for (f, w) in withdrawals {
        for m in rbgp_wire::update::pack_withdrawals(f, &w, ctx) {
            out.bytes.extend_from_slice(&m);
            out.updates += 1;
        }
    }
    for ((f, _), (a, n)) in groups {
        for m in a.announce(f, &n, ctx) {
            out.bytes.extend_from_slice(&m);
            out.updates += 1;
        }
    }
    out
}

/// Pack runs in their own order: each run (consecutive routes of one
/// family with the same attribute set, or withdrawn) into as few UPDATEs
/// as fit, handed to `emit` one by one. Order is kept, so a route may come
/// more than once and the last says where it stands, with no search for
/// repeats: what a BMP station needs, whose events come in runs (the
/// routes of one received UPDATE share a set).
pub fn pack_runs(runs: &Runs, ctx: &Context, cache: &mut Encoded, mut emit: impl FnMut(&[u8])) {
    for r in runs.runs() {
        let msgs = match r.attrs {
            Some(a) => cache.announce(a, r.family, r.nlri, ctx),
            None => rbgp_wire::update::pack_withdrawals(r.family, r.nlri, ctx),
        };
        for m in msgs {
            emit(&m);
        }
    }
}

/// Attribute sets recently encoded for UPDATEs, by (set, family, 4-octet
/// AS numbers): a BMP station's post-policy, Loc-RIB and pre-policy
/// Adj-RIB-Out views carry the same sets one after the other, and encoding
/// a set was about a tenth of case m's samples. The keyed `Arc` is kept so
/// its address is not reused while cached.
#[derive(Default)]
pub struct Encoded {
    sets: FxHashMap<EncodedKey, (Arc<Attrs>, Vec<u8>)>,
}

/// (the set's address, family, 4-octet AS numbers).
type EncodedKey = (usize, AfiSafi, bool);

/// Sets kept at most (about 100 octets each); then the cache starts over.
const ENCODED_MAX: usize = 4096;

impl Encoded {
    /// `a`'s UPDATEs announcing `nlri`, its attributes encoded once.
    fn announce(
        &mut self,
        a: &Arc<Attrs>,
        family: AfiSafi,
        nlri: &[NlriEntry],
        ctx: &Context,
    ) -> Vec<Vec<u8>> {
        let key = (Arc::as_ptr(a) as usize, family, ctx.four_octet_as);
        if self.sets.len() >= ENCODED_MAX && !self.sets.contains_key(&key) {
            self.sets.clear();
        }
        let (_, base) = self
            .sets
            .entry(key)
            .or_insert_with(|| (Arc::clone(a), a.announcement_base(family, ctx)));
        a.announce_with_base(base, family, nlri, ctx)
    }
}

/// Which entries are the last of their (family, path id, NLRI).
fn last_of_each(batch: &[Export]) -> Vec<bool> {
    let mut seen = FxHashSet::default();
    seen.reserve(batch.len());
    let mut k: Vec<bool> = batch
        .iter()
        .rev()
        .map(|e| seen.insert((e.family, e.path_id, &e.nlri)))
        .collect();
    k.reverse();
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbgp_wire::{Message, Nlri, Update};

    fn nlri(p: &str) -> Nlri {
        Nlri::Prefix(p.parse().unwrap())
    }

    fn attrs(med: u32) -> Arc<Attrs> {
        Arc::new(Attrs {
            origin: Some(rbgp_wire::attr::Origin::Igp),
            as_path: "65001".parse().unwrap(),
            next_hop: Some("192.0.2.1".parse().unwrap()),
            med: Some(med),
            ..Attrs::default()
        })
    }

    fn export(family: AfiSafi, p: &str, a: Option<&Arc<Attrs>>) -> Export {
        Export {
            family,
            nlri: nlri(p),
            path_id: None,
            attrs: a.map(Arc::clone),
        }
    }

    fn decode(bytes: &[u8], ctx: &Context) -> Vec<Update> {
        let mut v = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let d = Message::decode(rest, ctx).unwrap();
            rest = &rest[d.len..];
            match d.message {
                Message::Update(u) => v.push(u),
                m => panic!("not an UPDATE: {m:?}"),
            }
        }
        v
    }

    /// (withdrawn, announced with MED) as text, in message order.
    fn lines(updates: &[Update]) -> Vec<String> {
        let mut v = Vec::new();
        for u in updates {
            for (f, n) in u.withdrawals() {
                v.push(format!("- {f} {}", n.nlri));
            }
            let a = Attrs::from_update(u);
            for (f, n) in u.announced() {
                v.push(format!("+ {f} {} med {:?}", n.nlri, a.med));
            }
        }
        v
    }

    #[test]
    fn one_update_per_attribute_set_withdrawals_first() {
        let (a, b) = (attrs(1), attrs(2));
        let v4 = AfiSafi::IPV4_UNICAST;
        let batch = vec![
            export(v4, "10.0.0.0/24", Some(&a)),
            export(v4, "10.0.1.0/24", Some(&b)),
            export(v4, "10.0.2.0/24", Some(&a)),
            export(v4, "10.0.3.0/24", None),
            export(AfiSafi::IPV6_UNICAST, "2001:db8::/32", None),
        ];
        let ctx = Context::default();
        let p = pack(batch, false, &ctx);
        let u = decode(&p.bytes, &ctx);
        assert_eq!(p.updates, 4, "two withdrawal families, two attribute sets");
        assert_eq!(u.len(), 4);
        let l = lines(&u);
        let first_announce = l.iter().position(|x| x.starts_with('+')).unwrap();
        assert!(l[..first_announce].iter().all(|x| x.starts_with('-')));
        assert!(l.contains(&"- ipv4_unicast 10.0.3.0/24".to_string()));
        assert!(l.contains(&"- ipv6_unicast 2001:db8::/32".to_string()));
        // The two routes sharing `a` travel in one UPDATE.
        let with_a: Vec<&Update> = u
            .iter()
            .filter(|x| Attrs::from_update(x).med == Some(1))
            .collect();
        assert_eq!(with_a.len(), 1);
        assert_eq!(with_a[0].announced().count(), 2);
    }

    #[test]
    fn merged_batches_keep_the_last_export_of_a_route() {
        let (a, b) = (attrs(1), attrs(2));
        let v4 = AfiSafi::IPV4_UNICAST;
        let batch = vec![
            export(v4, "10.0.0.0/24", Some(&a)),
            export(v4, "10.0.1.0/24", Some(&a)),
            export(v4, "10.0.0.0/24", None),
            export(v4, "10.0.1.0/24", Some(&b)),
        ];
        let ctx = Context::default();
        let mut l = lines(&decode(&pack(batch.clone(), true, &ctx).bytes, &ctx));
        l.sort();
        assert_eq!(
            l,
            vec![
                "+ ipv4_unicast 10.0.1.0/24 med Some(2)".to_string(),
                "- ipv4_unicast 10.0.0.0/24".to_string(),
            ]
        );
        // Not merged: every export goes (the RIB never repeats a route in
        // one batch).
        assert_eq!(
            lines(&decode(&pack(batch, false, &ctx).bytes, &ctx)).len(),
            4
        );
    }

    #[test]
    fn add_path_identifiers_are_distinct_routes() {
        let a = attrs(1);
        let v4 = AfiSafi::IPV4_UNICAST;
        let mut one = export(v4, "10.0.0.0/24", Some(&a));
        one.path_id = Some(1);
        let mut two = one.clone();
        two.path_id = Some(2);
        let ctx = Context::default().with_add_path(v4);
        let u = decode(&pack(vec![one, two], true, &ctx).bytes, &ctx);
        let ids: Vec<Option<u32>> = u
            .iter()
            .flat_map(|x| x.announced().map(|(_, n)| n.path_id))
            .collect();
        assert_eq!(ids, vec![Some(1), Some(2)]);
    }

    #[test]
    fn large_batches_split_at_the_message_size() {
        let a = attrs(1);
        let v4 = AfiSafi::IPV4_UNICAST;
        let batch: Vec<Export> = (0..3000u32)
            .map(|i| export(v4, &format!("10.{}.{}.0/24", i / 256, i % 256), Some(&a)))
            .collect();
        let ctx = Context::default();
        let p = pack(batch, false, &ctx);
        let u = decode(&p.bytes, &ctx);
        assert!(u.len() > 1);
        assert_eq!(u.len() as u64, p.updates);
        assert_eq!(u.iter().map(|x| x.announced().count()).sum::<usize>(), 3000);
        assert!(p
            .bytes
            .len()
            .le(&(u.len() * rbgp_wire::header::MAX_MESSAGE_LEN)));
    }

    /// Runs keep the batch's order: a route announced, withdrawn and
    /// announced again ends announced with the last set; consecutive
    /// routes with one set share an UPDATE; a set is encoded once.
    #[test]
    fn runs_keep_order_and_encode_each_set_once() {
        let (a, b) = (attrs(1), attrs(2));
        let v4 = AfiSafi::IPV4_UNICAST;
        let batch = vec![
            export(v4, "10.0.0.0/24", Some(&a)),
            export(v4, "10.0.1.0/24", Some(&a)),
            export(v4, "10.0.0.0/24", None),
            export(v4, "10.0.0.0/24", Some(&b)),
        ];
        let ctx = Context::default();
        let mut msgs = Vec::new();
        let mut cache = Encoded::default();
        let mut runs = Runs::default();
        runs.extend(&batch);
        pack_runs(&runs, &ctx, &mut cache, |m| msgs.extend_from_slice(m));
        // The cached encoding gives the same bytes.
        let mut again = Vec::new();
        pack_runs(&runs, &ctx, &mut cache, |m| again.extend_from_slice(m));
        assert_eq!(again, msgs);
        assert_eq!(cache.sets.len(), 2);
        assert_eq!(
            lines(&decode(&msgs, &ctx)),
            [
                "+ ipv4_unicast 10.0.0.0/24 med Some(1)",
                "+ ipv4_unicast 10.0.1.0/24 med Some(1)",
                "- ipv4_unicast 10.0.0.0/24",
                "+ ipv4_unicast 10.0.0.0/24 med Some(2)",
            ]
        );
        assert_eq!(decode(&msgs, &ctx).len(), 3, "one UPDATE per run");
    }
}
