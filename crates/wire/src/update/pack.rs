//! Packing many NLRI that share one attribute set into as few UPDATEs as
//! the session's maximum message size allows (RFC 4271 §4.3, RFC 8654).

use crate::afi::AfiSafi;
use crate::attr::{code, flags, NextHop, PathAttribute};
use crate::context::Context;
use crate::header::{MessageType, HEADER_LEN};
use crate::nlri::NlriEntry;

fn entry_len(n: &NlriEntry, scratch: &mut Vec<u8>) -> usize {
    scratch.clear();
    n.encode(scratch);
    scratch.len()
}

/// Split `nlri` into runs whose encoded size fits `room` octets each.
fn chunks(nlri: &[NlriEntry], room: usize) -> Vec<&[NlriEntry]> {
    let mut out = Vec::new();
    let mut scratch = Vec::with_capacity(64);
    let mut start = 0;
    let mut used = 0;
    for (i, n) in nlri.iter().enumerate() {
        let l = entry_len(n, &mut scratch);
        if used + l > room && i > start {
            out.push(nlri.get(start..i).unwrap_or(&[]));
            start = i;
            used = 0;
        }
        used += l;
    }
    if start < nlri.len() {
        out.push(nlri.get(start..).unwrap_or(&[]));
    }
    out
}

fn finish(mut msg: Vec<u8>) -> Vec<u8> {
    let len = msg.len() as u16;
    if let Some(l) = msg.get_mut(16..18) {
        l.copy_from_slice(&len.to_be_bytes());
    }
    msg
}

fn start_message() -> Vec<u8> {
    let mut m = Vec::with_capacity(512);
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&[0, 0, MessageType::Update as u8]);
    m
}

/// Encode announcements of `nlri` (family `family`) sharing `attrs`.
///
/// IPv4 unicast with an IPv4 next hop uses the classic NLRI field (the
/// NEXT_HOP attribute must then be in `attrs`); everything else goes in an
/// MP_REACH_NLRI with `next_hop`, placed first (RFC 7606 §5.1). Any
/// MP_REACH/MP_UNREACH in `attrs` is ignored.
pub fn pack_announcements(
    attrs: &[PathAttribute],
    family: AfiSafi,
    next_hop: &NextHop,
    nlri: &[NlriEntry],
    ctx: &Context,
) -> Vec<Vec<u8>> {
    let base = announcement_base(attrs, family, next_hop, ctx);
    pack_announcements_with_base(&base, family, next_hop, nlri, ctx)
}

/// What [`pack_announcements`] puts in every UPDATE besides MP_REACH_NLRI:
/// `attrs` encoded, without MP_REACH/MP_UNREACH (and without NEXT_HOP
/// where the next hop goes in MP_REACH). An exporter sending one set many
/// times encodes it once.
pub fn announcement_base(
    attrs: &[PathAttribute],
    family: AfiSafi,
    next_hop: &NextHop,
    ctx: &Context,
) -> Vec<u8> {
    let classic = family == AfiSafi::IPV4_UNICAST && matches!(next_hop, NextHop::Ipv4(_));
    let mut base = Vec::with_capacity(256);
    for a in attrs {
        let c = a.code();
        if c == code::MP_REACH_NLRI || c == code::MP_UNREACH_NLRI {
            continue;
        }
        if !classic && c == code::NEXT_HOP {
            continue;
        }
        a.encode(ctx, &mut base);
    }
    base
}

/// [`pack_announcements`] with the attributes already encoded by
/// [`announcement_base`] (for the same family, next hop and context).
pub fn pack_announcements_with_base(
    base: &[u8],
    family: AfiSafi,
    next_hop: &NextHop,
    nlri: &[NlriEntry],
    ctx: &Context,
) -> Vec<Vec<u8>> {
    let max = ctx.max_message_len();
    let classic = family == AfiSafi::IPV4_UNICAST && matches!(next_hop, NextHop::Ipv4(_));
    // header + withdrawn len + attr len + base attrs [+ MP_REACH header: 4 + afi/safi/nh/reserved]
    let mp_fixed = if classic {
        0
    } else {
        4 + 3 + 1 + next_hop.encoded_len() + 1
    };
    let fixed = HEADER_LEN + 2 + 2 + base.len() + mp_fixed;
    let room = max.saturating_sub(fixed).max(1);
    let mut out = Vec::new();
    let mut mp_head = Vec::new();
    if !classic {
        mp_head.extend_from_slice(&family.afi.0.to_be_bytes());
        mp_head.push(family.safi.0);
        mp_head.push(next_hop.encoded_len() as u8);
        let nh = crate::attr::MpReach::new(family, next_hop.clone(), Vec::new());
        let mut tmp = Vec::new();
        nh.encode(ctx, &mut tmp);
        // tmp = afi safi len nh reserved; take the next-hop bytes from it.
        mp_head = tmp;
    }
    for run in chunks(nlri, room) {
        let mut m = start_message();
        m.extend_from_slice(&[0, 0]); // no withdrawn routes
        let alen_at = m.len();
        m.extend_from_slice(&[0, 0]);
        if !classic {
            m.push(flags::OPTIONAL | flags::EXTENDED_LENGTH);
            m.push(code::MP_REACH_NLRI);
            let l_at = m.len();
            m.extend_from_slice(&[0, 0]);
            let v_at = m.len();
            m.extend_from_slice(&mp_head);
            for n in run {
                n.encode(&mut m);
            }
            let vlen = (m.len() - v_at) as u16;
            if let Some(l) = m.get_mut(l_at..l_at + 2) {
                l.copy_from_slice(&vlen.to_be_bytes());
            }
        }
        m.extend_from_slice(base);
        let alen = (m.len() - alen_at - 2) as u16;
        if let Some(l) = m.get_mut(alen_at..alen_at + 2) {
            l.copy_from_slice(&alen.to_be_bytes());
        }
        if classic {
            for n in run {
                n.encode(&mut m);
            }
        }
        out.push(finish(m));
    }
    out
}

/// Encode withdrawals of `nlri` (family `family`) in as few UPDATEs as fit.
pub fn pack_withdrawals(family: AfiSafi, nlri: &[NlriEntry], ctx: &Context) -> Vec<Vec<u8>> {
    let max = ctx.max_message_len();
    let classic = family == AfiSafi::IPV4_UNICAST;
    let fixed = HEADER_LEN + 2 + 2 + if classic { 0 } else { 4 + 3 };
    let room = max.saturating_sub(fixed).max(1);
    let mut out = Vec::new();
    for run in chunks(nlri, room) {
        let mut m = start_message();
        if classic {
            let at = m.len();
            m.extend_from_slice(&[0, 0]);
            for n in run {
                n.encode(&mut m);
            }
            let wlen = (m.len() - at - 2) as u16;
            if let Some(l) = m.get_mut(at..at + 2) {
                l.copy_from_slice(&wlen.to_be_bytes());
            }
            m.extend_from_slice(&[0, 0]);
        } else {
            m.extend_from_slice(&[0, 0]);
            let alen_at = m.len();
            m.extend_from_slice(&[0, 0]);
            m.push(flags::OPTIONAL | flags::EXTENDED_LENGTH);
            m.push(code::MP_UNREACH_NLRI);
            let l_at = m.len();
            m.extend_from_slice(&[0, 0]);
            let v_at = m.len();
            m.extend_from_slice(&family.afi.0.to_be_bytes());
            m.push(family.safi.0);
            for n in run {
                n.encode(&mut m);
            }
            let vlen = (m.len() - v_at) as u16;
            if let Some(l) = m.get_mut(l_at..l_at + 2) {
                l.copy_from_slice(&vlen.to_be_bytes());
            }
            let alen = (m.len() - alen_at - 2) as u16;
            if let Some(l) = m.get_mut(alen_at..alen_at + 2) {
                l.copy_from_slice(&alen.to_be_bytes());
            }
        }
        out.push(finish(m));
    }
    out
}
