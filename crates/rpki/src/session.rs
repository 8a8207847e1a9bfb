//! The router side of one RPKI-to-Router session (RFC 8210 §7, §8;
//! 8210bis §7, §8), sans-IO.
//!
//! The caller owns the transport and the clock. It calls
//! [`Session::connected`] when a connection is up and sends what it
//! returns, feeds received bytes to [`Session::receive`], calls
//! [`Session::poll`] at [`Session::next_timeout`], and
//! [`Session::disconnected`] when the connection is gone. The session
//! keeps what this cache has told it across connections (for Serial
//! Queries, RFC 8210 §8.1) and hands out changes only at End of Data, all
//! at once (§8.1: the router "has received all current data").

use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};
use thiserror::Error;

use crate::code::ErrorCode;
use crate::pdu::{self, Pdu, Timers};
use crate::record::{Aspa, Delta, RouterKey, Vrp};
use crate::table::Table;

/// What one session accepts.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The version to start negotiation with (8210bis §7): 2, 1 or 0.
    pub max_version: u8,
    /// The largest PDU accepted (at most 65,535, 8210bis §5.1).
    pub max_pdu_len: u32,
    /// The most VRPs this cache may have us hold.
    pub max_vrps: usize,
    /// The most customers with an ASPA.
    pub max_aspas: usize,
    /// The most router keys.
    pub max_router_keys: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_version: pdu::MAX_VERSION,
            max_pdu_len: pdu::MAX_PDU_LEN,
            max_vrps: 4_000_000,
            max_aspas: 1_000_000,
            max_router_keys: 100_000,
        }
    }
}

/// What the caller has to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A response ended (End of Data): apply these changes.
    Update(Delta),
    /// Close the connection and connect again at once; the next
    /// [`Session::connected`] queries in `version` (RFC 8210 §7: "it MAY
    /// send the first Serial Query or Reset Query immediately").
    Reconnect { version: u8 },
    /// The cache's timers (clamped to RFC 8210 §6 ranges), at the first End
    /// of Data and whenever they change.
    Timers(Timers),
    /// Send these bytes to the cache (a query prompted by a Serial Notify
    /// or a Cache Reset).
    Send(Vec<u8>),
    /// The cache answered our Serial Query with a Cache Reset (RFC 8210
    /// §5.9: it cannot give the changes since our serial); the Reset
    /// Query follows as a [`Event::Send`].
    CacheReset,
}

/// The session cannot go on: send `report` (if any), then close.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{reason}")]
pub struct SessionError {
    /// The Error Report PDU to send before closing. `None` when the cache
    /// sent an Error Report itself (RFC 8210 §5.11: never answer one).
    pub report: Option<Vec<u8>>,
    pub reason: String,
    /// Events produced by the same `receive` call before the error.
    pub events: Vec<Event>,
    /// Drop everything learned from this cache (RFC 8210 §5.1: Corrupt
    /// Data is fatal and "the router will also at that point flush all
    /// data learned from that cache").
    pub flush: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No connection.
    Down,
    /// Told to reconnect; input is ignored until the next connection.
    Closing,
    /// A query was sent; waiting for Cache Response (or Cache Reset).
    Querying { reset: bool },
    /// Between Cache Response and End of Data.
    Receiving { reset: bool },
    /// In sync; the next query is due at `next_poll`.
    Idle,
}

struct Fail {
    code: Option<ErrorCode>,
    reason: String,
}

fn fail(code: ErrorCode, reason: impl Into<String>) -> Fail {
    Fail {
        code: Some(code),
        reason: reason.into(),
    }
}

/// The router side of one cache's session.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    /// The version to query in (negotiated down from `max_version`).
    version: u8,
    negotiated: bool,
    session_id: Option<u16>,
    serial: Option<u32>,
    timers: Option<Timers>,
    last_eod: Option<Instant>,
    next_poll: Option<Instant>,
    reconnect_at: Option<Instant>,
    phase: Phase,
    rx: Vec<u8>,
    /// What this cache has told us, to find withdrawals of unknown records
    /// and duplicate announcements (RFC 8210 §5.6, §12 codes 6 and 7).
    held: Table,
    keys: FxHashSet<RouterKey>,
    /// Changes since the Cache Response: true = present after them.
    pend_vrps: FxHashMap<Vrp, bool>,
    pend_aspas: FxHashMap<u32, Option<Vec<u32>>>,
    pend_keys: FxHashMap<RouterKey, bool>,
    /// VRPs and ASPAs held once the pending changes apply, for the limits.
    net_vrps: usize,
    net_aspas: usize,
}

impl Session {
    pub fn new(cfg: SessionConfig) -> Self {
        let version = cfg.max_version.min(pdu::MAX_VERSION);
        Session {
            cfg,
            version,
            negotiated: false,
            session_id: None,
            serial: None,
            timers: None,
            last_eod: None,
            next_poll: None,
            reconnect_at: None,
            phase: Phase::Down,
            rx: Vec::new(),
            held: Table::new(),
            keys: FxHashSet::default(),
            pend_vrps: FxHashMap::default(),
            pend_aspas: FxHashMap::default(),
            pend_keys: FxHashMap::default(),
            net_vrps: 0,
            net_aspas: 0,
        }
    }

    /// The version queries are sent in (the negotiated one once the cache
    /// answered).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Whether the cache has answered in our version on this connection.
    pub fn negotiated(&self) -> bool {
        self.negotiated
    }

    /// The Session ID and Serial Number of the last End of Data.
    pub fn serial(&self) -> Option<(u16, u32)> {
        Some((self.session_id?, self.serial?))
    }

    /// The timers in force (RFC 8210 §6 defaults before an End of Data
    /// with timers, and for version 0).
    pub fn timers(&self) -> Timers {
        self.timers.unwrap_or_default()
    }

    /// What this cache has told us as of the last End of Data.
    pub fn data(&self) -> &Table {
        &self.held
    }

    /// A transport connection is up: the query to send (RFC 8210 §8.1). A
    /// Serial Query if we hold unexpired data with a Session ID from this
    /// cache in this version, else a Reset Query.
    pub fn connected(&mut self, now: Instant) -> Vec<u8> {
        self.rx.clear();
        self.clear_pending();
        self.negotiated = false;
        self.reconnect_at = None;
        if self.expired(now) {
            self.session_id = None;
            self.serial = None;
        }
        self.query()
    }

    fn query(&mut self) -> Vec<u8> {
        match (self.session_id, self.serial) {
            (Some(session_id), Some(serial)) => {
                self.phase = Phase::Querying { reset: false };
                Pdu::SerialQuery {
                    version: self.version,
                    session_id,
                    serial,
                }
                .to_bytes()
            }
            _ => self.reset_query(),
        }
    }

    fn reset_query(&mut self) -> Vec<u8> {
        self.phase = Phase::Querying { reset: true };
        Pdu::ResetQuery {
            version: self.version,
        }
        .to_bytes()
    }

    /// The connection is gone. The next connection is due after the Retry
    /// Interval (RFC 8210 §6), or at once after [`Event::Reconnect`]. If it
    /// went while our Serial Query had no answer, the next query is a
    /// Reset Query: a restarted cache has a new Session ID and may just
    /// close on the old one (StayRTR does, its Error Report often lost),
    /// so asking for the old serial again would fail forever.
    pub fn disconnected(&mut self, now: Instant) {
        let at = if self.phase == Phase::Closing {
            now
        } else {
            now + secs(self.timers().retry)
        };
        if self.phase == (Phase::Querying { reset: false }) {
            self.session_id = None;
            self.serial = None;
        }
        self.phase = Phase::Down;
        self.reconnect_at = Some(at);
        self.negotiated = false;
        self.rx.clear();
        self.clear_pending();
    }

    /// Whether the data is older than the Expire Interval since the last
    /// End of Data (RFC 8210 §6: the router "MUST NOT retain the data past
    /// the time indicated by this parameter"). Call [`Session::flush`] and
    /// drop what was applied from it.
    pub fn expired(&self, now: Instant) -> bool {
        self.last_eod
            .is_some_and(|t| now >= t + secs(self.timers().expire))
    }

    /// Forget everything learned from this cache; the next query is a
    /// Reset Query. Returns the delta that empties the caller's copy.
    pub fn flush(&mut self) -> Delta {
        self.held = Table::new();
        self.keys.clear();
        self.session_id = None;
        self.serial = None;
        self.last_eod = None;
        self.clear_pending();
        Delta {
            reset: true,
            ..Delta::default()
        }
    }

    /// When [`Session::poll`] (or a reconnection, or expiry) is next due.
    pub fn next_timeout(&self) -> Option<Instant> {
        let poll = match self.phase {
            Phase::Idle => self.next_poll,
            Phase::Down => self.reconnect_at,
            _ => None,
        };
        let expire = self.last_eod.map(|t| t + secs(self.timers().expire));
        match (poll, expire) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The query to send now, if the Refresh Interval has passed since the
    /// last End of Data (or the Retry Interval since No Data Available).
    pub fn poll(&mut self, now: Instant) -> Vec<u8> {
        if self.phase == Phase::Idle && self.next_poll.is_some_and(|t| now >= t) {
            self.next_poll = None;
            return self.query();
        }
        Vec::new()
    }

    fn clear_pending(&mut self) {
        self.net_vrps = self.held.vrp_count();
        self.net_aspas = self.held.aspa_count();
        self.pend_vrps = FxHashMap::default();
        self.pend_aspas = FxHashMap::default();
        self.pend_keys = FxHashMap::default();
    }

    /// Bytes from the cache. Whole PDUs are handled as they complete; a
    /// partial one is kept for the next call (at most one PDU, bounded by
    /// `max_pdu_len`).
    pub fn receive(&mut self, bytes: &[u8], now: Instant) -> Result<Vec<Event>, SessionError> {
        let mut events = Vec::new();
        if matches!(self.phase, Phase::Closing | Phase::Down) {
            return Ok(events);
        }
        let mut buf = std::mem::take(&mut self.rx);
        buf.extend_from_slice(bytes);
        let mut at = 0;
        let result = loop {
            let rest = buf.get(at..).unwrap_or_default();
            match pdu::decode_limited(rest, self.cfg.max_pdu_len) {
                Ok(None) => break Ok(()),
                Ok(Some((p, n))) => {
                    let raw = rest.get(..n).unwrap_or_default();
                    if let Err(f) = self.handle(p, now, &mut events) {
                        break Err((f, raw.to_vec()));
                    }
                    at += n;
                    if self.phase == Phase::Closing {
                        break Ok(());
                    }
                }
                Err(e) => {
                    let f = Fail {
                        code: (!e.was_error_report).then_some(e.code),
                        reason: e.reason.to_string(),
                    };
                    break Err((f, e.pdu));
                }
            }
        };
        match result {
            Ok(()) => {
                if self.phase != Phase::Closing {
                    buf.drain(..at.min(buf.len()));
                    self.rx = buf;
                }
                Ok(events)
            }
            Err((f, raw)) => {
                let flush = f.code == Some(ErrorCode::CorruptData);
                let report = f
                    .code
                    .map(|c| pdu::error_report(self.version, c, &raw, &f.reason));
                let mut reason = f.reason;
                // An ASPA PDU we cannot use in the cache's full set: the
                // cache may speak a draft's format in version 2 (StayRTR
                // 0.5.1 sends 8210bis-10's, with AFI flags and a provider
                // count before the customer), and would fail every session
                // the same way, VRPs and all. Version 1 has no ASPA: its
                // VRPs still count.
                if self.version >= 2
                    && raw.get(1) == Some(&pdu::kind::ASPA)
                    && self.phase == (Phase::Receiving { reset: true })
                {
                    self.version = 1;
                    reason += "; speaking RTR version 1 (no ASPA) to this cache from now on";
                }
                // The session is over; what we held may be wrong, so the
                // next connection starts with a Reset Query.
                self.phase = Phase::Closing;
                self.session_id = None;
                self.serial = None;
                self.clear_pending();
                Err(SessionError {
                    report,
                    reason,
                    events,
                    flush,
                })
            }
        }
    }

    fn handle(&mut self, p: Pdu, now: Instant, ev: &mut Vec<Event>) -> Result<(), Fail> {
        let v = p.version();
        if let Pdu::ErrorReport { code, text, .. } = &p {
            return self.on_error_report(v, *code, text, now, ev);
        }
        if !self.negotiated {
            // 8210bis §7: ignore Serial Notify until the version is agreed.
            if matches!(p, Pdu::SerialNotify { .. }) {
                return Ok(());
            }
            if v < self.version {
                // The cache answered our first query in a lower version:
                // the session is in that version; start again in it.
                self.downgrade(v, ev);
                return Ok(());
            }
            if v > self.version {
                return Err(fail(
                    ErrorCode::UnexpectedProtocolVersion,
                    format!(
                        "cache answered version {} to a version {} query",
                        v, self.version
                    ),
                ));
            }
            self.negotiated = true;
        } else if v != self.version {
            // 8210bis §7: a PDU of another version once negotiated.
            return Err(fail(
                ErrorCode::UnexpectedProtocolVersion,
                format!("version {v} PDU in a version {} session", self.version),
            ));
        }
        match p {
            Pdu::SerialNotify { session_id, .. } => {
                // RFC 8210 §5.1: a Session ID that is not ours is Corrupt
                // Data. §5.2: the notify is only a hint; query if idle.
                if self.session_id.is_some_and(|s| s != session_id) {
                    return Err(fail(
                        ErrorCode::CorruptData,
                        "Serial Notify with another Session ID",
                    ));
                }
                if self.phase == Phase::Idle {
                    self.next_poll = None;
                    let q = self.query();
                    ev.push(Event::Send(q));
                }
                Ok(())
            }
            Pdu::CacheResponse { session_id, .. } => match self.phase {
                Phase::Querying { reset: true } => {
                    // A Reset Query may be answered with a new Session ID
                    // (RFC 8210 §5.1).
                    self.session_id = Some(session_id);
                    self.clear_pending();
                    self.net_vrps = 0;
                    self.net_aspas = 0;
                    self.phase = Phase::Receiving { reset: true };
                    Ok(())
                }
                Phase::Querying { reset: false } => {
                    if self.session_id != Some(session_id) {
                        return Err(fail(
                            ErrorCode::CorruptData,
                            "Cache Response with another Session ID than our Serial Query's",
                        ));
                    }
                    self.clear_pending();
                    self.phase = Phase::Receiving { reset: false };
                    Ok(())
                }
                _ => Err(fail(
                    ErrorCode::CorruptData,
                    "Cache Response without a query",
                )),
            },
            Pdu::CacheReset { .. } => {
                // RFC 8210 §5.9: the cache cannot answer the Serial Query;
                // §8.3: the router sends a Reset Query.
                if self.phase != (Phase::Querying { reset: false }) {
                    return Err(fail(
                        ErrorCode::CorruptData,
                        "Cache Reset without a Serial Query",
                    ));
                }
                self.serial = None;
                self.session_id = None;
                let q = self.reset_query();
                ev.push(Event::CacheReset);
                ev.push(Event::Send(q));
                Ok(())
            }
            Pdu::Ipv4Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => {
                let prefix = rbgp_wire::Ipv4Prefix::new(addr, prefix_len)
                    .map(rbgp_wire::Prefix::V4)
                    .ok_or_else(|| fail(ErrorCode::CorruptData, "bad IPv4 prefix"))?;
                self.on_vrp(
                    Vrp {
                        prefix,
                        max_len,
                        asn,
                    },
                    announce,
                )
            }
            Pdu::Ipv6Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => {
                let prefix = rbgp_wire::Ipv6Prefix::new(addr, prefix_len)
                    .map(rbgp_wire::Prefix::V6)
                    .ok_or_else(|| fail(ErrorCode::CorruptData, "bad IPv6 prefix"))?;
                self.on_vrp(
                    Vrp {
                        prefix,
                        max_len,
                        asn,
                    },
                    announce,
                )
            }
            Pdu::RouterKey {
                announce,
                ski,
                asn,
                spki,
                ..
            } => self.on_key(RouterKey { ski, asn, spki }, announce),
            Pdu::Aspa {
                announce,
                customer,
                providers,
                ..
            } => self.on_aspa(customer, providers, announce),
            Pdu::EndOfData {
                session_id,
                serial,
                timers,
                ..
            } => self.on_end(session_id, serial, timers, now, ev),
            Pdu::SerialQuery { .. } | Pdu::ResetQuery { .. } => {
                Err(fail(ErrorCode::InvalidRequest, "a query from the cache"))
            }
            Pdu::ErrorReport { .. } => Ok(()),
        }
    }

    fn receiving(&self) -> Result<bool, Fail> {
        match self.phase {
            Phase::Receiving { reset } => Ok(reset),
            _ => Err(fail(
                ErrorCode::CorruptData,
                "payload PDU outside a Cache Response",
            )),
        }
    }

    fn on_vrp(&mut self, vrp: Vrp, announce: bool) -> Result<(), Fail> {
        let reset = self.receiving()?;
        let present = match self.pend_vrps.get(&vrp) {
            Some(&p) => p,
            None => !reset && self.held.contains(&vrp),
        };
        check_presence(present, announce, "VRP")?;
        self.pend_vrps.insert(vrp, announce);
        self.net_vrps = if announce {
            self.net_vrps.saturating_add(1)
        } else {
            self.net_vrps.saturating_sub(1)
        };
        if self.net_vrps > self.cfg.max_vrps {
            return Err(fail(ErrorCode::InternalError, "too many VRPs"));
        }
        Ok(())
    }

    fn on_key(&mut self, key: RouterKey, announce: bool) -> Result<(), Fail> {
        let reset = self.receiving()?;
        let present = match self.pend_keys.get(&key) {
            Some(&p) => p,
            None => !reset && self.keys.contains(&key),
        };
        check_presence(present, announce, "router key")?;
        self.pend_keys.insert(key, announce);
        if self.pend_keys.len() > self.cfg.max_router_keys.saturating_mul(2) {
            return Err(fail(ErrorCode::InternalError, "too many router keys"));
        }
        Ok(())
    }

    fn on_aspa(&mut self, customer: u32, providers: Vec<u32>, announce: bool) -> Result<(), Fail> {
        let reset = self.receiving()?;
        let present = match self.pend_aspas.get(&customer) {
            Some(p) => p.is_some(),
            None => !reset && self.held.providers(customer).is_some(),
        };
        // 8210bis §5.12: an announcement adds or replaces; a withdrawal
        // must name a customer we hold.
        if !announce && !present {
            return Err(fail(
                ErrorCode::WithdrawalOfUnknownRecord,
                "withdrawal of an unknown ASPA",
            ));
        }
        match (present, announce) {
            (false, true) => self.net_aspas = self.net_aspas.saturating_add(1),
            (true, false) => self.net_aspas = self.net_aspas.saturating_sub(1),
            _ => {}
        }
        self.pend_aspas
            .insert(customer, announce.then_some(providers));
        if self.net_aspas > self.cfg.max_aspas {
            return Err(fail(ErrorCode::InternalError, "too many ASPAs"));
        }
        Ok(())
    }

    fn on_end(
        &mut self,
        session_id: u16,
        serial: u32,
        timers: Option<Timers>,
        now: Instant,
        ev: &mut Vec<Event>,
    ) -> Result<(), Fail> {
        let reset = self.receiving()?;
        if self.session_id != Some(session_id) {
            return Err(fail(
                ErrorCode::CorruptData,
                "End of Data with another Session ID",
            ));
        }
        let mut d = Delta {
            reset,
            ..Delta::default()
        };
        for (v, present) in std::mem::take(&mut self.pend_vrps) {
            let before = !reset && self.held.contains(&v);
            match (before, present) {
                (false, true) => d.announced.push(v),
                (true, false) => d.withdrawn.push(v),
                _ => {}
            }
        }
        for (c, p) in std::mem::take(&mut self.pend_aspas) {
            let before = if reset { None } else { self.held.providers(c) };
            match p {
                Some(p) if before != Some(&p[..]) => d.aspas.push(Aspa::new(c, p)),
                Some(_) => {}
                None if before.is_some() => d.aspas_withdrawn.push(c),
                None => {}
            }
        }
        if reset {
            self.keys.clear();
        }
        for (k, present) in std::mem::take(&mut self.pend_keys) {
            match (self.keys.contains(&k), present) {
                (false, true) => {
                    self.keys.insert(k.clone());
                    d.keys_announced.push(k);
                }
                (true, false) => {
                    self.keys.remove(&k);
                    d.keys_withdrawn.push(k);
                }
                _ => {}
            }
        }
        d.announced.sort_unstable();
        d.withdrawn.sort_unstable();
        d.aspas.sort_unstable_by_key(|a| a.customer);
        d.aspas_withdrawn.sort_unstable();
        self.held.apply(d.clone());
        self.serial = Some(serial);
        let t = timers.map(Timers::clamped).unwrap_or_default();
        if self.timers != Some(t) {
            ev.push(Event::Timers(t));
        }
        self.timers = Some(t);
        self.last_eod = Some(now);
        self.next_poll = Some(now + secs(t.refresh));
        self.phase = Phase::Idle;
        ev.push(Event::Update(d));
        Ok(())
    }

    fn on_error_report(
        &mut self,
        v: u8,
        code: u16,
        text: &str,
        now: Instant,
        ev: &mut Vec<Event>,
    ) -> Result<(), Fail> {
        let known = ErrorCode::from_u16(code);
        if known == Some(ErrorCode::UnsupportedProtocolVersion) && !self.negotiated {
            // 8210bis §7: try the cache's version (or the next lower one);
            // at version 0 negotiation is hopeless.
            if self.version == 0 {
                return Err(Fail {
                    code: None,
                    reason: "cache supports no protocol version we speak".into(),
                });
            }
            let next = v.min(self.version - 1);
            self.downgrade(next, ev);
            return Ok(());
        }
        if known == Some(ErrorCode::NoDataAvailable) {
            // RFC 8210 §8.4: not fatal; try again after the Retry Interval.
            if v == self.version {
                self.negotiated = true;
            }
            self.phase = Phase::Idle;
            self.next_poll = Some(now + secs(self.timers().retry));
            return Ok(());
        }
        Err(Fail {
            code: None,
            reason: format!("cache sent Error Report {code}: {text}"),
        })
    }

    fn downgrade(&mut self, version: u8, ev: &mut Vec<Event>) {
        // Session IDs and serials belong to one version (8210bis §5.1).
        self.version = version;
        self.session_id = None;
        self.serial = None;
        self.phase = Phase::Closing;
        self.clear_pending();
        ev.push(Event::Reconnect { version });
    }
}

/// RFC 8210 §5.6 / §12: announcing what is held is a Duplicate
/// Announcement (7); withdrawing what is not is code 6.
fn check_presence(present: bool, announce: bool, what: &str) -> Result<(), Fail> {
    match (present, announce) {
        (true, true) => Err(fail(
            ErrorCode::DuplicateAnnouncement,
            format!("duplicate {what} announcement"),
        )),
        (false, false) => Err(fail(
            ErrorCode::WithdrawalOfUnknownRecord,
            format!("withdrawal of an unknown {what}"),
        )),
        _ => Ok(()),
    }
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}
