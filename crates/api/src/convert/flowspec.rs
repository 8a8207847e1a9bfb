//! FlowSpecRule <-> FlowSpec NLRI plus its action extended communities
//! (RFC 8955 §7).

use std::net::IpAddr;

use rbgp_wire::attr::{Community, ExtCommunity, ExtKind};
use rbgp_wire::nlri::flowspec::{
    BitmaskMatch, BitmaskOp, Component, FlowPrefix, NumericMatch, NumericOp, ValueLen,
};
use rbgp_wire::nlri::{FlowSpec, RouteDistinguisher};
use rbgp_wire::Afi;

use super::{parse_field, parse_list};
use crate::v1::{self, flow_spec_rule};
use crate::FieldError;

/// A validated rule: the NLRI, the actions as extended communities and
/// the communities to attach.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRule {
    pub spec: FlowSpec,
    pub actions: Vec<ExtCommunity>,
    pub communities: Vec<Community>,
}

impl FlowRule {
    /// The rule's identity (its match in rbgp's text form): the key in the
    /// store and the RIB.
    pub fn key(&self) -> String {
        self.spec.to_string()
    }
}

fn value_len(n: u32, value: u64, field: &str) -> Result<ValueLen, FieldError> {
    let len = match n {
        0 => ValueLen::minimal(value),
        n => usize::try_from(n)
            .ok()
            .and_then(ValueLen::from_octets)
            .ok_or_else(|| {
                FieldError::new(format!("{field}.value_len"), "must be 0, 1, 2, 4 or 8")
            })?,
    };
    if value > len.max_value() {
        return Err(FieldError::new(
            format!("{field}.value"),
            format!("{value} does not fit {} octets", len.octets()),
        ));
    }
    Ok(len)
}

fn numeric(terms: &[v1::NumericTerm], field: &str) -> Result<Vec<NumericMatch>, FieldError> {
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = format!("{field}[{i}]");
            let op = match v1::NumericOp::try_from(t.op) {
                Ok(v1::NumericOp::Eq) => NumericOp::EQ,
                Ok(v1::NumericOp::Gt) => NumericOp::GT,
                Ok(v1::NumericOp::Ge) => NumericOp::GE,
                Ok(v1::NumericOp::Lt) => NumericOp::LT,
                Ok(v1::NumericOp::Le) => NumericOp::LE,
                Ok(v1::NumericOp::Ne) => NumericOp::NE,
                Ok(v1::NumericOp::True) => NumericOp::TRUE,
                Ok(v1::NumericOp::False) => NumericOp::FALSE,
                Ok(v1::NumericOp::Unspecified) | Err(_) => {
                    return Err(FieldError::new(
                        format!("{at}.op"),
                        "required: EQ, GT, GE, LT, LE, NE, TRUE or FALSE",
                    ))
                }
            };
            let len = value_len(t.value_len, t.value, &at)?;
            Ok(NumericMatch {
                op: NumericOp {
                    and: t.and,
                    len,
                    ..op
                },
                value: t.value,
            })
        })
        .collect()
}

fn bitmask(terms: &[v1::BitmaskTerm], field: &str) -> Result<Vec<BitmaskMatch>, FieldError> {
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let len = value_len(t.value_len, t.bitmask, &format!("{field}[{i}]"))?;
            Ok(BitmaskMatch {
                op: BitmaskOp {
                    and: t.and,
                    not: t.not,
                    match_all: t.r#match,
                    len,
                    reserved: 0,
                },
                value: t.bitmask,
            })
        })
        .collect()
}

fn flow_prefix(p: &v1::FlowPrefix, field: &str) -> Result<FlowPrefix, FieldError> {
    let at = format!("{field}.prefix");
    let (addr, len) = p
        .prefix
        .split_once('/')
        .ok_or_else(|| FieldError::new(&at, "expected ADDRESS/LENGTH"))?;
    let addr: IpAddr = parse_field(addr, &at)?;
    let len: u8 = parse_field(len, &at)?;
    let offset = u8::try_from(p.offset)
        .map_err(|_| FieldError::new(format!("{field}.offset"), "must be below 128"))?;
    FlowPrefix::new(addr, len, offset).ok_or_else(|| {
        FieldError::new(
            if offset == 0 {
                at.clone()
            } else {
                format!("{field}.offset")
            },
            "length over the address, an offset on IPv4, or an offset not below the length",
        )
    })
}

/// A numeric component's terms, field name and constructor.
type NumericList<'a> = (
    &'a [v1::NumericTerm],
    &'static str,
    fn(Vec<NumericMatch>) -> Component,
);

fn components(m: &v1::FlowSpecMatch) -> Result<Vec<Component>, FieldError> {
    let mut c = Vec::new();
    if let Some(p) = &m.destination {
        c.push(Component::DestinationPrefix(flow_prefix(
            p,
            "match.destination",
        )?));
    }
    if let Some(p) = &m.source {
        c.push(Component::SourcePrefix(flow_prefix(p, "match.source")?));
    }
    let lists: [NumericList<'_>; 9] = [
        (&m.protocol, "protocol", Component::Protocol),
        (&m.port, "port", Component::Port),
        (
            &m.destination_port,
            "destination_port",
            Component::DestinationPort,
        ),
        (&m.source_port, "source_port", Component::SourcePort),
        (&m.icmp_type, "icmp_type", Component::IcmpType),
        (&m.icmp_code, "icmp_code", Component::IcmpCode),
        (&m.packet_length, "packet_length", Component::PacketLength),
        (&m.dscp, "dscp", Component::Dscp),
        (&m.flow_label, "flow_label", Component::FlowLabel),
    ];
    for (terms, name, make) in lists {
        if !terms.is_empty() {
            c.push(make(numeric(terms, &format!("match.{name}"))?));
        }
    }
    if !m.tcp_flags.is_empty() {
        c.push(Component::TcpFlags(bitmask(
            &m.tcp_flags,
            "match.tcp_flags",
        )?));
    }
    if !m.fragment.is_empty() {
        c.push(Component::Fragment(bitmask(&m.fragment, "match.fragment")?));
    }
    // FlowSpec::new wants them in type order (RFC 8955 §4.2).
    c.sort_by_key(Component::type_code);
    Ok(c)
}

fn actions(a: &v1::FlowSpecActions) -> Result<Vec<ExtCommunity>, FieldError> {
    let mut v = Vec::new();
    if let Some(r) = &a.traffic_rate {
        let asn = u16::try_from(r.asn).map_err(|_| {
            FieldError::new(
                "actions.traffic_rate.asn",
                "must be a 2-octet AS (RFC 8955 §7.3)",
            )
        })?;
        if !r.bytes_per_second.is_finite() || r.bytes_per_second < 0.0 {
            return Err(FieldError::new(
                "actions.traffic_rate.bytes_per_second",
                "must be a finite number >= 0 (0 discards)",
            ));
        }
        v.push(ExtCommunity::traffic_rate(asn, r.bytes_per_second));
    }
    if let Some(t) = &a.traffic_action {
        v.push(ExtCommunity::traffic_action(t.sample, t.terminal));
    }
    if let Some(r) = &a.redirect {
        let ext: ExtCommunity = parse_field(&format!("redirect:{r}"), "actions.redirect")?;
        v.push(ext);
    }
    if let Some(d) = a.dscp_mark {
        let dscp = u8::try_from(d)
            .ok()
            .filter(|d| *d < 64)
            .ok_or_else(|| FieldError::new("actions.dscp_mark", "must be 0-63"))?;
        v.push(ExtCommunity::traffic_marking(dscp));
    }
    Ok(v)
}

/// Validates a rule. The family comes from `afi`, else the prefixes, else
/// IPv4.
pub fn flowspec_from_proto(r: &v1::FlowSpecRule) -> Result<FlowRule, FieldError> {
    let m = r
        .r#match
        .as_ref()
        .ok_or_else(|| FieldError::new("match", "required: at least one component"))?;
    let components = components(m)?;
    if components.is_empty() {
        return Err(FieldError::new("match", "required: at least one component"));
    }
    let from_prefixes = components.iter().find_map(|c| match c {
        Component::DestinationPrefix(p) | Component::SourcePrefix(p) => {
            Some(if p.is_ipv4() { Afi::IPV4 } else { Afi::IPV6 })
        }
        _ => None,
    });
    let afi = match flow_spec_rule::Afi::try_from(r.afi) {
        Ok(flow_spec_rule::Afi::Ipv4) => Afi::IPV4,
        Ok(flow_spec_rule::Afi::Ipv6) => Afi::IPV6,
        Ok(flow_spec_rule::Afi::Unspecified) => from_prefixes.unwrap_or(Afi::IPV4),
        Err(_) => return Err(FieldError::new("afi", format!("unknown value {}", r.afi))),
    };
    let rd = if r.rd.trim().is_empty() {
        None
    } else {
        Some(parse_field::<RouteDistinguisher>(&r.rd, "rd")?)
    };
    let spec =
        FlowSpec::new(afi, rd, components).map_err(|e| FieldError::new("match", e.to_string()))?;
    let actions = match &r.actions {
        Some(a) => actions(a)?,
        None => Vec::new(),
    };
    Ok(FlowRule {
        spec,
        actions,
        communities: parse_list(&r.communities, "communities")?,
    })
}

fn numeric_to(v: &[NumericMatch]) -> Vec<v1::NumericTerm> {
    v.iter()
        .map(|m| {
            let op = match (m.op.lt, m.op.gt, m.op.eq) {
                (false, false, false) => v1::NumericOp::False,
                (false, false, true) => v1::NumericOp::Eq,
                (false, true, false) => v1::NumericOp::Gt,
                (false, true, true) => v1::NumericOp::Ge,
                (true, false, false) => v1::NumericOp::Lt,
                (true, false, true) => v1::NumericOp::Le,
                (true, true, false) => v1::NumericOp::Ne,
                (true, true, true) => v1::NumericOp::True,
            };
            v1::NumericTerm {
                and: m.op.and,
                op: op as i32,
                value: m.value,
                value_len: wire_len(m.op.len, m.value),
            }
        })
        .collect()
}

/// 0 (shortest) unless the sender chose a longer length.
fn wire_len(len: ValueLen, value: u64) -> u32 {
    if len == ValueLen::minimal(value) {
        0
    } else {
        u32::from(u8::from(len))
    }
}

fn bitmask_to(v: &[BitmaskMatch]) -> Vec<v1::BitmaskTerm> {
    v.iter()
        .map(|m| v1::BitmaskTerm {
            and: m.op.and,
            not: m.op.not,
            r#match: m.op.match_all,
            bitmask: m.value,
            value_len: wire_len(m.op.len, m.value),
        })
        .collect()
}

fn prefix_to(p: &FlowPrefix) -> v1::FlowPrefix {
    v1::FlowPrefix {
        prefix: format!("{}/{}", p.addr(), p.len()),
        offset: u32::from(p.offset()),
    }
}

/// A rule as the API shows it, `text` filled in.
pub fn flowspec_to_proto(rule: &FlowRule) -> v1::FlowSpecRule {
    let mut m = v1::FlowSpecMatch::default();
    for c in rule.spec.components() {
        match c {
            Component::DestinationPrefix(p) => m.destination = Some(prefix_to(p)),
            Component::SourcePrefix(p) => m.source = Some(prefix_to(p)),
            Component::Protocol(v) => m.protocol = numeric_to(v),
            Component::Port(v) => m.port = numeric_to(v),
            Component::DestinationPort(v) => m.destination_port = numeric_to(v),
            Component::SourcePort(v) => m.source_port = numeric_to(v),
            Component::IcmpType(v) => m.icmp_type = numeric_to(v),
            Component::IcmpCode(v) => m.icmp_code = numeric_to(v),
            Component::TcpFlags(v) => m.tcp_flags = bitmask_to(v),
            Component::PacketLength(v) => m.packet_length = numeric_to(v),
            Component::Dscp(v) => m.dscp = numeric_to(v),
            Component::Fragment(v) => m.fragment = bitmask_to(v),
            Component::FlowLabel(v) => m.flow_label = numeric_to(v),
        }
    }
    let mut a = v1::FlowSpecActions::default();
    for ext in &rule.actions {
        match ext.kind() {
            ExtKind::TrafficRate { asn, rate } => {
                a.traffic_rate = Some(v1::TrafficRate {
                    asn: u32::from(asn),
                    bytes_per_second: rate,
                });
            }
            ExtKind::TrafficAction { sample, terminal } => {
                a.traffic_action = Some(v1::TrafficAction { sample, terminal });
            }
            ExtKind::Redirect(_) => {
                let text = ext.to_string();
                a.redirect = Some(text.strip_prefix("redirect:").unwrap_or(&text).to_string());
            }
            ExtKind::TrafficMarking { dscp } => a.dscp_mark = Some(u32::from(dscp)),
            _ => {}
        }
    }
    v1::FlowSpecRule {
        afi: if rule.spec.afi() == Afi::IPV6 {
            flow_spec_rule::Afi::Ipv6
        } else {
            flow_spec_rule::Afi::Ipv4
        } as i32,
        rd: rule.spec.rd().map(|rd| rd.to_string()).unwrap_or_default(),
        r#match: Some(m),
        actions: Some(a),
        communities: rule.communities.iter().map(ToString::to_string).collect(),
        text: rule.key(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    /// Every component through the text form, to proto and back.
    #[test]
    fn every_component_round_trips() {
        for text in [
            "destination 10.0.0.0/24 source 192.0.2.0/24 protocol =6|=17 port >=1024&<=2048 destination-port =80|=443 source-port !=0 icmp-type =8 icmp-code =0 tcp-flags =syn|!ack packet-length >1500 dscp =46 fragment is-fragment",
            "destination 2001:db8::/64 offset 8 source 2001:db8:1::/48 next-header =58 icmp-type =128 flow-label =5",
            "rd 65000:1 destination 10.1.0.0/16",
            "ipv6 packet-length true0",
        ] {
            let spec: FlowSpec = text.parse().unwrap();
            let rule = FlowRule {
                spec,
                actions: vec![
                    ExtCommunity::traffic_rate(65000, 0.0),
                    ExtCommunity::traffic_action(true, false),
                    "redirect:65000:100".parse().unwrap(),
                    ExtCommunity::traffic_marking(46),
                ],
                communities: vec![Community::BLACKHOLE],
            };
            let p = flowspec_to_proto(&rule);
            assert_eq!(p.text, rule.spec.to_string());
            assert_eq!(p.actions.as_ref().unwrap().redirect.as_deref(), Some("65000:100"));
            assert_eq!(flowspec_from_proto(&p).unwrap(), rule, "{text}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let spec: FlowSpec = "destination 10.0.0.0/24 destination-port =80"
            .parse()
            .unwrap();
        let good = flowspec_to_proto(&FlowRule {
            spec,
            actions: vec![],
            communities: vec![],
        });
        let err = |f: fn(&mut v1::FlowSpecRule)| {
            let mut r = good.clone();
            f(&mut r);
            flowspec_from_proto(&r).unwrap_err().field
        };
        assert_eq!(err(|r| r.r#match = None), "match");
        assert_eq!(
            err(|r| r.r#match.as_mut().unwrap().destination_port[0].op = 0),
            "match.destination_port[0].op"
        );
        assert_eq!(
            err(|r| r.r#match.as_mut().unwrap().destination_port[0].value_len = 3),
            "match.destination_port[0].value_len"
        );
        assert_eq!(
            err(|r| r
                .r#match
                .as_mut()
                .unwrap()
                .destination
                .as_mut()
                .unwrap()
                .prefix = "10.0.0.0/33".into()),
            "match.destination.prefix"
        );
        // flow-label is IPv6 only.
        assert_eq!(
            err(
                |r| r.r#match.as_mut().unwrap().flow_label = vec![v1::NumericTerm {
                    op: 1,
                    value: 5,
                    ..Default::default()
                }]
            ),
            "match"
        );
        assert_eq!(err(|r| r.rd = "x".into()), "rd");
        assert_eq!(
            err(|r| r.actions = Some(v1::FlowSpecActions {
                dscp_mark: Some(64),
                ..Default::default()
            })),
            "actions.dscp_mark"
        );
        assert_eq!(
            err(|r| r.actions = Some(v1::FlowSpecActions {
                redirect: Some("nope".into()),
                ..Default::default()
            })),
            "actions.redirect"
        );
        assert_eq!(
            err(|r| r.actions = Some(v1::FlowSpecActions {
                traffic_rate: Some(v1::TrafficRate {
                    asn: 70000,
                    bytes_per_second: 0.0
                }),
                ..Default::default()
            })),
            "actions.traffic_rate.asn"
        );
    }
}
