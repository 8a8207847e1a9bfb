//! `rbgp-bench config`: the daemon-under-test configurations of the policy
//! cases, written for rbgpd and for BIRD 2 with the same meaning, from the
//! same generated table the feeders announce.
//!
//! - case `p` (case a with policy): one feeder, a 10-term import policy:
//!   bogons, too specific, too long a path, a 5,000-entry customer prefix
//!   set with `le 24` (tag and LOCAL_PREF), an AS-path expression (tag),
//!   a community condition (MED), ORIGIN (LOCAL_PREF), first AS, too many
//!   communities, accept.
//! - case `d` (IXP route server): N transparent route-server clients, each
//!   with its own import policy (bogons, at most /24 and /48, first AS = the
//!   client's, the client's own prefix set as an IRR list would give it,
//!   no AS_SET) and export policy (`0:AS` keeps a route from client AS,
//!   `65535:0` from everyone, as RFC 7947 route servers commonly do); the
//!   monitor is a client too.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rbgp_wire::Ipv4Prefix;

use crate::gen::prefixes;

#[derive(clap::Args)]
pub struct ConfigArgs {
    /// rbgpd or bird.
    #[arg(long)]
    pub daemon: String,
    /// p (case a with policy) or d (route server with per-client policy).
    #[arg(long)]
    pub case: String,
    /// Feeder sessions (the route-server clients of case d).
    #[arg(long, default_value_t = 1)]
    pub sessions: u32,
    /// Prefixes per feeder session.
    #[arg(long, default_value_t = 1_000_000)]
    pub prefixes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// rbgpd's state directory, BIRD's log file.
    #[arg(long, default_value = "")]
    pub dir: String,
    /// Print how many routes the policy passes to the monitor instead of
    /// a configuration (the bogons among the generated prefixes go; the
    /// generated table has nothing else either policy rejects).
    #[arg(long)]
    pub expect: bool,
}

const BOGONS: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
];

/// The monitor's AS, as `rbgp-bench monitor` uses it: outside the
/// feeders' 65001.. range even with hundreds of them.
pub const MONITOR_ASN: u32 = 64900;

/// Feeder i's address and AS, as `rbgp-bench feed` uses them.
fn feeder(i: u32) -> (Ipv4Addr, u32) {
    (Ipv4Addr::new(10, 99, 0, 10).saturating_add(i), 65001 + i)
}

trait SaturatingAdd {
    fn saturating_add(self, n: u32) -> Self;
}

impl SaturatingAdd for Ipv4Addr {
    fn saturating_add(self, n: u32) -> Self {
        Ipv4Addr::from(u32::from(self).saturating_add(n))
    }
}

/// The customer set of case p: the /16 of every 200th generated prefix,
/// up to 5,000 distinct ones, each `le 24`.
fn customers(all: &[Ipv4Prefix]) -> Vec<Ipv4Prefix> {
    let mut v: Vec<Ipv4Prefix> = all
        .iter()
        .step_by(200)
        .filter_map(|p| Ipv4Prefix::new(p.addr(), p.len().min(16)))
        .collect();
    v.sort_by_key(|p| (u32::from(p.addr()), p.len()));
    v.dedup();
    v.truncate(5000);
    v
}

fn toml_list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", v.join(", "))
}

fn bird_prefix(p: &Ipv4Prefix, le: Option<u8>) -> String {
    match le {
        Some(l) => format!("{}/{}{{{},{}}}", p.addr(), p.len(), p.len(), l),
        None => format!("{}/{}", p.addr(), p.len()),
    }
}

/// Generated prefixes no bogon entry covers.
fn passed(all: &[Ipv4Prefix]) -> usize {
    let bogons: Vec<Ipv4Prefix> = BOGONS.iter().filter_map(|b| b.parse().ok()).collect();
    all.iter()
        .filter(|p| !bogons.iter().any(|b| b.contains(p)))
        .count()
}

pub fn run(a: &ConfigArgs) -> anyhow::Result<()> {
    if a.expect {
        println!(
            "{}",
            passed(&prefixes(a.prefixes * a.sessions as usize, a.seed))
        );
        return Ok(());
    }
    let text = match (a.daemon.as_str(), a.case.as_str()) {
        ("rbgpd", "p") => rbgpd_p(a),
        ("bird", "p") => bird_p(a),
        ("rbgpd", "d") => rbgpd_d(a),
        ("bird", "d") => bird_d(a),
        (d, c) => anyhow::bail!("no configuration for daemon {d:?}, case {c:?} (rbgpd|bird, p|d)"),
    };
    print!("{text}");
    Ok(())
}

fn rbgpd_head(a: &ConfigArgs) -> String {
    format!(
        "[global]\nasn = 65000\nrouter_id = \"10.99.0.1\"\nlisten = [\"10.99.0.1:179\"]\nstate_dir = \"{}\"\nexport_policy = [\"accept_all\"]\n\n",
        a.dir
    )
}

fn rbgpd_p(a: &ConfigArgs) -> String {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let cust = customers(&all);
    let mut s = rbgpd_head(a);
    let _ = write!(
        s,
        r#"[policy.sets.prefix]
bogons = {}
customers = {}

[policy.sets.as_path]
transit = ["^65001 [0-9]+ 174_", "_3356_"]

[policy.sets.community]
tagged = ["65000:100"]

[[policy.definitions]]
name = "bench-in"
default = "accept"
terms = [
  {{ name = "bogons", if = {{ prefix_in = "bogons" }}, then = {{ result = "reject" }} }},
  {{ name = "too-specific", if = {{ prefix_length = {{ gt = 24 }} }}, then = {{ result = "reject" }} }},
  {{ name = "too-long", if = {{ as_path_length = {{ ge = 12 }} }}, then = {{ result = "reject" }} }},
  {{ name = "not-first", if = {{ first_as_is_neighbor = false }}, then = {{ result = "reject" }} }},
  {{ name = "customers", if = {{ prefix_in = "customers" }}, then = {{ add_communities = ["65000:100"], local_pref = 200 }} }},
  {{ name = "transit", if = {{ as_path_in = "transit" }}, then = {{ add_communities = ["65000:174"] }} }},
  {{ name = "tagged", if = {{ community = {{ any_of = "tagged" }} }}, then = {{ med = 10 }} }},
  {{ name = "incomplete", if = {{ origin = "incomplete" }}, then = {{ local_pref = 80 }} }},
  {{ name = "too-many", if = {{ community_count = {{ gt = 20 }} }}, then = {{ result = "reject" }} }},
  {{ name = "accept", then = {{ result = "accept" }} }},
]

"#,
        toml_list(BOGONS.iter().map(|b| format!("{b} le 32"))),
        toml_list(cust.iter().map(|p| format!("{p} le 24"))),
    );
    let _ = write!(
        s,
        "[[neighbors]]\naddress = \"10.99.0.2\"\nremote_asn = {MONITOR_ASN}\npassive = true\nimport_policy = [\"accept_all\"]\n"
    );
    for i in 0..a.sessions {
        let (addr, asn) = feeder(i);
        let _ = write!(
            s,
            "\n[[neighbors]]\naddress = \"{addr}\"\nremote_asn = {asn}\npassive = true\nimport_policy = [\"bench-in\"]\n"
        );
    }
    s
}

fn bird_head(a: &ConfigArgs) -> String {
    format!(
        "router id 10.99.0.1;\nlog \"{}/bird.log\" {{ info, warning, error, fatal }};\nprotocol device {{ }}\n",
        a.dir
    )
}

fn bird_p(a: &ConfigArgs) -> String {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let cust = customers(&all);
    let mut s = bird_head(a);
    let bogons: Vec<String> = BOGONS.iter().map(|b| format!("{b}+")).collect();
    let cust: Vec<String> = cust.iter().map(|p| bird_prefix(p, Some(24))).collect();
    let _ = write!(
        s,
        r#"define BOGONS = [ {} ];
define CUSTOMERS = [ {} ];
filter bench_in {{
  if net ~ BOGONS then reject;
  if net.len > 24 then reject;
  if bgp_path.len >= 12 then reject;
  if bgp_path.first != 65001 then reject;
  if net ~ CUSTOMERS then {{ bgp_community.add((65000,100)); bgp_local_pref = 200; }}
  if bgp_path ~ [= 65001 ? 174 * =] || bgp_path ~ [= * 3356 * =] then bgp_community.add((65000,174));
  if (65000,100) ~ bgp_community then bgp_med = 10;
  if bgp_origin = ORIGIN_INCOMPLETE then bgp_local_pref = 80;
  if bgp_community.len > 20 then reject;
  accept;
}}
template bgp peer {{
  local 10.99.0.1 as 65000;
  passive on;
}}
protocol bgp monitor from peer {{ neighbor 10.99.0.2 as {MONITOR_ASN}; ipv4 {{ import all; export all; }}; }}
"#,
        bogons.join(", "),
        cust.join(", ")
    );
    for i in 0..a.sessions {
        let (addr, asn) = feeder(i);
        let _ = writeln!(
            s,
            "protocol bgp f{i} from peer {{ neighbor {addr} as {asn}; ipv4 {{ import filter bench_in; export all; }}; }}"
        );
    }
    s
}

/// Client i's own prefixes (its slice of the table).
fn slice(all: &[Ipv4Prefix], i: u32, per: usize) -> &[Ipv4Prefix] {
    all.get(i as usize * per..(i as usize + 1) * per)
        .unwrap_or(&[])
}

fn rbgpd_d(a: &ConfigArgs) -> String {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let mut s = format!(
        "[global]\nasn = 65000\nrouter_id = \"10.99.0.1\"\nlisten = [\"10.99.0.1:179\"]\nstate_dir = \"{}\"\n\n",
        a.dir
    );
    let _ = write!(
        s,
        "[policy.sets.prefix]\nbogons = {}\n",
        toml_list(BOGONS.iter().map(|b| format!("{b} le 32")))
    );
    for i in 0..a.sessions {
        let (_, asn) = feeder(i);
        let own = slice(&all, i, a.prefixes);
        let _ = writeln!(
            s,
            "as{asn} = {}",
            toml_list(own.iter().map(|p| p.to_string()))
        );
    }
    s += "\n[policy.sets.community]\nnot_to_anyone = [\"65535:0\"]\n";
    for i in 0..a.sessions {
        let (_, asn) = feeder(i);
        let _ = writeln!(s, "not_to_{asn} = [\"0:{asn}\"]");
    }
    let _ = writeln!(s, "not_to_{MONITOR_ASN} = [\"0:{MONITOR_ASN}\"]");
    for i in 0..a.sessions {
        let (_, asn) = feeder(i);
        let _ = write!(
            s,
            r#"
[[policy.definitions]]
name = "rs-in-{asn}"
terms = [
  {{ name = "bogons", if = {{ prefix_in = "bogons" }}, then = {{ result = "reject" }} }},
  {{ name = "too-specific", if = {{ family = ["ipv4_unicast"], prefix_length = {{ gt = 24 }} }}, then = {{ result = "reject" }} }},
  {{ name = "too-specific-v6", if = {{ family = ["ipv6_unicast"], prefix_length = {{ gt = 48 }} }}, then = {{ result = "reject" }} }},
  {{ name = "first-as", if = {{ first_as_is_neighbor = false }}, then = {{ result = "reject" }} }},
  {{ name = "as-set", if = {{ as_path_has_set = true }}, then = {{ result = "reject" }} }},
  {{ name = "irr", if = {{ prefix_in = "as{asn}" }}, then = {{ result = "accept" }} }},
]
"#
        );
    }
    for asn in (0..a.sessions).map(|i| feeder(i).1).chain([MONITOR_ASN]) {
        let _ = write!(
            s,
            r#"
[[policy.definitions]]
name = "rs-out-{asn}"
default = "accept"
terms = [
  {{ name = "not-to-anyone", if = {{ community = {{ any_of = "not_to_anyone" }} }}, then = {{ result = "reject" }} }},
  {{ name = "not-to-me", if = {{ community = {{ any_of = "not_to_{asn}" }} }}, then = {{ result = "reject" }} }},
]
"#
        );
    }
    let _ = write!(
        s,
        "\n[[neighbors]]\naddress = \"10.99.0.2\"\nremote_asn = {MONITOR_ASN}\npassive = true\nroute_server_client = true\nimport_policy = [\"reject_all\"]\nexport_policy = [\"rs-out-{MONITOR_ASN}\"]\n"
    );
    for i in 0..a.sessions {
        let (addr, asn) = feeder(i);
        let _ = write!(
            s,
            "\n[[neighbors]]\naddress = \"{addr}\"\nremote_asn = {asn}\npassive = true\nroute_server_client = true\nimport_policy = [\"rs-in-{asn}\"]\nexport_policy = [\"rs-out-{asn}\"]\n"
        );
    }
    s
}

fn bird_d(a: &ConfigArgs) -> String {
    let all = prefixes(a.prefixes * a.sessions as usize, a.seed);
    let mut s = bird_head(a);
    let bogons: Vec<String> = BOGONS.iter().map(|b| format!("{b}+")).collect();
    let _ = writeln!(s, "define BOGONS = [ {} ];", bogons.join(", "));
    for i in 0..a.sessions {
        let (_, asn) = feeder(i);
        let own: Vec<String> = slice(&all, i, a.prefixes)
            .iter()
            .map(|p| bird_prefix(p, None))
            .collect();
        let _ = write!(
            s,
            r#"define AS{asn} = [ {own} ];
filter rs_in_{asn} {{
  if net ~ BOGONS then reject;
  if net.type = NET_IP4 && net.len > 24 then reject;
  if net.type = NET_IP6 && net.len > 48 then reject;
  if bgp_path.first != {asn} then reject;
  # No AS_SET test: BIRD's path masks have none, and the generated
  # table has no AS_SETs.
  if net ~ AS{asn} then accept;
  reject;
}}
"#,
            own = own.join(", ")
        );
    }
    for asn in (0..a.sessions).map(|i| feeder(i).1).chain([MONITOR_ASN]) {
        let _ = write!(
            s,
            r#"filter rs_out_{asn} {{
  if (65535,0) ~ bgp_community then reject;
  if (0,{asn}) ~ bgp_community then reject;
  accept;
}}
"#
        );
    }
    s += "template bgp rsc {\n  local 10.99.0.1 as 65000;\n  passive on;\n  rs client;\n}\n";
    let _ = writeln!(
        s,
        "protocol bgp monitor from rsc {{ neighbor 10.99.0.2 as {MONITOR_ASN}; ipv4 {{ import none; export filter rs_out_{MONITOR_ASN}; }}; }}"
    );
    for i in 0..a.sessions {
        let (addr, asn) = feeder(i);
        let _ = writeln!(
            s,
            "protocol bgp c{i} from rsc {{ neighbor {addr} as {asn}; ipv4 {{ import filter rs_in_{asn}; export filter rs_out_{asn}; }}; }}"
        );
    }
    s
}
