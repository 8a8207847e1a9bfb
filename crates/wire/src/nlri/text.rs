//! Text helpers shared by the EVPN, MVPN, VPLS and RT-Constraint text forms.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;
use crate::nlri::rd::RouteDistinguisher;

/// `0x` and lowercase hex digits.
pub(in crate::nlri) fn fmt_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("0x")?;
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// `0x` followed by an even number of hex digits (possibly none).
pub(in crate::nlri) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if digits.len() % 2 != 0 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// A route distinguisher as [`RouteDistinguisher`] prints it, including
/// the `TYPE:0xHHHHHHHHHHHH` form it prints for unassigned types (which
/// its own `FromStr` does not accept).
pub(in crate::nlri) fn parse_rd(
    s: &str,
    input: &str,
    what: &'static str,
) -> Result<RouteDistinguisher, ParseError> {
    if let Ok(rd) = s.parse::<RouteDistinguisher>() {
        return Ok(rd);
    }
    let bad = || ParseError::new(what, input, format!("bad route distinguisher {s:?}"));
    let (t, v) = s.split_once(':').ok_or_else(bad)?;
    let t: u16 = t.parse().map_err(|_| bad())?;
    let v = parse_hex(v).ok_or_else(bad)?;
    let mut b = [0u8; 8];
    let (head, tail) = b.split_at_mut(2);
    head.copy_from_slice(&t.to_be_bytes());
    if tail.len() != v.len() {
        return Err(bad());
    }
    tail.copy_from_slice(&v);
    Ok(RouteDistinguisher(b))
}

/// A cursor over the whitespace-separated words of a text form, for
/// parsers that accept exactly the keyword order their `Display` prints.
pub(in crate::nlri) struct Words<'a> {
    it: std::str::SplitWhitespace<'a>,
    input: &'a str,
    what: &'static str,
}

impl<'a> Words<'a> {
    pub(in crate::nlri) fn new(input: &'a str, what: &'static str) -> Self {
        Words {
            it: input.split_whitespace(),
            input,
            what,
        }
    }
    pub(in crate::nlri) fn err(&self, reason: impl Into<String>) -> ParseError {
        ParseError::new(self.what, self.input, reason)
    }
    /// The next word, whatever it is.
    pub(in crate::nlri) fn next(&mut self, expecting: &str) -> Result<&'a str, ParseError> {
        match self.it.next() {
            Some(w) => Ok(w),
            None => Err(self.err(format!("missing {expecting}"))),
        }
    }
    /// Is the next word `kw`? (Consumes nothing.)
    pub(in crate::nlri) fn peek_is(&self, kw: &str) -> bool {
        self.it.clone().next() == Some(kw)
    }
    pub(in crate::nlri) fn keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        match self.it.next() {
            Some(w) if w == kw => Ok(()),
            Some(w) => Err(self.err(format!("expected {kw:?}, found {w:?}"))),
            None => Err(self.err(format!("missing {kw:?}"))),
        }
    }
    /// `kw VALUE`: the value word.
    pub(in crate::nlri) fn field(&mut self, kw: &str) -> Result<&'a str, ParseError> {
        self.keyword(kw)?;
        self.next(&format!("value after {kw:?}"))
    }
    /// `kw VALUE`, the value parsed with its `FromStr`.
    pub(in crate::nlri) fn parse_field<T: FromStr>(&mut self, kw: &str) -> Result<T, ParseError> {
        let v = self.field(kw)?;
        v.parse()
            .map_err(|_| self.err(format!("bad value {v:?} for {kw:?}")))
    }
    /// Error if any word is left.
    pub(in crate::nlri) fn end(&mut self) -> Result<(), ParseError> {
        match self.it.next() {
            None => Ok(()),
            Some(w) => Err(self.err(format!("unexpected {w:?}"))),
        }
    }
}

/// Test helper: the NLRI bytes of the first MP_REACH_NLRI (14) or
/// MP_UNREACH_NLRI (15) attribute of a whole BGP UPDATE message
/// (RFC 4271 §4.3, RFC 4760 §3-4), with its AFI and SAFI.
#[cfg(test)]
pub(in crate::nlri) fn mp_nlri(msg: &[u8]) -> Option<(u16, u8, &[u8])> {
    use crate::reader::Reader;
    let mut r = Reader::new(msg, "test UPDATE");
    r.take(16).ok()?;
    let _len = r.u16().ok()?;
    (r.u8().ok()? == 2).then_some(())?;
    let wlen = r.u16().ok()?;
    r.take(usize::from(wlen)).ok()?;
    let alen = r.u16().ok()?;
    let mut a = Reader::new(r.take(usize::from(alen)).ok()?, "test attributes");
    while !a.is_empty() {
        let flags = a.u8().ok()?;
        let code = a.u8().ok()?;
        let len = if flags & 0x10 != 0 {
            usize::from(a.u16().ok()?)
        } else {
            usize::from(a.u8().ok()?)
        };
        let mut v = Reader::new(a.take(len).ok()?, "test attribute");
        match code {
            14 => {
                let afi = v.u16().ok()?;
                let safi = v.u8().ok()?;
                let nh = v.u8().ok()?;
                v.take(usize::from(nh) + 1).ok()?;
                return Some((afi, safi, v.rest()));
            }
            15 => {
                let afi = v.u16().ok()?;
                let safi = v.u8().ok()?;
                return Some((afi, safi, v.rest()));
            }
            _ => {}
        }
    }
    None
}
