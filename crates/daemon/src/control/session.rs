//! Neighbors and their sessions as the control interface reports them,
//! and the operations on them (soft reset, reload, identity).

use std::net::{IpAddr, Ipv4Addr};
use std::time::SystemTime;

use rbgp_config::Neighbor;
use rbgp_fsm::{Negotiated, State};
use rbgp_wire::{AfiSafi, Notification};

/// Which way a NOTIFICATION went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// Messages by type, one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    pub open: u64,
    pub update: u64,
    pub notification: u64,
    pub keepalive: u64,
    pub route_refresh: u64,
}

impl MessageCounts {
    pub fn total(&self) -> u64 {
        self.open + self.update + self.notification + self.keepalive + self.route_refresh
    }
}

/// The last NOTIFICATION of a session, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastNotification {
    pub direction: Direction,
    pub notification: Notification,
    pub at: SystemTime,
}

/// How many NOTIFICATIONs of one code and subcode went one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationCount {
    pub direction: Direction,
    pub code: u8,
    pub subcode: u8,
    pub count: u64,
}

/// The global settings SetGlobal may change at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub asn: u32,
    pub router_id: Ipv4Addr,
}

/// What a peer task publishes about itself (a `watch` value: readers never
/// wait for the peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    pub state: State,
    /// Administratively enabled.
    pub enabled: bool,
    pub established_at: Option<SystemTime>,
    pub negotiated: Option<Negotiated>,
    pub messages_in: MessageCounts,
    pub messages_out: MessageCounts,
    pub last_notification: Option<LastNotification>,
    /// NOTIFICATIONs by direction, code and subcode, since the task started.
    pub notifications: Vec<NotificationCount>,
    /// The last local error (connect failure, malformed message...).
    pub last_error: Option<String>,
    pub flaps: u64,
}

impl Default for SessionStatus {
    fn default() -> Self {
        SessionStatus {
            state: State::Idle,
            enabled: true,
            established_at: None,
            negotiated: None,
            messages_in: MessageCounts::default(),
            messages_out: MessageCounts::default(),
            last_notification: None,
            notifications: Vec::new(),
            last_error: None,
            flaps: 0,
        }
    }
}

/// Prefix counters of one peer and family, from the RIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyCounts {
    pub family: AfiSafi,
    /// Paths the peer currently announces (accepted or rejected by import).
    pub received: u64,
    /// Paths in the RIB (accepted by import policy).
    pub accepted: u64,
    /// Paths we currently advertise to the peer.
    pub advertised: u64,
    /// Paths in its Adj-RIB-Out pre-policy (RFC 8671), kept only while a
    /// BMP station asks for that view.
    pub offered: Option<u64>,
}

/// Everything about one neighbor.
#[derive(Debug, Clone)]
pub struct NeighborStatus {
    pub neighbor: Neighbor,
    /// Created from a `[[dynamic_neighbors]]` range.
    pub dynamic: bool,
    /// Added through the API (persisted by it), not from the config file.
    pub from_api: bool,
    pub session: SessionStatus,
    pub prefixes: Vec<FamilyCounts>,
}

impl FamilyCounts {
    pub fn new(family: AfiSafi) -> Self {
        FamilyCounts {
            family,
            received: 0,
            accepted: 0,
            advertised: 0,
            offered: None,
        }
    }
}

/// What import saw of one peer's UPDATEs since its session came up: the
/// RFC 7854 §4.8 counters BMP Statistics Reports carry (types 1, 2, 11
/// and 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounters {
    /// Announcements of a path already held with the same attributes.
    pub duplicate_prefixes: u64,
    /// Withdrawals of a path not held.
    pub duplicate_withdraws: u64,
    /// UPDATEs treated as withdraw (RFC 7606).
    pub treat_as_withdraw_updates: u64,
    /// Prefixes those UPDATEs carried.
    pub treat_as_withdraw_prefixes: u64,
}

/// Which side of a soft reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftReset {
    /// Ask the peer to send its routes again (ROUTE-REFRESH, RFC 2918).
    In,
    /// Send the peer our routes again.
    Out,
    Both,
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    pub added: Vec<IpAddr>,
    pub removed: Vec<IpAddr>,
    pub changed: Vec<IpAddr>,
    pub unchanged: usize,
}
