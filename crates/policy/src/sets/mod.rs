//! Defined sets compiled for matching, found by name at compile time and
//! by index at evaluation time.

pub mod as_path;
pub mod asn;
pub mod community;
pub mod prefix;

use std::collections::BTreeMap;

use rbgp_wire::attr::{Community, ExtCommunity, LargeCommunity};
use rustc_hash::FxHashMap;

use crate::error::PolicyError;
use crate::model::DefinedSets;
use as_path::AsPathSet;
use asn::AsnSet;
use community::CommunitySet;
use prefix::{PrefixEntry, PrefixSet};

/// The sets of one kind, by index, with their names.
#[derive(Debug, Clone)]
pub struct Named<T> {
    pub sets: Vec<T>,
    names: FxHashMap<String, usize>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named {
            sets: Vec::new(),
            names: FxHashMap::default(),
        }
    }
}

impl<T> Named<T> {
    /// Compile every set of a kind; `kind` names it in errors
    /// (`sets.prefix.bogons[2]: ...`).
    fn build(
        kind: &str,
        defs: &BTreeMap<String, Vec<String>>,
        mut make: impl FnMut(&[String]) -> Result<T, (usize, String)>,
    ) -> Result<Named<T>, PolicyError> {
        let mut n = Named::default();
        for (name, entries) in defs {
            check_name(&format!("sets.{kind}"), name)?;
            let set = make(entries)
                .map_err(|(i, why)| PolicyError::new(format!("sets.{kind}.{name}[{i}]"), why))?;
            n.names.insert(name.clone(), n.sets.len());
            n.sets.push(set);
        }
        Ok(n)
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.sets.get(i)
    }
}

/// Names are what operators type in commands: letters, digits, `_ - .`.
pub fn check_name(field: &str, name: &str) -> Result<(), PolicyError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(PolicyError::new(
            field,
            format!("{name:?}: names are 1-128 letters, digits, '_', '-' or '.'"),
        ))
    }
}

/// Every entry parsed by `f`; the failing entry's index on error.
fn each<E>(
    entries: &[String],
    f: impl Fn(&str) -> Result<E, String>,
) -> Result<Vec<E>, (usize, String)> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| f(e).map_err(|why| (i, why)))
        .collect()
}

/// Community sets are parsed entry by entry for the error's index.
fn communities<K: community::Kind>(entries: &[String]) -> Result<CommunitySet<K>, (usize, String)> {
    let patterns = each(entries, |e| community::Pattern::<K>::parse(e))?;
    Ok(CommunitySet::new(patterns))
}

/// All defined sets, compiled.
#[derive(Debug, Clone, Default)]
pub struct Sets {
    pub prefix: Named<PrefixSet>,
    pub as_path: Named<AsPathSet>,
    pub asn: Named<AsnSet>,
    pub community: Named<CommunitySet<Community>>,
    pub large_community: Named<CommunitySet<LargeCommunity>>,
    pub ext_community: Named<CommunitySet<ExtCommunity>>,
    pub neighbor: Named<PrefixSet>,
    pub next_hop: Named<PrefixSet>,
}

impl Sets {
    pub fn compile(d: &DefinedSets) -> Result<Sets, PolicyError> {
        Ok(Sets {
            prefix: Named::build("prefix", &d.prefix, |e| {
                Ok(PrefixSet::new(&each(e, PrefixEntry::parse)?))
            })?,
            as_path: Named::build("as_path", &d.as_path, |e| {
                each(e, |p| as_path::compile(p).map(|_| ()))?;
                AsPathSet::new(e).map_err(|why| (0, why))
            })?,
            asn: Named::build("asn", &d.asn, |e| Ok(AsnSet::new(each(e, asn::parse)?)))?,
            community: Named::build("community", &d.community, communities)?,
            large_community: Named::build("large_community", &d.large_community, communities)?,
            ext_community: Named::build("ext_community", &d.ext_community, communities)?,
            neighbor: Named::build("neighbor", &d.neighbor, |e| {
                Ok(PrefixSet::new(&each(e, PrefixEntry::parse_address)?))
            })?,
            next_hop: Named::build("next_hop", &d.next_hop, |e| {
                Ok(PrefixSet::new(&each(e, PrefixEntry::parse_address)?))
            })?,
        })
    }
}
