//! FlowSpec NLRI: IPv4 (RFC 8955), IPv6 (RFC 8956) and VPN FlowSpec
//! (SAFI 134, RFC 8955 §8).
//!
//! # Wire form
//!
//! One NLRI is a length (1 octet, or 2 octets `0xfnnn` from 240 on, RFC 8955
//! §4.1), then for VPN FlowSpec an 8-octet Route Distinguisher, then the
//! components in strictly increasing type order (RFC 8955 §4.2). Every bit
//! the sender chose is kept — operator value lengths, the AND bit of a first
//! term, reserved operator bits and prefix padding bits (which the RFCs say
//! to ignore on receipt), and a 2-octet length below 240 — so that decoding
//! then encoding gives back the very same bytes.
//!
//! Value lengths are not checked per component type: the RFCs say which
//! lengths senders SHOULD use, and any of 1, 2, 4 or 8 octets is accepted.
//!
//! Unknown component types make the NLRI undelimitable (the length of an
//! unknown component cannot be known), so they are errors, as are components
//! out of order or repeated, prefixes longer than the address, and an IPv6
//! prefix offset not below its length (RFC 8956 §3.1).
//!
//! An IPv6 prefix pattern holds only bits `offset..length` (RFC 8956 §3.1).
//! ryu, like drafts before RFC 8956, sends ceil(length / 8) octets of the
//! whole address instead; with a non-zero offset such an NLRI is too long
//! and is rejected here.
//!
//! # Text form
//!
//! Whitespace-separated tokens, close to ExaBGP's and GoBGP's:
//!
//! ```text
//! [ipv4|ipv6] [extended-length] [rd RD] COMPONENT...
//!
//! destination PREFIX [offset N] [padding N]      type 1
//! source PREFIX [offset N] [padding N]           type 2
//! protocol NUMERIC     (next-header in IPv6)     type 3
//! port NUMERIC                                   type 4
//! destination-port NUMERIC                       type 5
//! source-port NUMERIC                            type 6
//! icmp-type NUMERIC                              type 7
//! icmp-code NUMERIC                              type 8
//! tcp-flags BITMASK                              type 9
//! packet-length NUMERIC                          type 10
//! dscp NUMERIC                                   type 11
//! fragment BITMASK                               type 12
//! flow-label NUMERIC                             type 13 (IPv6 only)
//! ```
//!
//! for example
//!
//! ```text
//! rd 65000:1 destination 10.0.0.0/24 protocol =6 destination-port =80|=443
//!     port >=1024&<=2048 tcp-flags =syn|!ack packet-length >1500 fragment is-fragment
//! destination 2001:db8::/64 offset 8 next-header =17 flow-label =5
//! ipv6 icmp-type =128 icmp-code =0
//! ```
//!
//! * Components are printed in type order; when parsing they may come in
//!   any order, each type at most once.
//! * The family is inferred from the prefixes; `ipv6` is written (and must be
//!   given) only for IPv6 rules without a prefix. `ipv4` is accepted too.
//! * `NUMERIC` and `BITMASK` are one token: terms joined by `|` (OR: AND bit
//!   clear) or `&` (AND bit set). A leading `&` sets the AND bit of the first
//!   term, which has no meaning but is kept.
//! * Numeric term: `OP VALUE`, OP one of `=` (also `==`), `>`, `>=`, `<`, `<=`,
//!   `!=`, `true`, `false` (RFC 8955 §4.2.1.1 lt/gt/eq bits 111 and 000), e.g.
//!   `>=1024`, `true0`. VALUE is decimal or `0x` hex.
//! * Bitmask term: `[!][=]FLAGS`: `!` is the NOT bit, `=` the MATCH bit (RFC
//!   8955 §4.2.1.2); FLAGS are names or numbers joined by `+`: `fin syn rst
//!   push ack urgent ece cwr` for tcp-flags, `dont-fragment is-fragment
//!   first-fragment last-fragment` for fragment; bits without a name are
//!   printed as one hex number, e.g. `=syn+ack`, `!=0x100`.
//! * Either kind of term may end with `:LEN` (value length in octets: 1, 2, 4
//!   or 8), printed only when it is not the shortest that holds the value,
//!   and with `^BITS` (reserved operator bits, in their place in the operator
//!   octet: `^0x08`), printed only when set.
//! * `offset` (IPv6) and `padding` (value of the pad bits after the prefix
//!   pattern) are printed only when non-zero; `extended-length` marks a
//!   2-octet length below 240.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::rd::RouteDistinguisher;
use crate::afi::Afi;
use crate::error::{ParseError, WireError};
use crate::prefix::Prefix;
use crate::reader::Reader;

const WHAT: &str = "FlowSpec NLRI";
const WHAT_TEXT: &str = "FlowSpec rule";

/// The largest NLRI length the 2-octet form can carry (RFC 8955 §4.1).
pub const MAX_NLRI_LEN: usize = 0x0fff;
/// From this length on the 2-octet length form is required (RFC 8955 §4.1).
const EXTENDED_FROM: usize = 240;

// Operator octet bits shared by both operator kinds (RFC 8955 §4.2.1).
const OP_END: u8 = 0x80;
const OP_AND: u8 = 0x40;
const OP_LEN: u8 = 0x30;
// Numeric operator (RFC 8955 §4.2.1.1): one reserved bit, then lt/gt/eq.
const NUM_RESERVED: u8 = 0x08;
const NUM_LT: u8 = 0x04;
const NUM_GT: u8 = 0x02;
const NUM_EQ: u8 = 0x01;
// Bitmask operator (RFC 8955 §4.2.1.2): two reserved bits, then not/match.
const BIT_RESERVED: u8 = 0x0c;
const BIT_NOT: u8 = 0x02;
const BIT_MATCH: u8 = 0x01;

/// Length of an operator's value: the `len` field of the operator octet
/// (RFC 8955 §4.2.1), 1 << len octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(into = "u8"))]
pub enum ValueLen {
    One,
    Two,
    Four,
    Eight,
}

impl ValueLen {
    /// Reads the `len` field of an operator octet.
    pub fn from_op(op: u8) -> Self {
        match (op & OP_LEN) >> 4 {
            0 => ValueLen::One,
            1 => ValueLen::Two,
            2 => ValueLen::Four,
            _ => ValueLen::Eight,
        }
    }
    fn op_bits(self) -> u8 {
        match self {
            ValueLen::One => 0x00,
            ValueLen::Two => 0x10,
            ValueLen::Four => 0x20,
            ValueLen::Eight => 0x30,
        }
    }
    pub fn octets(self) -> usize {
        match self {
            ValueLen::One => 1,
            ValueLen::Two => 2,
            ValueLen::Four => 4,
            ValueLen::Eight => 8,
        }
    }
    pub fn from_octets(n: usize) -> Option<Self> {
        match n {
            1 => Some(ValueLen::One),
            2 => Some(ValueLen::Two),
            4 => Some(ValueLen::Four),
            8 => Some(ValueLen::Eight),
            _ => None,
        }
    }
    /// The largest value this length holds.
    pub fn max_value(self) -> u64 {
        match self {
            ValueLen::One => 0xff,
            ValueLen::Two => 0xffff,
            ValueLen::Four => 0xffff_ffff,
            ValueLen::Eight => u64::MAX,
        }
    }
    /// The shortest length that holds `value`.
    pub fn minimal(value: u64) -> Self {
        if value <= 0xff {
            ValueLen::One
        } else if value <= 0xffff {
            ValueLen::Two
        } else if value <= 0xffff_ffff {
            ValueLen::Four
        } else {
            ValueLen::Eight
        }
    }
    fn read(self, r: &mut Reader<'_>) -> Result<u64, WireError> {
        Ok(match self {
            ValueLen::One => u64::from(r.u8()?),
            ValueLen::Two => u64::from(r.u16()?),
            ValueLen::Four => u64::from(r.u32()?),
            ValueLen::Eight => r.u64()?,
        })
    }
    fn write(self, value: u64, out: &mut Vec<u8>) {
        let b = value.to_be_bytes();
        // 8 - octets() is at most 7, so the range is always inside `b`.
        out.extend_from_slice(b.get(8 - self.octets()..).unwrap_or(&[]));
    }
}

impl From<ValueLen> for u8 {
    fn from(l: ValueLen) -> u8 {
        match l {
            ValueLen::One => 1,
            ValueLen::Two => 2,
            ValueLen::Four => 4,
            ValueLen::Eight => 8,
        }
    }
}

/// A numeric operator octet (RFC 8955 §4.2.1.1) without its end-of-list bit,
/// which follows from the term's place in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NumericOp {
    /// AND with the previous term (else OR).
    pub and: bool,
    pub lt: bool,
    pub gt: bool,
    pub eq: bool,
    pub len: ValueLen,
    /// Reserved bit 0x08, as received ("MUST be ignored during decoding").
    pub reserved: u8,
}

impl NumericOp {
    const fn cmp(lt: bool, gt: bool, eq: bool) -> Self {
        NumericOp {
            and: false,
            lt,
            gt,
            eq,
            len: ValueLen::One,
            reserved: 0,
        }
    }
    /// lt/gt/eq = 000: never matches.
    pub const FALSE: NumericOp = NumericOp::cmp(false, false, false);
    pub const EQ: NumericOp = NumericOp::cmp(false, false, true);
    pub const GT: NumericOp = NumericOp::cmp(false, true, false);
    pub const GE: NumericOp = NumericOp::cmp(false, true, true);
    pub const LT: NumericOp = NumericOp::cmp(true, false, false);
    pub const LE: NumericOp = NumericOp::cmp(true, false, true);
    pub const NE: NumericOp = NumericOp::cmp(true, true, false);
    /// lt/gt/eq = 111: always matches.
    pub const TRUE: NumericOp = NumericOp::cmp(true, true, true);

    /// Reads an operator octet; the end-of-list bit is ignored.
    pub fn from_byte(b: u8) -> Self {
        NumericOp {
            and: b & OP_AND != 0,
            lt: b & NUM_LT != 0,
            gt: b & NUM_GT != 0,
            eq: b & NUM_EQ != 0,
            len: ValueLen::from_op(b),
            reserved: b & NUM_RESERVED,
        }
    }
    pub fn to_byte(&self, end: bool) -> u8 {
        let mut b = self.len.op_bits() | (self.reserved & NUM_RESERVED);
        for (set, bit) in [
            (end, OP_END),
            (self.and, OP_AND),
            (self.lt, NUM_LT),
            (self.gt, NUM_GT),
            (self.eq, NUM_EQ),
        ] {
            if set {
                b |= bit;
            }
        }
        b
    }
    fn symbol(&self) -> &'static str {
        match (self.lt, self.gt, self.eq) {
            (false, false, false) => "false",
            (false, false, true) => "=",
            (false, true, false) => ">",
            (false, true, true) => ">=",
            (true, false, false) => "<",
            (true, false, true) => "<=",
            (true, true, false) => "!=",
            (true, true, true) => "true",
        }
    }
}

/// One `{numeric_op, value}` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NumericMatch {
    pub op: NumericOp,
    pub value: u64,
}

impl NumericMatch {
    /// A term with `op`'s comparison and the shortest value length.
    pub fn new(op: NumericOp, value: u64) -> Self {
        NumericMatch {
            op: NumericOp {
                len: ValueLen::minimal(value),
                ..op
            },
            value,
        }
    }
    /// The same term, ANDed with the previous one.
    pub fn and(mut self) -> Self {
        self.op.and = true;
        self
    }
    fn check(&self) -> Result<(), String> {
        if self.value > self.op.len.max_value() {
            return Err(format!(
                "value {} does not fit {} octets",
                self.value,
                self.op.len.octets()
            ));
        }
        if self.op.reserved & !NUM_RESERVED != 0 {
            return Err(format!(
                "numeric operator reserved bits {:#04x} outside 0x08",
                self.op.reserved
            ));
        }
        Ok(())
    }
}

/// A bitmask operator octet (RFC 8955 §4.2.1.2) without its end-of-list bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BitmaskOp {
    /// AND with the previous term (else OR).
    pub and: bool,
    /// Negate the result.
    pub not: bool,
    /// Match: `(data & value) == value`; else `(data & value) != 0`.
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_all: bool,
    pub len: ValueLen,
    /// Reserved bits 0x0c, as received ("MUST be ignored during decoding").
    pub reserved: u8,
}

impl BitmaskOp {
    const fn bits(not: bool, match_all: bool) -> Self {
        BitmaskOp {
            and: false,
            not,
            match_all,
            len: ValueLen::One,
            reserved: 0,
        }
    }
    /// Any of the bits is set.
    pub const ANY: BitmaskOp = BitmaskOp::bits(false, false);
    /// All the bits are set (`=`).
    pub const MATCH: BitmaskOp = BitmaskOp::bits(false, true);
    /// None of the bits is set (`!`).
    pub const NOT: BitmaskOp = BitmaskOp::bits(true, false);
    /// Not all of the bits are set (`!=`).
    pub const NOT_MATCH: BitmaskOp = BitmaskOp::bits(true, true);

    /// Reads an operator octet; the end-of-list bit is ignored.
    pub fn from_byte(b: u8) -> Self {
        BitmaskOp {
            and: b & OP_AND != 0,
            not: b & BIT_NOT != 0,
            match_all: b & BIT_MATCH != 0,
            len: ValueLen::from_op(b),
            reserved: b & BIT_RESERVED,
        }
    }
    pub fn to_byte(&self, end: bool) -> u8 {
        let mut b = self.len.op_bits() | (self.reserved & BIT_RESERVED);
        for (set, bit) in [
            (end, OP_END),
            (self.and, OP_AND),
            (self.not, BIT_NOT),
            (self.match_all, BIT_MATCH),
        ] {
            if set {
                b |= bit;
            }
        }
        b
    }
}

/// One `{bitmask_op, bitmask}` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BitmaskMatch {
    pub op: BitmaskOp,
    pub value: u64,
}

impl BitmaskMatch {
    /// A term with `op`'s not/match bits and the shortest value length.
    pub fn new(op: BitmaskOp, value: u64) -> Self {
        BitmaskMatch {
            op: BitmaskOp {
                len: ValueLen::minimal(value),
                ..op
            },
            value,
        }
    }
    /// The same term, ANDed with the previous one.
    pub fn and(mut self) -> Self {
        self.op.and = true;
        self
    }
    fn check(&self) -> Result<(), String> {
        if self.value > self.op.len.max_value() {
            return Err(format!(
                "bitmask {:#x} does not fit {} octets",
                self.value,
                self.op.len.octets()
            ));
        }
        if self.op.reserved & !BIT_RESERVED != 0 {
            return Err(format!(
                "bitmask operator reserved bits {:#04x} outside 0x0c",
                self.op.reserved
            ));
        }
        Ok(())
    }
}

/// Bit values and their names, for bitmask components.
pub type FlagNames = &'static [(u64, &'static str)];

/// TCP flag names (RFC 8955 §4.2.2.9: the flags octet of the TCP header).
pub const TCP_FLAG_NAMES: FlagNames = &[
    (0x01, "fin"),
    (0x02, "syn"),
    (0x04, "rst"),
    (0x08, "push"),
    (0x10, "ack"),
    (0x20, "urgent"),
    (0x40, "ece"),
    (0x80, "cwr"),
];
/// Fragment bit names (RFC 8955 §4.2.2.12; RFC 8956 §3.6 drops DF for IPv6).
pub const FRAGMENT_NAMES: FlagNames = &[
    (0x01, "dont-fragment"),
    (0x02, "is-fragment"),
    (0x04, "first-fragment"),
    (0x08, "last-fragment"),
];
const TCP_FLAG_ALIASES: FlagNames = &[(0x08, "psh"), (0x20, "urg")];
const FRAGMENT_ALIASES: FlagNames = &[(0x01, "df"), (0x02, "isf"), (0x04, "ff"), (0x08, "lf")];

/// A prefix component (types 1 and 2). For IPv6 the pattern may start at a
/// bit offset (RFC 8956 §3.1): only address bits `offset..len` are encoded,
/// shifted to the start of the first pattern octet. The address keeps only
/// those bits; the pad bits after the pattern are kept apart in `padding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FlowPrefix {
    addr: IpAddr,
    len: u8,
    offset: u8,
    padding: u8,
}

/// The `k` most significant bits of a u128.
fn top_bits(k: u32) -> u128 {
    match k {
        0 => 0,
        1..=127 => u128::MAX << (128 - k),
        _ => u128::MAX,
    }
}

/// The address, left-aligned in 128 bits (IPv4 in the top 32).
fn addr_bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)) << 96,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn bits_addr(bits: u128, v4: bool) -> IpAddr {
    if v4 {
        // The top 32 bits; the shift leaves nothing above u32.
        IpAddr::V4(Ipv4Addr::from((bits >> 96) as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(bits))
    }
}

/// RFC 8956 §3.1: "If length = 0 and offset = 0, this component matches
/// every address; otherwise, length MUST be in the range offset < length".
fn offset_ok(len: u8, offset: u8) -> bool {
    offset < len || (len == 0 && offset == 0)
}

impl FlowPrefix {
    /// A prefix matching address bits `offset..len`; other bits of `addr`
    /// are cleared. `None` unless `len` fits the address and, for IPv6,
    /// `offset < len` or both are 0 (RFC 8956 §3.1); IPv4 has no offset.
    pub fn new(addr: IpAddr, len: u8, offset: u8) -> Option<Self> {
        let ok = match addr {
            IpAddr::V4(_) => len <= 32 && offset == 0,
            IpAddr::V6(_) => len <= 128 && offset_ok(len, offset),
        };
        if !ok {
            return None;
        }
        let keep = top_bits(u32::from(len)) & !top_bits(u32::from(offset));
        Some(FlowPrefix {
            addr: bits_addr(addr_bits(addr) & keep, addr.is_ipv4()),
            len,
            offset,
            padding: 0,
        })
    }
    /// The same prefix with these pad bits (right-aligned), if they fit.
    pub fn with_padding(mut self, padding: u8) -> Option<Self> {
        if u32::from(padding) >> self.padding_bits() != 0 {
            return None;
        }
        self.padding = padding;
        Some(self)
    }
    pub fn addr(&self) -> IpAddr {
        self.addr
    }
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u8 {
        self.len
    }
    pub fn offset(&self) -> u8 {
        self.offset
    }
    /// The pad bits after the pattern, as received (normally 0).
    pub fn padding(&self) -> u8 {
        self.padding
    }
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }
    /// The plain prefix, when there is no offset.
    pub fn prefix(&self) -> Option<Prefix> {
        if self.offset == 0 {
            Prefix::new(self.addr, self.len)
        } else {
            None
        }
    }
    fn pattern_bits(&self) -> u32 {
        u32::from(self.len.saturating_sub(self.offset))
    }
    fn pattern_octets(&self) -> usize {
        // At most 128 bits, so this is at most 16.
        self.pattern_bits().div_ceil(8) as usize
    }
    /// Number of pad bits in the last pattern octet.
    pub fn padding_bits(&self) -> u32 {
        (8 - self.pattern_bits() % 8) % 8
    }
    fn encoded_len(&self) -> usize {
        // type, length, [offset,] pattern
        let head = if self.is_ipv4() { 2 } else { 3 };
        head + self.pattern_octets()
    }

    /// Reads `length [offset] pattern` (the type octet already read):
    /// RFC 8955 §4.2.2.1 for IPv4, RFC 8956 §3.1 for IPv6.
    fn decode(r: &mut Reader<'_>, afi: Afi) -> Result<Self, WireError> {
        let v4 = afi == Afi::IPV4;
        let len = r.u8()?;
        let offset = if v4 { 0 } else { r.u8()? };
        if v4 && len > 32 {
            return Err(WireError::invalid("FlowSpec IPv4 prefix length", len));
        }
        if !v4 && len > 128 {
            return Err(WireError::invalid("FlowSpec IPv6 prefix length", len));
        }
        if !v4 && !offset_ok(len, offset) {
            return Err(WireError::malformed(
                WHAT,
                format!("IPv6 prefix offset {offset} not below length {len} (RFC 8956 §3.1)"),
            ));
        }
        let k = u32::from(len - offset);
        let n = k.div_ceil(8) as usize;
        let bytes = r.take(n)?;
        let mut a = [0u8; 16];
        if let Some(dst) = a.get_mut(..n) {
            dst.copy_from_slice(bytes);
        }
        let p = u128::from_be_bytes(a);
        let pad_bits = (8 - k % 8) % 8;
        let padding = if n == 0 {
            0
        } else {
            // n is 1..=16, so the shift is 0..=120; pad_bits <= 7.
            ((p >> (128 - 8 * n as u32)) & ((1u128 << pad_bits) - 1)) as u8
        };
        // The pattern holds address bits offset..len: shift it into place.
        let bits = (p & top_bits(k))
            .checked_shr(u32::from(offset))
            .unwrap_or(0);
        Ok(FlowPrefix {
            addr: bits_addr(bits, v4),
            len,
            offset,
            padding,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        if !self.is_ipv4() {
            out.push(self.offset);
        }
        let k = self.pattern_bits();
        let n = self.pattern_octets();
        let mut p = addr_bits(self.addr)
            .checked_shl(u32::from(self.offset))
            .unwrap_or(0)
            & top_bits(k);
        if n > 0 {
            p |= u128::from(self.padding) << (128 - 8 * n as u32);
        }
        out.extend_from_slice(p.to_be_bytes().get(..n).unwrap_or(&[]));
    }
}

impl From<Prefix> for FlowPrefix {
    fn from(p: Prefix) -> Self {
        FlowPrefix {
            addr: p.addr(),
            len: p.len(),
            offset: 0,
            padding: 0,
        }
    }
}

impl fmt::Display for FlowPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)?;
        if self.offset != 0 {
            write!(f, " offset {}", self.offset)?;
        }
        if self.padding != 0 {
            write!(f, " padding {}", self.padding)?;
        }
        Ok(())
    }
}

/// One FlowSpec component (RFC 8955 §4.2.2, RFC 8956 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Component {
    /// Type 1.
    DestinationPrefix(FlowPrefix),
    /// Type 2.
    SourcePrefix(FlowPrefix),
    /// Type 3: IP protocol (IPv4), upper-layer protocol / next header (IPv6).
    Protocol(Vec<NumericMatch>),
    /// Type 4: source or destination port.
    Port(Vec<NumericMatch>),
    /// Type 5.
    DestinationPort(Vec<NumericMatch>),
    /// Type 6.
    SourcePort(Vec<NumericMatch>),
    /// Type 7: ICMP type (ICMPv6 for IPv6).
    IcmpType(Vec<NumericMatch>),
    /// Type 8: ICMP code (ICMPv6 for IPv6).
    IcmpCode(Vec<NumericMatch>),
    /// Type 9.
    TcpFlags(Vec<BitmaskMatch>),
    /// Type 10: IP total length without layer 2 (IPv6: payload + 40).
    PacketLength(Vec<NumericMatch>),
    /// Type 11: DSCP (IPv6: traffic class DSCP bits).
    Dscp(Vec<NumericMatch>),
    /// Type 12.
    Fragment(Vec<BitmaskMatch>),
    /// Type 13: IPv6 flow label (RFC 8956 §3.7).
    FlowLabel(Vec<NumericMatch>),
}

enum Body<'a> {
    Prefix(&'a FlowPrefix),
    Numeric(&'a [NumericMatch]),
    Bitmask(&'a [BitmaskMatch]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Prefix,
    Numeric,
    Bitmask,
}

/// Type code, text keyword, operand kind. `next-header` is an alias of 3.
const TYPES: &[(u8, &str, Kind)] = &[
    (1, "destination", Kind::Prefix),
    (2, "source", Kind::Prefix),
    (3, "protocol", Kind::Numeric),
    (4, "port", Kind::Numeric),
    (5, "destination-port", Kind::Numeric),
    (6, "source-port", Kind::Numeric),
    (7, "icmp-type", Kind::Numeric),
    (8, "icmp-code", Kind::Numeric),
    (9, "tcp-flags", Kind::Bitmask),
    (10, "packet-length", Kind::Numeric),
    (11, "dscp", Kind::Numeric),
    (12, "fragment", Kind::Bitmask),
    (13, "flow-label", Kind::Numeric),
];

impl Component {
    /// The component type code.
    pub fn type_code(&self) -> u8 {
        match self {
            Component::DestinationPrefix(_) => 1,
            Component::SourcePrefix(_) => 2,
            Component::Protocol(_) => 3,
            Component::Port(_) => 4,
            Component::DestinationPort(_) => 5,
            Component::SourcePort(_) => 6,
            Component::IcmpType(_) => 7,
            Component::IcmpCode(_) => 8,
            Component::TcpFlags(_) => 9,
            Component::PacketLength(_) => 10,
            Component::Dscp(_) => 11,
            Component::Fragment(_) => 12,
            Component::FlowLabel(_) => 13,
        }
    }

    /// The text keyword (type 3 is `next-header` in IPv6 rules).
    pub fn name(&self, afi: Afi) -> &'static str {
        if let (Component::Protocol(_), Afi::IPV6) = (self, afi) {
            return "next-header";
        }
        let code = self.type_code();
        TYPES.iter().find(|t| t.0 == code).map_or("?", |t| t.1)
    }

    fn body(&self) -> Body<'_> {
        match self {
            Component::DestinationPrefix(p) | Component::SourcePrefix(p) => Body::Prefix(p),
            Component::Protocol(v)
            | Component::Port(v)
            | Component::DestinationPort(v)
            | Component::SourcePort(v)
            | Component::IcmpType(v)
            | Component::IcmpCode(v)
            | Component::PacketLength(v)
            | Component::Dscp(v)
            | Component::FlowLabel(v) => Body::Numeric(v),
            Component::TcpFlags(v) | Component::Fragment(v) => Body::Bitmask(v),
        }
    }

    fn numeric(code: u8, v: Vec<NumericMatch>) -> Option<Self> {
        Some(match code {
            3 => Component::Protocol(v),
            4 => Component::Port(v),
            5 => Component::DestinationPort(v),
            6 => Component::SourcePort(v),
            7 => Component::IcmpType(v),
            8 => Component::IcmpCode(v),
            10 => Component::PacketLength(v),
            11 => Component::Dscp(v),
            13 => Component::FlowLabel(v),
            _ => return None,
        })
    }

    fn bitmask(code: u8, v: Vec<BitmaskMatch>) -> Option<Self> {
        match code {
            9 => Some(Component::TcpFlags(v)),
            12 => Some(Component::Fragment(v)),
            _ => None,
        }
    }

    fn flag_names(&self) -> (FlagNames, FlagNames) {
        match self {
            Component::TcpFlags(_) => (TCP_FLAG_NAMES, TCP_FLAG_ALIASES),
            Component::Fragment(_) => (FRAGMENT_NAMES, FRAGMENT_ALIASES),
            _ => (&[], &[]),
        }
    }

    fn encoded_len(&self) -> usize {
        match self.body() {
            Body::Prefix(p) => p.encoded_len(),
            Body::Numeric(v) => 1 + v.iter().map(|t| 1 + t.op.len.octets()).sum::<usize>(),
            Body::Bitmask(v) => 1 + v.iter().map(|t| 1 + t.op.len.octets()).sum::<usize>(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.type_code());
        match self.body() {
            Body::Prefix(p) => p.encode(out),
            Body::Numeric(v) => {
                for (i, t) in v.iter().enumerate() {
                    out.push(t.op.to_byte(i + 1 == v.len()));
                    t.op.len.write(t.value, out);
                }
            }
            Body::Bitmask(v) => {
                for (i, t) in v.iter().enumerate() {
                    out.push(t.op.to_byte(i + 1 == v.len()));
                    t.op.len.write(t.value, out);
                }
            }
        }
    }

    /// Is this component well formed for a rule of family `afi`?
    fn check(&self, afi: Afi) -> Result<(), String> {
        match self.body() {
            Body::Prefix(p) => {
                if p.is_ipv4() != (afi == Afi::IPV4) {
                    return Err(format!("prefix {p} is not of the rule's family"));
                }
            }
            Body::Numeric(v) => {
                if v.is_empty() {
                    return Err(format!("{} has no terms", self.name(afi)));
                }
                v.iter().try_for_each(NumericMatch::check)?;
            }
            Body::Bitmask(v) => {
                if v.is_empty() {
                    return Err(format!("{} has no terms", self.name(afi)));
                }
                v.iter().try_for_each(BitmaskMatch::check)?;
            }
        }
        if matches!(self, Component::FlowLabel(_)) && afi != Afi::IPV6 {
            return Err("flow-label is defined for IPv6 only (RFC 8956 §3.7)".into());
        }
        Ok(())
    }
}

fn order_error(t: u8, last: u8) -> String {
    format!("component type {t} after type {last}: types must strictly increase (RFC 8955 §4.2)")
}

/// Reads `[numeric_op, value]+` up to the operator with the end-of-list bit.
fn decode_numeric(r: &mut Reader<'_>) -> Result<Vec<NumericMatch>, WireError> {
    let mut v = Vec::new();
    loop {
        let b = r.u8()?;
        let op = NumericOp::from_byte(b);
        let value = op.len.read(r)?;
        v.push(NumericMatch { op, value });
        if b & OP_END != 0 {
            return Ok(v);
        }
    }
}

/// Reads `[bitmask_op, bitmask]+` up to the operator with the end-of-list bit.
fn decode_bitmask(r: &mut Reader<'_>) -> Result<Vec<BitmaskMatch>, WireError> {
    let mut v = Vec::new();
    loop {
        let b = r.u8()?;
        let op = BitmaskOp::from_byte(b);
        let value = op.len.read(r)?;
        v.push(BitmaskMatch { op, value });
        if b & OP_END != 0 {
            return Ok(v);
        }
    }
}

/// One FlowSpec NLRI: a rule of family `afi`, with a Route Distinguisher for
/// VPN FlowSpec. Built by [`FlowSpec::new`], [`FlowSpec::decode`] or
/// [`FromStr`], which all check that it can be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FlowSpec {
    afi: Afi,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    rd: Option<RouteDistinguisher>,
    components: Vec<Component>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    extended_length: bool,
}

impl FlowSpec {
    /// A rule from its parts. Errors unless `afi` is IPv4 or IPv6, there is
    /// at least one component, types strictly increase (RFC 8955 §4.2),
    /// prefixes are of `afi`, every list has a term, values fit their
    /// lengths, and the NLRI fits 4095 octets (RFC 8955 §4.1).
    pub fn new(
        afi: Afi,
        rd: Option<RouteDistinguisher>,
        components: Vec<Component>,
    ) -> Result<Self, WireError> {
        let fs = FlowSpec {
            afi,
            rd,
            components,
            extended_length: false,
        };
        fs.check().map_err(|e| WireError::malformed(WHAT, e))?;
        Ok(fs)
    }

    fn check(&self) -> Result<(), String> {
        if self.afi != Afi::IPV4 && self.afi != Afi::IPV6 {
            return Err(format!("AFI {} is not IPv4 or IPv6", self.afi.0));
        }
        if self.components.is_empty() {
            return Err("a rule needs at least one component".into());
        }
        let mut last = 0u8;
        for c in &self.components {
            if c.type_code() <= last {
                return Err(order_error(c.type_code(), last));
            }
            last = c.type_code();
            c.check(self.afi)?;
        }
        if self.body_len() > MAX_NLRI_LEN {
            return Err(format!(
                "NLRI of {} octets exceeds {MAX_NLRI_LEN}",
                self.body_len()
            ));
        }
        Ok(())
    }

    pub fn afi(&self) -> Afi {
        self.afi
    }
    /// The Route Distinguisher of a VPN FlowSpec rule.
    pub fn rd(&self) -> Option<RouteDistinguisher> {
        self.rd
    }
    pub fn is_vpn(&self) -> bool {
        self.rd.is_some()
    }
    pub fn components(&self) -> &[Component] {
        &self.components
    }
    pub fn into_components(self) -> Vec<Component> {
        self.components
    }
    /// The component of type `code`, if present.
    pub fn component(&self, code: u8) -> Option<&Component> {
        self.components.iter().find(|c| c.type_code() == code)
    }
    /// Was (will be) the length written in 2 octets though below 240?
    pub fn extended_length(&self) -> bool {
        self.extended_length
    }
    /// Write the length in 2 octets even when below 240. Lengths from 240
    /// on always use 2 octets, so the flag is kept only below 240.
    pub fn set_extended_length(&mut self, on: bool) {
        self.extended_length = on && self.body_len() < EXTENDED_FROM;
    }

    /// Octets after the length field: RD and components.
    fn body_len(&self) -> usize {
        let rd = if self.rd.is_some() { 8 } else { 0 };
        rd + self
            .components
            .iter()
            .map(Component::encoded_len)
            .sum::<usize>()
    }

    /// Octets of the whole NLRI, length field included.
    pub fn encoded_len(&self) -> usize {
        let n = self.body_len();
        n + if n >= EXTENDED_FROM || self.extended_length {
            2
        } else {
            1
        }
    }

    /// Reads exactly one FlowSpec NLRI (the 1- or 2-octet length prefix, RFC
    /// 8955 §4.1: 0xfnnn form when >= 240) from r.
    pub fn decode(r: &mut Reader<'_>, afi: Afi, vpn: bool) -> Result<Self, WireError> {
        if afi != Afi::IPV4 && afi != Afi::IPV6 {
            return Err(WireError::invalid("FlowSpec AFI", afi.0));
        }
        let first = r.u8()?;
        let (len, extended) = if first >= 0xf0 {
            let len = usize::from(u16::from_be_bytes([first & 0x0f, r.u8()?]));
            (len, len < EXTENDED_FROM)
        } else {
            (usize::from(first), false)
        };
        let body = r.take(len)?;
        let mut b = Reader::new(body, WHAT);
        let rd = if vpn {
            Some(RouteDistinguisher::decode(&mut b)?)
        } else {
            None
        };
        if b.is_empty() {
            return Err(WireError::BadLength { what: WHAT, len });
        }
        let mut components = Vec::new();
        let mut last = 0u8;
        while !b.is_empty() {
            let t = b.u8()?;
            // RFC 8955 §4.2: components MUST be in strictly increasing type
            // order; anything else is malformed.
            if t <= last {
                return Err(WireError::malformed(WHAT, order_error(t, last)));
            }
            last = t;
            let c = match t {
                1 => Component::DestinationPrefix(FlowPrefix::decode(&mut b, afi)?),
                2 => Component::SourcePrefix(FlowPrefix::decode(&mut b, afi)?),
                3 => Component::Protocol(decode_numeric(&mut b)?),
                4 => Component::Port(decode_numeric(&mut b)?),
                5 => Component::DestinationPort(decode_numeric(&mut b)?),
                6 => Component::SourcePort(decode_numeric(&mut b)?),
                7 => Component::IcmpType(decode_numeric(&mut b)?),
                8 => Component::IcmpCode(decode_numeric(&mut b)?),
                9 => Component::TcpFlags(decode_bitmask(&mut b)?),
                10 => Component::PacketLength(decode_numeric(&mut b)?),
                11 => Component::Dscp(decode_numeric(&mut b)?),
                12 => Component::Fragment(decode_bitmask(&mut b)?),
                // RFC 8956 §3.7: flow label exists only in IPv6 rules.
                13 if afi == Afi::IPV6 => Component::FlowLabel(decode_numeric(&mut b)?),
                // An unknown type has no known length, so the rest of the
                // NLRI cannot be parsed: malformed (RFC 8955 §4.2).
                _ => return Err(WireError::invalid("FlowSpec component type", t)),
            };
            components.push(c);
        }
        Ok(FlowSpec {
            afi,
            rd,
            components,
            extended_length: extended,
        })
    }

    /// Writes it back byte for byte.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let n = self.body_len();
        out.reserve(n + 2);
        if n >= EXTENDED_FROM || self.extended_length {
            // new() and decode() keep n <= 0xfff, so this is 0xfnnn.
            let v = 0xf000 | (n as u16 & 0x0fff);
            out.extend_from_slice(&v.to_be_bytes());
        } else {
            // n < 240 here.
            out.push(n as u8);
        }
        if let Some(rd) = &self.rd {
            rd.encode(out);
        }
        for c in &self.components {
            c.encode(out);
        }
    }
}

fn fmt_value_suffix(
    f: &mut fmt::Formatter<'_>,
    len: ValueLen,
    value: u64,
    reserved: u8,
) -> fmt::Result {
    if len != ValueLen::minimal(value) {
        write!(f, ":{}", len.octets())?;
    }
    if reserved != 0 {
        write!(f, "^{reserved:#04x}")?;
    }
    Ok(())
}

fn fmt_numeric(f: &mut fmt::Formatter<'_>, v: &[NumericMatch]) -> fmt::Result {
    for (i, t) in v.iter().enumerate() {
        if t.op.and {
            f.write_str("&")?;
        } else if i > 0 {
            f.write_str("|")?;
        }
        write!(f, "{}{}", t.op.symbol(), t.value)?;
        fmt_value_suffix(f, t.op.len, t.value, t.op.reserved)?;
    }
    Ok(())
}

fn fmt_flags(f: &mut fmt::Formatter<'_>, value: u64, names: &[(u64, &str)]) -> fmt::Result {
    if value == 0 {
        return f.write_str("0");
    }
    let mut rest = value;
    let mut first = true;
    for &(bit, name) in names {
        if value & bit != 0 {
            if !first {
                f.write_str("+")?;
            }
            f.write_str(name)?;
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            f.write_str("+")?;
        }
        write!(f, "{rest:#x}")?;
    }
    Ok(())
}

fn fmt_bitmask(
    f: &mut fmt::Formatter<'_>,
    v: &[BitmaskMatch],
    names: &[(u64, &str)],
) -> fmt::Result {
    for (i, t) in v.iter().enumerate() {
        if t.op.and {
            f.write_str("&")?;
        } else if i > 0 {
            f.write_str("|")?;
        }
        if t.op.not {
            f.write_str("!")?;
        }
        if t.op.match_all {
            f.write_str("=")?;
        }
        fmt_flags(f, t.value, names)?;
        fmt_value_suffix(f, t.op.len, t.value, t.op.reserved)?;
    }
    Ok(())
}

impl fmt::Display for FlowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let has_prefix = self
            .components
            .iter()
            .any(|c| matches!(c.body(), Body::Prefix(_)));
        // The family is read back from the prefixes; say it only when there
        // are none and it is not the default.
        if self.afi == Afi::IPV6 && !has_prefix {
            f.write_str("ipv6")?;
            sep = " ";
        }
        if self.extended_length {
            write!(f, "{sep}extended-length")?;
            sep = " ";
        }
        if let Some(rd) = &self.rd {
            write!(f, "{sep}rd {rd}")?;
            sep = " ";
        }
        for c in &self.components {
            write!(f, "{sep}{} ", c.name(self.afi))?;
            sep = " ";
            match c.body() {
                Body::Prefix(p) => p.fmt(f)?,
                Body::Numeric(v) => fmt_numeric(f, v)?,
                Body::Bitmask(v) => fmt_bitmask(f, v, c.flag_names().0)?,
            }
        }
        Ok(())
    }
}

/// A number in decimal or `0x` hex.
fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

fn parse_u8(s: &str) -> Option<u8> {
    parse_u64(s).and_then(|v| u8::try_from(v).ok())
}

/// Splits a term list into (AND bit, term) pairs at `&` and `|`.
fn split_terms(s: &str) -> Result<Vec<(bool, &str)>, String> {
    let mut out = Vec::new();
    let mut and = false;
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        if ch == '&' || ch == '|' {
            if i == 0 && ch == '&' {
                and = true;
            } else {
                let term = s.get(start..i).unwrap_or("");
                if term.is_empty() {
                    return Err(format!("empty term in {s:?}"));
                }
                out.push((and, term));
                and = ch == '&';
            }
            start = i + 1;
        }
    }
    let term = s.get(start..).unwrap_or("");
    if term.is_empty() {
        return Err(format!("empty term in {s:?}"));
    }
    out.push((and, term));
    Ok(out)
}

/// Splits `BODY[:LEN][^BITS]` into body, optional length, reserved bits.
fn split_suffixes(t: &str) -> Result<(&str, Option<ValueLen>, u8), String> {
    let (t, reserved) = match t.split_once('^') {
        Some((a, r)) => (
            a,
            parse_u8(r).ok_or_else(|| format!("bad reserved bits {r:?}"))?,
        ),
        None => (t, 0),
    };
    let (t, len) = match t.split_once(':') {
        Some((a, l)) => {
            let n = parse_u64(l)
                .and_then(|n| usize::try_from(n).ok())
                .and_then(ValueLen::from_octets)
                .ok_or_else(|| format!("value length {l:?} is not 1, 2, 4 or 8"))?;
            (a, Some(n))
        }
        None => (t, None),
    };
    Ok((t, len, reserved))
}

fn value_len(value: u64, len: Option<ValueLen>) -> Result<ValueLen, String> {
    match len {
        None => Ok(ValueLen::minimal(value)),
        Some(l) if value <= l.max_value() => Ok(l),
        Some(l) => Err(format!("{value} does not fit {} octets", l.octets())),
    }
}

fn parse_numeric(s: &str) -> Result<Vec<NumericMatch>, String> {
    const OPS: &[(&str, NumericOp)] = &[
        ("true", NumericOp::TRUE),
        ("false", NumericOp::FALSE),
        (">=", NumericOp::GE),
        ("<=", NumericOp::LE),
        ("!=", NumericOp::NE),
        ("==", NumericOp::EQ),
        ("=", NumericOp::EQ),
        (">", NumericOp::GT),
        ("<", NumericOp::LT),
    ];
    split_terms(s)?
        .into_iter()
        .map(|(and, t)| {
            let (body, len, reserved) = split_suffixes(t)?;
            let (op, num) = OPS
                .iter()
                .find_map(|(sym, op)| body.strip_prefix(sym).map(|rest| (*op, rest)))
                .ok_or_else(|| {
                    format!("term {t:?} needs an operator: = > >= < <= != true false")
                })?;
            let value = parse_u64(num).ok_or_else(|| format!("bad number {num:?} in {t:?}"))?;
            let m = NumericMatch {
                op: NumericOp {
                    and,
                    len: value_len(value, len)?,
                    reserved,
                    ..op
                },
                value,
            };
            m.check()?;
            Ok(m)
        })
        .collect()
}

fn parse_flags(s: &str, names: &[(u64, &str)], aliases: &[(u64, &str)]) -> Result<u64, String> {
    let mut v = 0u64;
    for flag in s.split('+') {
        let bit = names
            .iter()
            .chain(aliases)
            .find(|(_, n)| n.eq_ignore_ascii_case(flag))
            .map(|(b, _)| *b)
            .or_else(|| parse_u64(flag))
            .ok_or_else(|| format!("unknown flag {flag:?}"))?;
        v |= bit;
    }
    Ok(v)
}

fn parse_bitmask(
    s: &str,
    names: &[(u64, &str)],
    aliases: &[(u64, &str)],
) -> Result<Vec<BitmaskMatch>, String> {
    split_terms(s)?
        .into_iter()
        .map(|(and, t)| {
            let (body, len, reserved) = split_suffixes(t)?;
            let (not, body) = match body.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, body),
            };
            let (match_all, body) = match body.strip_prefix('=') {
                Some(b) => (true, b),
                None => (false, body),
            };
            let value = parse_flags(body, names, aliases)?;
            let m = BitmaskMatch {
                op: BitmaskOp {
                    and,
                    not,
                    match_all,
                    len: value_len(value, len)?,
                    reserved,
                },
                value,
            };
            m.check()?;
            Ok(m)
        })
        .collect()
}

/// Parses `ADDR/LEN` and the `offset N` / `padding N` words after it.
fn parse_prefix<'a, I>(tok: &str, rest: &mut std::iter::Peekable<I>) -> Result<FlowPrefix, String>
where
    I: Iterator<Item = &'a str>,
{
    let (a, l) = tok
        .split_once('/')
        .ok_or_else(|| format!("expected ADDRESS/LENGTH, got {tok:?}"))?;
    let addr: IpAddr = a.parse().map_err(|_| format!("bad address {a:?}"))?;
    let len = parse_u8(l).ok_or_else(|| format!("bad prefix length {l:?}"))?;
    let mut offset = None;
    let mut padding = None;
    while let Some(&word) = rest.peek() {
        let slot = match word {
            "offset" => &mut offset,
            "padding" => &mut padding,
            _ => break,
        };
        rest.next();
        if slot.is_some() {
            return Err(format!("{word} given twice"));
        }
        let n = rest
            .next()
            .and_then(parse_u8)
            .ok_or_else(|| format!("{word} needs a number"))?;
        *slot = Some(n);
    }
    let offset = offset.unwrap_or(0);
    let p = FlowPrefix::new(addr, len, offset).ok_or_else(|| {
        format!(
            "bad prefix {tok} offset {offset}: length over the address, or offset not below length"
        )
    })?;
    p.with_padding(padding.unwrap_or(0))
        .ok_or_else(|| format!("padding does not fit the {} pad bits", p.padding_bits()))
}

impl FromStr for FlowSpec {
    type Err = ParseError;

    /// Parses what [`fmt::Display`] prints. Components may come in any
    /// order (they are sorted), but each type at most once.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let err = |why: String| ParseError::new(WHAT_TEXT, s, why);
        let mut afi: Option<Afi> = None;
        let mut extended = false;
        let mut rd: Option<RouteDistinguisher> = None;
        let mut components: Vec<Component> = Vec::new();
        let mut toks = s.split_whitespace().peekable();
        while let Some(tok) = toks.next() {
            match tok {
                "ipv4" | "ipv6" => {
                    if afi.is_some() {
                        return Err(err("family given twice".into()));
                    }
                    afi = Some(if tok == "ipv4" { Afi::IPV4 } else { Afi::IPV6 });
                }
                "extended-length" => extended = true,
                "rd" => {
                    if rd.is_some() {
                        return Err(err("rd given twice".into()));
                    }
                    let v = toks.next().ok_or_else(|| err("rd needs a value".into()))?;
                    rd = Some(v.parse().map_err(|e: ParseError| err(e.reason))?);
                }
                _ => {
                    let name = if tok == "next-header" {
                        "protocol"
                    } else {
                        tok
                    };
                    let &(code, _, kind) = TYPES
                        .iter()
                        .find(|t| t.1 == name)
                        .ok_or_else(|| err(format!("unknown keyword {tok:?}")))?;
                    let arg = toks
                        .next()
                        .ok_or_else(|| err(format!("{tok} needs a value")))?;
                    let c = match kind {
                        Kind::Prefix => {
                            let p = parse_prefix(arg, &mut toks).map_err(err)?;
                            if code == 1 {
                                Component::DestinationPrefix(p)
                            } else {
                                Component::SourcePrefix(p)
                            }
                        }
                        Kind::Numeric => {
                            let v = parse_numeric(arg).map_err(err)?;
                            Component::numeric(code, v)
                                .ok_or_else(|| err(format!("{tok} is not numeric")))?
                        }
                        Kind::Bitmask => {
                            let (names, aliases) = if code == 9 {
                                (TCP_FLAG_NAMES, TCP_FLAG_ALIASES)
                            } else {
                                (FRAGMENT_NAMES, FRAGMENT_ALIASES)
                            };
                            let v = parse_bitmask(arg, names, aliases).map_err(err)?;
                            Component::bitmask(code, v)
                                .ok_or_else(|| err(format!("{tok} is not a bitmask")))?
                        }
                    };
                    components.push(c);
                }
            }
        }
        // The family: as stated, else from the prefixes, else IPv4.
        let prefix_v4 = components.iter().find_map(|c| match c.body() {
            Body::Prefix(p) => Some(p.is_ipv4()),
            _ => None,
        });
        let afi = match (afi, prefix_v4) {
            (Some(a), _) => a,
            (None, Some(false)) => Afi::IPV6,
            (None, _) => Afi::IPV4,
        };
        components.sort_by_key(Component::type_code);
        if let Some(w) = components
            .windows(2)
            .find(|w| w.first().map(Component::type_code) == w.get(1).map(Component::type_code))
        {
            let name = w.first().map_or("?", |c| c.name(afi));
            return Err(err(format!("{name} given twice")));
        }
        let mut fs = FlowSpec {
            afi,
            rd,
            components,
            extended_length: false,
        };
        fs.check().map_err(err)?;
        fs.set_extended_length(extended);
        Ok(fs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', ':'], "")).unwrap()
    }

    /// Decodes one NLRI that must fill `bytes`.
    fn dec(bytes: &[u8], afi: Afi, vpn: bool) -> Result<FlowSpec, WireError> {
        let mut r = Reader::new(bytes, "test");
        let fs = FlowSpec::decode(&mut r, afi, vpn)?;
        r.finish()?;
        Ok(fs)
    }

    fn enc(fs: &FlowSpec) -> Vec<u8> {
        let mut out = Vec::new();
        fs.encode(&mut out);
        assert_eq!(out.len(), fs.encoded_len());
        out
    }

    /// Decodes, checks the text, and checks that bytes and text both
    /// round-trip exactly.
    fn check(bytes: &[u8], afi: Afi, vpn: bool, text: &str) -> FlowSpec {
        let fs = dec(bytes, afi, vpn).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(fs.to_string(), text);
        assert_eq!(enc(&fs), bytes, "{text}");
        let back: FlowSpec = text.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, fs);
        assert_eq!(enc(&back), bytes);
        fs
    }

    /// Walks a whole BGP UPDATE (marker first) to MP_REACH_NLRI (RFC 4760
    /// attribute 14) and returns its AFI, SAFI and NLRI field.
    fn mp_reach_nlri(msg: &[u8]) -> (u16, u8, Vec<u8>) {
        assert_eq!(&msg[..16], &[0xff; 16]);
        assert_eq!(msg[18], 2, "not an UPDATE");
        let mut i = 19;
        let withdrawn = usize::from(u16::from_be_bytes([msg[i], msg[i + 1]]));
        i += 2 + withdrawn;
        let attrs = usize::from(u16::from_be_bytes([msg[i], msg[i + 1]]));
        i += 2;
        let end = i + attrs;
        while i < end {
            let (flags, code) = (msg[i], msg[i + 1]);
            i += 2;
            let len = if flags & 0x10 != 0 {
                i += 2;
                usize::from(u16::from_be_bytes([msg[i - 2], msg[i - 1]]))
            } else {
                i += 1;
                usize::from(msg[i - 1])
            };
            let v = &msg[i..i + len];
            i += len;
            if code == 14 {
                let afi = u16::from_be_bytes([v[0], v[1]]);
                let nh = usize::from(v[3]);
                // AFI, SAFI, next hop length, next hop, reserved octet.
                return (afi, v[2], v[4 + nh + 1..].to_vec());
            }
        }
        panic!("no MP_REACH_NLRI");
    }

    // ---- RFC examples -------------------------------------------------

    #[test]
    fn rfc8955_example_1() {
        // RFC 8955's first encoding example: packets to 192.0.2.0/24 and
        // TCP port 25.
        check(
            &h("0b 01 18 c0 00 02 03 81 06 04 81 19"),
            Afi::IPV4,
            false,
            "destination 192.0.2.0/24 protocol =6 port =25",
        );
    }

    #[test]
    fn rfc8955_example_2() {
        // RFC 8955's second encoding example: to 192.0.2.0/24 from
        // 203.0.113.0/24,
        // port in [137, 139] or 8080 (a 2-octet value with the end bit).
        let fs = check(
            &h("12 01 18 c0 00 02 02 18 cb 00 71 04 03 89 45 8b 91 1f 90"),
            Afi::IPV4,
            false,
            "destination 192.0.2.0/24 source 203.0.113.0/24 port >=137&<=139|=8080",
        );
        let Some(Component::Port(terms)) = fs.component(4) else {
            panic!("no port");
        };
        assert_eq!(
            terms,
            &[
                NumericMatch::new(NumericOp::GE, 137),
                NumericMatch::new(NumericOp::LE, 139).and(),
                NumericMatch::new(NumericOp::EQ, 8080),
            ]
        );
        assert_eq!(terms[2].op.len, ValueLen::Two);
    }

    #[test]
    fn rfc8955_fragment_bitmask() {
        // In the style of RFC 8955's third example: to 192.0.2.1/32 and
        // fragment DF or FF (one "any bit" bitmask 0x05).
        check(
            &h("09 01 20 c0 00 02 01 0c 80 05"),
            Afi::IPV4,
            false,
            "destination 192.0.2.1/32 fragment dont-fragment+first-fragment",
        );
    }

    #[test]
    fn rfc8956_prefix_offset_is_bit_aligned() {
        // RFC 8956 §3.1: the pattern holds bits offset..length, starting at
        // the first pattern octet. Vector from BIRD's fix for §3.8.2:
        // ::1:1234:5678:9800:0 bits 60..104 encode as 11 23 45 67 89 80.
        let fs = check(
            &h("09 02 68 3c 11 23 45 67 89 80"),
            Afi::IPV6,
            false,
            "source ::1:1234:5678:9800:0/104 offset 60",
        );
        let Some(Component::SourcePrefix(p)) = fs.component(2) else {
            panic!("no source");
        };
        assert_eq!((p.len(), p.offset(), p.padding()), (104, 60, 0));
        assert_eq!(p.prefix(), None);
        // Building it from text clears bits below the offset.
        let built: FlowSpec = "source 2001:db8:0:1:1234:5678:9800:0/104 offset 60"
            .parse()
            .unwrap();
        assert_eq!(built, fs);
    }

    #[test]
    fn ipv6_components_and_flow_label() {
        // Destination /0 (offset 0, no pattern), next header, flow label
        // with a 4-octet value (RFC 8956 §3.7), ICMPv6 type.
        check(
            &h("0f 01 00 00 03 81 3a 07 81 80 0d a1 00 01 23 45"),
            Afi::IPV6,
            false,
            "destination ::/0 next-header =58 icmp-type =128 flow-label =74565",
        );
        // Without a prefix the family has to be written.
        check(&h("03 0d 81 05"), Afi::IPV6, false, "ipv6 flow-label =5");
    }

    // ---- Real messages ------------------------------------------------

    /// ExaBGP's view of one component: its JSON key and value strings.
    fn exabgp_view(fs: &FlowSpec) -> BTreeMap<String, Vec<String>> {
        let v6 = fs.afi() == Afi::IPV6;
        let fam = if v6 { "ipv6" } else { "ipv4" };
        let mut out = BTreeMap::new();
        for c in fs.components() {
            let (key, values) = match c {
                Component::DestinationPrefix(p) | Component::SourcePrefix(p) => {
                    let dir = if c.type_code() == 1 {
                        "destination"
                    } else {
                        "source"
                    };
                    let v = if v6 {
                        format!("{}/{}/{}", p.addr(), p.len(), p.offset())
                    } else {
                        format!("{}/{}", p.addr(), p.len())
                    };
                    (format!("{dir}-{fam}"), vec![v])
                }
                _ => {
                    // Our term list is ExaBGP's list joined with '|'.
                    let text = FlowSpec::new(fs.afi(), None, vec![c.clone()])
                        .unwrap()
                        .to_string();
                    let terms = text.rsplit(' ').next().unwrap();
                    let values = terms
                        .split('|')
                        .map(|t| match c {
                            // ExaBGP names protocols.
                            Component::Protocol(_) => {
                                t.replace("=6", "=tcp").replace("=17", "=udp")
                            }
                            _ => t.to_string(),
                        })
                        .collect();
                    (c.name(fs.afi()).to_string(), values)
                }
            };
            out.insert(key, values);
        }
        out
    }

    /// ExaBGP JSON keys and their value lists.
    type Expected = &'static [(&'static str, &'static [&'static str])];

    /// ExaBGP qa/decoding/bgp-flow-{1..5}: the UPDATE (line 2) and what
    /// ExaBGP's JSON (line 3) lists for the rule.
    const EXABGP: &[(&str, &str, Expected)] = &[
        (
            "bgp-flow-1",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0056:02:0000003F4001010040020040050400000064800E2E0002850000280180002A0229B8192500000000000000002E69024000BEEFF00E000000000381060C000400028008",
            &[
                ("destination-ipv6", &["2a02:29b8:1925::2e69/128/0"]),
                ("source-ipv6", &["beef:f00e::/64/0"]),
                ("next-header", &["=tcp"]),
                ("fragment", &["first-fragment", "is-fragment", "last-fragment"]),
            ],
        ),
        (
            "bgp-flow-2",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003E:02:000000274001010040020040050400000064C010088006000000000000800E0B0001850000050901048109",
            &[("tcp-flags", &["=rst", "=fin+push"])],
        ),
        (
            "bgp-flow-3",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0042:02:0000002B4001010040020040050400000064C010088006000000000000800E0F00018500000909001000804201C240",
            &[("tcp-flags", &["ack", "cwr&!fin&!ece"])],
        ),
        (
            "bgp-flow-4",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003E:02:000000274001010040020040050400000064C010088006000000000000800E0B000185000005090090C241",
            &[("tcp-flags", &["ack+cwr&!fin+ece"])],
        ),
        (
            "bgp-flow-5",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003E:02:000000274001010040020040050400000064C01008800C000000000000800E0B0001850000050901048109",
            &[("tcp-flags", &["=rst", "=fin+push"])],
        ),
    ];

    fn decode_update_flow(msg: &[u8]) -> (FlowSpec, Vec<u8>) {
        let (afi, safi, nlri) = mp_reach_nlri(msg);
        assert!(safi == 133 || safi == 134, "SAFI {safi}");
        let fs = dec(&nlri, Afi(afi), safi == 134).unwrap();
        assert_eq!(enc(&fs), nlri, "re-encoding is not byte-exact");
        let back: FlowSpec = fs.to_string().parse().unwrap();
        assert_eq!(back, fs);
        (fs, nlri)
    }

    #[test]
    fn exabgp_messages() {
        for (name, msg, want) in EXABGP {
            let (fs, _) = decode_update_flow(&h(msg));
            let want: BTreeMap<String, Vec<String>> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect();
            assert_eq!(exabgp_view(&fs), want, "{name}: {fs}");
        }
    }

    /// The same against the fixture files themselves (JSON included), when
    /// the shared data directory is there.
    #[test]
    fn exabgp_fixture_files() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/exabgp/qa/decoding"
        );
        for (name, _, _) in EXABGP {
            let Ok(text) = std::fs::read_to_string(format!("{dir}/{name}")) else {
                eprintln!("skipping {name}: fixture not found");
                continue;
            };
            let lines: Vec<&str> = text.lines().collect();
            let (fs, _) = decode_update_flow(&h(lines[1]));
            let json: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
            let announce = &json["neighbor"]["message"]["update"]["announce"];
            let family = if fs.afi() == Afi::IPV6 {
                "ipv6 flow"
            } else {
                "ipv4 flow"
            };
            let rule = announce[family]["no-nexthop"][0].as_object().unwrap();
            let want: BTreeMap<String, Vec<String>> = rule
                .iter()
                .filter(|(k, _)| k.as_str() != "string")
                .map(|(k, v)| {
                    let vals = v.as_array().unwrap();
                    let vals = vals.iter().map(|s| s.as_str().unwrap().to_string());
                    (k.clone(), vals.collect())
                })
                .collect();
            assert_eq!(exabgp_view(&fs), want, "{name}: {fs}");
        }
    }

    // ryu tests/packet_data/bgp4/flowspec_nlri_*.pcap: the BGP UPDATE of
    // each capture (from its marker on).
    const RYU_IPV4: &str = "ffffffffffffffffffffffffffffffff00a702000000904001010240020602010000fdea800e5d00018500005701180a000002181400000301010102010601090111012e01840108012f0159015e8167040150131f90d522b805111f90132328d523820611238213238cc5c807810008810609001280010a81640b011681180c00018004c010208006000042c800008008000a0000006480070000000000038009000000000018";
    const RYU_VPN4: &str = "ffffffffffffffffffffffffffffffff00b702000000a04001010240020602010000fdea800e6500018600005f0000fde9000000fa01181e000002182800000301010102010601090111012e01840108012f0159015e8167040150131f90d522b805111f90132328d523820611238213238cc5c807810008810609001280010a81640b011681180c00018004c010280002fde9000000fa8006000042c800008008000a0000006480070000000000038009000000000018";
    const RYU_IPV6: &str = "ffffffffffffffffffffffffffffffff009e02000000874001010240020602010000fde9800e5400028500004e0180202001000000000000000000000000000202800030020000000000000000000000000003038106048150059407d006920bb807810608810009431283200a9103e80b011681180c80020d8164c010208008000a0000000a8006000042c8000080090000000000648007000000000003";
    const RYU_VPN6: &str = "ffffffffffffffffffffffffffffffff00a702000000904001010240020040050400000064800e5c0002860000560000fde9000000010180202001000000000000000000000000000202800030020000000000000000000000000003038106048150059407d006920bb807810608810009431283200a9103e80b011681180c80020d8164c010200002000a0000000a8006000042c8000080090000000000648007000000000003";

    const RYU_V4_RULE: &str = "protocol =1|=2|=6|=9|=17|=46|=132|=8|=47|=89|=94|=103 \
        port =80|>=8080&<=8888 destination-port =8080|>=9000&<=9090 \
        source-port =9090|>=9100&<=200 icmp-type =0 icmp-code =6 tcp-flags syn+ack|fin \
        packet-length =100 dscp =22|=24 fragment dont-fragment|first-fragment";

    #[test]
    fn ryu_ipv4_and_vpn4() {
        let (fs, _) = decode_update_flow(&h(RYU_IPV4));
        assert_eq!(
            fs.to_string(),
            format!("destination 10.0.0.0/24 source 20.0.0.0/24 {RYU_V4_RULE}")
        );
        let (fs, _) = decode_update_flow(&h(RYU_VPN4));
        assert_eq!(fs.rd(), Some(RouteDistinguisher::as2(65001, 250)));
        assert_eq!(
            fs.to_string(),
            format!("rd 65001:250 destination 30.0.0.0/24 source 40.0.0.0/24 {RYU_V4_RULE}")
        );
    }

    #[test]
    fn ryu_ipv6_and_vpn6() {
        // ryu writes an IPv6 prefix with offset as ceil(length / 8) octets
        // of the whole address, as drafts before RFC 8956 did; RFC 8956
        // §3.1 sends only bits offset..length. Its destination
        // 2001::2/128 offset 32 is therefore 4 octets too long, and what
        // follows reads as a component of type 0: malformed.
        for (msg, vpn) in [(RYU_IPV6, false), (RYU_VPN6, true)] {
            let (afi, _, nlri) = mp_reach_nlri(&h(msg));
            assert_eq!(afi, 2);
            let err = dec(&nlri, Afi::IPV6, vpn).unwrap_err();
            assert!(err.to_string().contains("type 0 after type 1"), "{err}");

            // Re-encoded the RFC 8956 way (drop the 4 octets before the
            // offset), the rest of ryu's rule decodes.
            let rd_len = if vpn { 8 } else { 0 };
            let head = 1 + rd_len;
            let dst = head + 3; // type, length, offset
            let mut fixed = nlri[1..head].to_vec();
            fixed.extend_from_slice(&nlri[head..dst]);
            fixed.extend_from_slice(&nlri[dst + 4..]);
            fixed.insert(0, u8::try_from(fixed.len()).unwrap());
            let fs = dec(&fixed, Afi::IPV6, vpn).unwrap();
            assert_eq!(enc(&fs), fixed);
            let rd = if vpn { "rd 65001:1 " } else { "" };
            assert_eq!(
                fs.to_string(),
                format!(
                    "{rd}destination ::2/128 offset 32 source 3002::3/128 next-header =6 \
                     port =80 destination-port <2000 source-port >3000 icmp-type =6 \
                     icmp-code =0 tcp-flags &!=syn+ack|!=urgent packet-length =1000 \
                     dscp =22|=24 fragment is-fragment flow-label =100"
                )
            );
        }
    }

    #[test]
    fn through_nlri_dispatch() {
        use crate::afi::AfiSafi;
        let (_, _, nlri) = mp_reach_nlri(&h(RYU_VPN4));
        let mut two = nlri.clone();
        two.extend_from_slice(&nlri);
        let list = super::super::decode_list(&two, AfiSafi::IPV4_FLOWSPEC_VPN, false, "t").unwrap();
        assert_eq!(list.len(), 2);
        let mut out = Vec::new();
        for e in &list {
            e.encode(&mut out);
        }
        assert_eq!(out, two);
        // Reading one NLRI leaves the next one in the reader.
        let mut r = Reader::new(&two, "t");
        FlowSpec::decode(&mut r, Afi::IPV4, true).unwrap();
        assert_eq!(r.remaining(), nlri.len());
    }

    // ---- Exactness: everything the sender chose is kept ---------------

    #[test]
    fn keeps_odd_but_valid_encodings() {
        // Non-minimal value length, reserved operator bit, AND bit on the
        // first term, the true/false comparisons.
        check(
            &h("0c 03 91 00 06 04 43 89 c7 00 0b 80 2e"),
            Afi::IPV4,
            false,
            "protocol =6:2 port &>=137&true0 dscp false46",
        );
        check(&h("03 03 89 06"), Afi::IPV4, false, "protocol =6^0x08");
        // Bitmask: reserved bits, 2-octet value with an unnamed bit, NOT and
        // MATCH.
        check(
            &h("08 09 0f 02 51 01 10 83 00"),
            Afi::IPV4,
            false,
            "tcp-flags !=syn^0x0c&=ack+0x100|!=0",
        );
        // Non-zero padding after the prefix (RFC 4271 "irrelevant" trailing
        // bits; RFC 8956 §3.1 "MUST be ignored").
        check(
            &h("05 01 17 c0 00 03"),
            Afi::IPV4,
            false,
            "destination 192.0.2.0/23 padding 1",
        );
        check(
            &h("05 01 0c 00 00 0f"),
            Afi::IPV6,
            false,
            "destination ::/12 padding 15",
        );
    }

    #[test]
    fn extended_length_forms() {
        // RFC 8955 §4.1: a 2-octet length is allowed below 240 and kept.
        let fs = check(
            &h("f0 0b 01 18 c0 00 02 03 81 06 04 81 19"),
            Afi::IPV4,
            false,
            "extended-length destination 192.0.2.0/24 protocol =6 port =25",
        );
        assert!(fs.extended_length());
        // 240 octets and more need it: 0xf0f0 for 240 (RFC 8955 §4.1).
        let mut terms: Vec<NumericMatch> = (0..118)
            .map(|i| NumericMatch::new(NumericOp::EQ, 1000 + i))
            .collect();
        terms.push(NumericMatch::new(NumericOp::EQ, 1));
        let fs = FlowSpec::new(Afi::IPV4, None, vec![Component::Port(terms)]).unwrap();
        let bytes = enc(&fs);
        assert_eq!(&bytes[..2], &[0xf1, 0x65]); // 1 + 118 * 3 + 2 = 357
        assert_eq!(bytes.len(), 2 + 357);
        assert_eq!(dec(&bytes, Afi::IPV4, false).unwrap(), fs);
        let mut same = fs.clone();
        same.set_extended_length(true); // no-op at this size
        assert_eq!(same, fs);
        // Exactly 240.
        let terms: Vec<NumericMatch> = (0..79)
            .map(|i| NumericMatch::new(NumericOp::EQ, 1000 + i))
            .chain([NumericMatch::new(NumericOp::EQ, 1)])
            .collect();
        let fs = FlowSpec::new(Afi::IPV4, None, vec![Component::Port(terms)]).unwrap();
        assert_eq!(&enc(&fs)[..2], &[0xf0, 0xf0]);
        // Over 4095 octets cannot be written.
        let terms: Vec<NumericMatch> = (0..1400)
            .map(|i| NumericMatch::new(NumericOp::EQ, 1000 + i))
            .collect();
        assert!(FlowSpec::new(Afi::IPV4, None, vec![Component::Port(terms)]).is_err());
    }

    // ---- Malformed input ----------------------------------------------

    #[test]
    fn rejects_malformed() {
        let v4 = Afi::IPV4;
        let v6 = Afi::IPV6;
        let cases: &[(&str, Afi, bool, &str)] = &[
            ("", v4, false, "empty input"),
            ("f0", v4, false, "truncated 2-octet length"),
            (
                "0b 01 18 c0 00 02 03 81 06 04 81",
                v4,
                false,
                "truncated body",
            ),
            ("00", v4, false, "zero length"),
            ("f0 00", v4, false, "zero 2-octet length"),
            ("08 00 00 fd e9 00 00 00 01", v4, true, "VPN: RD only"),
            ("05 00 00 fd e9", v4, true, "VPN: truncated RD"),
            (
                "0a 02 18 cb 00 71 01 18 c0 00 02",
                v4,
                false,
                "out of order",
            ),
            ("06 03 81 06 03 81 11", v4, false, "type repeated"),
            ("03 0e 81 06", v4, false, "unknown type 14"),
            ("03 00 81 06", v4, false, "type 0"),
            ("03 0d 81 05", v4, false, "flow label in IPv4"),
            ("03 0e 81 05", v6, false, "unknown type 14 in IPv6"),
            ("07 01 21 0a 00 00 00 00", v4, false, "IPv4 prefix /33"),
            ("03 01 81 00", v6, false, "IPv6 prefix /129"),
            ("05 01 30 40 12 34", v6, false, "offset above length"),
            ("04 01 40 40 00", v6, false, "offset equal to length"),
            ("03 01 00 01", v6, false, "offset with length 0"),
            ("04 01 18 c0 00", v4, false, "prefix octets missing"),
            (
                "04 04 b1 00 50",
                v4,
                false,
                "value length bits: 8 octets, 2 left",
            ),
            (
                "03 04 a1 00",
                v4,
                false,
                "value length bits: 4 octets, 1 left",
            ),
            ("03 04 01 50", v4, false, "no end-of-list bit"),
            ("01 04", v4, false, "no operator"),
            ("04 09 00 02 81", v4, false, "bitmask list cut"),
        ];
        for (bytes, afi, vpn, why) in cases {
            let b = h(bytes);
            let mut r = Reader::new(&b, "test");
            assert!(
                FlowSpec::decode(&mut r, *afi, *vpn).is_err(),
                "accepted: {why}"
            );
        }
        // Not a FlowSpec family.
        let mut r = Reader::new(&[3, 3, 0x81, 6], "test");
        assert!(FlowSpec::decode(&mut r, Afi::L2VPN, false).is_err());
    }

    #[test]
    fn new_checks_invariants() {
        let p4 = FlowPrefix::from(Prefix::from_str("10.0.0.0/8").unwrap());
        let p6 = FlowPrefix::from(Prefix::from_str("2001:db8::/32").unwrap());
        let eq6 = vec![NumericMatch::new(NumericOp::EQ, 6)];
        let ok = |afi, c: Vec<Component>| FlowSpec::new(afi, None, c).is_ok();
        assert!(ok(Afi::IPV4, vec![Component::DestinationPrefix(p4)]));
        assert!(!ok(Afi::IPV4, vec![]));
        assert!(!ok(Afi::IPV4, vec![Component::DestinationPrefix(p6)]));
        assert!(!ok(Afi::IPV6, vec![Component::SourcePrefix(p4)]));
        assert!(!ok(Afi::L2VPN, vec![Component::Protocol(eq6.clone())]));
        assert!(!ok(Afi::IPV4, vec![Component::FlowLabel(eq6.clone())]));
        assert!(!ok(Afi::IPV4, vec![Component::Protocol(vec![])]));
        assert!(!ok(
            Afi::IPV4,
            vec![
                Component::Port(eq6.clone()),
                Component::Protocol(eq6.clone())
            ]
        ));
        assert!(!ok(
            Afi::IPV4,
            vec![Component::Port(eq6.clone()), Component::Port(eq6.clone())]
        ));
        let mut big = NumericMatch::new(NumericOp::EQ, 300);
        big.op.len = ValueLen::One;
        assert!(!ok(Afi::IPV4, vec![Component::Port(vec![big])]));
        let mut res = NumericMatch::new(NumericOp::EQ, 3);
        res.op.reserved = 0x10;
        assert!(!ok(Afi::IPV4, vec![Component::Port(vec![res])]));
        let mut bres = BitmaskMatch::new(BitmaskOp::MATCH, 3);
        bres.op.reserved = 0x01;
        assert!(!ok(Afi::IPV4, vec![Component::TcpFlags(vec![bres])]));

        // FlowPrefix constructor limits (RFC 8956 §3.1).
        let a6: IpAddr = "2001:db8::".parse().unwrap();
        let a4: IpAddr = "10.0.0.0".parse().unwrap();
        assert!(FlowPrefix::new(a4, 33, 0).is_none());
        assert!(FlowPrefix::new(a4, 24, 8).is_none());
        assert!(FlowPrefix::new(a6, 129, 0).is_none());
        assert!(FlowPrefix::new(a6, 64, 64).is_none());
        assert!(FlowPrefix::new(a6, 0, 1).is_none());
        assert!(FlowPrefix::new(a6, 0, 0).is_some());
        let p = FlowPrefix::new(a6, 63, 0).unwrap();
        assert_eq!(p.padding_bits(), 1);
        assert!(p.with_padding(1).is_some());
        assert!(p.with_padding(2).is_none());
    }

    // ---- Text ---------------------------------------------------------

    #[test]
    fn text_forms() {
        let fs: FlowSpec = "rd 65000:1 destination 10.0.0.0/24 source 192.0.2.0/24 protocol =6 \
             destination-port =80|=443 port >=1024&<=2048 tcp-flags =syn|!ack \
             packet-length >1500 dscp =46 fragment is-fragment icmp-type =8"
            .parse()
            .unwrap();
        // Printed in type order.
        assert_eq!(
            fs.to_string(),
            "rd 65000:1 destination 10.0.0.0/24 source 192.0.2.0/24 protocol =6 \
             port >=1024&<=2048 destination-port =80|=443 icmp-type =8 tcp-flags =syn|!ack \
             packet-length >1500 dscp =46 fragment is-fragment"
        );
        assert!(fs.is_vpn());
        let bytes = enc(&fs);
        assert_eq!(dec(&bytes, Afi::IPV4, true).unwrap(), fs);

        // Aliases and alternative spellings.
        let a: FlowSpec = "ipv4 protocol ==6 tcp-flags =SYN+Ack|psh fragment df+lf port 0x50=80"
            .replace("0x50=80", "=0x50")
            .parse()
            .unwrap();
        assert_eq!(
            a.to_string(),
            "protocol =6 port =80 tcp-flags =syn+ack|push fragment dont-fragment+last-fragment"
        );
        let b: FlowSpec = "ipv6 protocol =17".parse().unwrap();
        assert_eq!(b.to_string(), "ipv6 next-header =17");
        let c: FlowSpec = "destination 2001:db8::/32 protocol =17".parse().unwrap();
        assert_eq!(c.afi(), Afi::IPV6);
        assert_eq!(c.to_string(), "destination 2001:db8::/32 next-header =17");
        // Host bits of a prefix are cleared, like crate::prefix does.
        let d: FlowSpec = "destination 10.1.2.3/8".parse().unwrap();
        assert_eq!(d.to_string(), "destination 10.0.0.0/8");
        // Explicit lengths that are the minimal one are not printed.
        let e: FlowSpec = "port =80:1|=80:2|=0x10000:4".parse().unwrap();
        assert_eq!(e.to_string(), "port =80|=80:2|=65536");
    }

    #[test]
    fn text_errors() {
        for bad in [
            "",
            "   ",
            "rd 65000:1",
            "bogus =1",
            "port",
            "port 80",
            "port =",
            "port =x",
            "port =80|",
            "port |=80",
            "port =80||=81",
            "port =80:3",
            "port =300:1",
            "port =1^0x04",
            "port =18446744073709551616",
            "tcp-flags =syn^0x01",
            "tcp-flags =bogus",
            "tcp-flags =syn++ack",
            "port =1 port =2",
            "protocol =1 next-header =2",
            "destination 10.0.0.0/33",
            "destination 10.0.0.0",
            "destination 10.0.0.0/8 offset 1",
            "destination 10.0.0.0/7 padding 2",
            "destination 10.0.0.0/8 padding 1",
            "destination 2001:db8::/32 offset 32",
            "destination 2001:db8::/32 offset",
            "destination 2001:db8::/32 offset 4 offset 4",
            "destination 10.0.0.0/8 source 2001:db8::/32",
            "ipv4 destination 2001:db8::/32",
            "flow-label =1",
            "ipv4 ipv6 port =1",
            "rd 65000:1 rd 65000:2 port =1",
            "rd bogus port =1",
        ] {
            assert!(bad.parse::<FlowSpec>().is_err(), "accepted {bad:?}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes() {
        let fs: FlowSpec = "destination 10.0.0.0/24 port >=1024&<=2048 tcp-flags =syn"
            .parse()
            .unwrap();
        let v = serde_json::to_value(&fs).unwrap();
        assert_eq!(v["afi"], 1);
        assert_eq!(v["components"][0]["destination_prefix"]["addr"], "10.0.0.0");
        assert_eq!(v["components"][1]["port"][1]["op"]["and"], true);
        assert_eq!(v["components"][1]["port"][1]["op"]["len"], 2);
        assert_eq!(v["components"][2]["tcp_flags"][0]["op"]["match"], true);
    }

    // ---- Properties ---------------------------------------------------

    fn arb_len() -> impl Strategy<Value = ValueLen> {
        prop_oneof![
            Just(ValueLen::One),
            Just(ValueLen::Two),
            Just(ValueLen::Four),
            Just(ValueLen::Eight),
        ]
    }

    fn arb_value() -> impl Strategy<Value = u64> {
        prop_oneof![0u64..300, 0u64..70_000, any::<u64>()]
    }

    fn arb_numeric() -> impl Strategy<Value = NumericMatch> {
        // Random operator octet (and, reserved, lt/gt/eq), a length that
        // holds the value, sometimes longer than needed.
        (any::<u8>(), arb_len(), arb_value()).prop_map(|(op, len, v)| {
            let len = len.max(ValueLen::minimal(v));
            NumericMatch {
                op: NumericOp {
                    len,
                    ..NumericOp::from_byte(op)
                },
                value: v,
            }
        })
    }

    fn arb_bitmask() -> impl Strategy<Value = BitmaskMatch> {
        (any::<u8>(), arb_len(), arb_value()).prop_map(|(op, len, v)| {
            let len = len.max(ValueLen::minimal(v));
            BitmaskMatch {
                op: BitmaskOp {
                    len,
                    ..BitmaskOp::from_byte(op)
                },
                value: v,
            }
        })
    }

    fn arb_prefix(v4: bool) -> BoxedStrategy<FlowPrefix> {
        let pad = |p: FlowPrefix, raw: u8| {
            let mask = (1u32 << p.padding_bits()) - 1;
            p.with_padding((u32::from(raw) & mask) as u8).unwrap()
        };
        if v4 {
            (any::<u32>(), 0u8..=32, any::<u8>())
                .prop_map(move |(a, len, raw)| {
                    let p = FlowPrefix::new(IpAddr::V4(Ipv4Addr::from(a)), len, 0).unwrap();
                    pad(p, raw)
                })
                .boxed()
        } else {
            (
                any::<u128>(),
                0u8..=128,
                any::<u8>(),
                any::<u8>(),
                any::<bool>(),
            )
                .prop_map(move |(a, len, off, raw, no_off)| {
                    let off = if len == 0 || no_off { 0 } else { off % len };
                    let p = FlowPrefix::new(IpAddr::V6(Ipv6Addr::from(a)), len, off).unwrap();
                    pad(p, raw)
                })
                .boxed()
        }
    }

    fn arb_component(code: u8, v4: bool) -> BoxedStrategy<Component> {
        let terms = 1..5usize;
        match code {
            1 => arb_prefix(v4)
                .prop_map(Component::DestinationPrefix)
                .boxed(),
            2 => arb_prefix(v4).prop_map(Component::SourcePrefix).boxed(),
            9 | 12 => proptest::collection::vec(arb_bitmask(), terms)
                .prop_map(move |v| Component::bitmask(code, v).unwrap())
                .boxed(),
            _ => proptest::collection::vec(arb_numeric(), terms)
                .prop_map(move |v| Component::numeric(code, v).unwrap())
                .boxed(),
        }
    }

    fn arb_rd() -> impl Strategy<Value = RouteDistinguisher> {
        prop_oneof![
            (any::<u16>(), any::<u32>()).prop_map(|(a, n)| RouteDistinguisher::as2(a, n)),
            (any::<u32>(), any::<u16>())
                .prop_map(|(a, n)| RouteDistinguisher::ipv4(Ipv4Addr::from(a), n)),
            (any::<u32>(), any::<u16>()).prop_map(|(a, n)| RouteDistinguisher::as4(a, n)),
        ]
    }

    fn arb_flowspec() -> impl Strategy<Value = FlowSpec> {
        let codes: Vec<u8> = (1..=13).collect();
        (any::<bool>(), proptest::sample::subsequence(codes, 1..=13)).prop_flat_map(
            |(v6, mut codes)| {
                if !v6 {
                    codes.retain(|&c| c != 13);
                    if codes.is_empty() {
                        codes.push(3);
                    }
                }
                let afi = if v6 { Afi::IPV6 } else { Afi::IPV4 };
                let comps: Vec<BoxedStrategy<Component>> =
                    codes.iter().map(|&c| arb_component(c, !v6)).collect();
                (comps, proptest::option::of(arb_rd()), any::<bool>()).prop_map(
                    move |(cs, rd, ext)| {
                        let mut fs = FlowSpec::new(afi, rd, cs).unwrap();
                        fs.set_extended_length(ext);
                        fs
                    },
                )
            },
        )
    }

    /// Whatever decodes must re-encode to exactly the octets consumed and
    /// (for RDs whose text form parses back) survive the text round trip.
    fn check_decoded(bytes: &[u8], afi: Afi, vpn: bool) {
        let mut r = Reader::new(bytes, "fuzz");
        if let Ok(fs) = FlowSpec::decode(&mut r, afi, vpn) {
            let used = r.position();
            assert_eq!(enc(&fs), &bytes[..used]);
            if fs.rd().is_none_or(|rd| rd.rd_type() <= 2) {
                let text = fs.to_string();
                let back: FlowSpec = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(back, fs, "{text}");
            }
        }
    }

    proptest! {
        #[test]
        fn wire_round_trip(fs in arb_flowspec()) {
            let bytes = enc(&fs);
            let back = dec(&bytes, fs.afi(), fs.is_vpn()).unwrap();
            prop_assert_eq!(&back, &fs);
            prop_assert_eq!(enc(&back), bytes);
        }

        #[test]
        fn text_round_trip(fs in arb_flowspec()) {
            let text = fs.to_string();
            let back: FlowSpec = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            prop_assert_eq!(&back, &fs, "{}", text);
            prop_assert_eq!(enc(&back), enc(&fs));
        }

        #[test]
        fn truncations_fail(fs in arb_flowspec()) {
            let bytes = enc(&fs);
            for cut in 0..bytes.len() {
                prop_assert!(dec(&bytes[..cut], fs.afi(), fs.is_vpn()).is_err());
            }
        }

        #[test]
        fn mutations_never_panic(
            fs in arb_flowspec(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            vpn in any::<bool>(),
        ) {
            let mut bytes = enc(&fs);
            for (i, b) in edits {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            check_decoded(&bytes, fs.afi(), vpn);
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..96),
            v6 in any::<bool>(),
            vpn in any::<bool>(),
        ) {
            let afi = if v6 { Afi::IPV6 } else { Afi::IPV4 };
            check_decoded(&bytes, afi, vpn);
            // Also with a plausible length octet in front.
            let mut framed = vec![u8::try_from(bytes.len()).unwrap()];
            framed.extend_from_slice(&bytes);
            check_decoded(&framed, afi, vpn);
        }

        #[test]
        fn random_text_never_panics(s in "[a-z0-9 =<>!&|:^+./-]{0,60}") {
            let _ = s.parse::<FlowSpec>();
        }
    }
}
