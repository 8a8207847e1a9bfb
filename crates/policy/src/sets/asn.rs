//! ASN sets: single ASNs and ranges, sorted and merged for a binary search.

/// `"65001"` or `"64512-65534"`.
pub fn parse(s: &str) -> Result<(u32, u32), String> {
    let s = s.trim();
    let num = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("{x:?} is not an AS number"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(format!("range {s:?} is backwards"));
            }
            Ok((a, b))
        }
        None => num(s).map(|a| (a, a)),
    }
}

#[derive(Debug, Clone, Default)]
pub struct AsnSet {
    ranges: Vec<(u32, u32)>,
}

impl AsnSet {
    pub fn new(mut ranges: Vec<(u32, u32)>) -> AsnSet {
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        AsnSet { ranges: merged }
    }

    pub fn contains(&self, asn: u32) -> bool {
        let i = self.ranges.partition_point(|(a, _)| *a <= asn);
        i > 0 && self.ranges.get(i - 1).is_some_and(|(_, b)| asn <= *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_singles() {
        let s = AsnSet::new(vec![
            parse("65001").unwrap(),
            parse("64512-65000").unwrap(),
            parse("4200000000-4294967294").unwrap(),
            parse("10-20").unwrap(),
            parse("15-30").unwrap(),
        ]);
        for a in [65001, 64512, 64999, 65000, 4_200_000_001, 10, 25, 30] {
            assert!(s.contains(a), "{a}");
        }
        for a in [0, 9, 31, 65002, 64511, 4_294_967_295] {
            assert!(!s.contains(a), "{a}");
        }
        assert!(parse("x").is_err());
        assert!(parse("5-1").is_err());
        assert!(!AsnSet::default().contains(1));
    }
}
