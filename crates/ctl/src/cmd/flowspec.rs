//! `rbgpctl flowspec add|delete|list`: the match in rbgp-wire's FlowSpec
//! text form, then the actions:
//!
//! ```text
//! rbgpctl flowspec add destination 203.0.113.0/24 protocol =17 destination-port =53 then rate 1000000
//! rbgpctl flowspec add destination 203.0.113.7/32 then discard
//! rbgpctl flowspec add source 198.51.100.0/24 then redirect 65000:666 mark 0 action sample,terminal
//! ```

use rbgp_api::convert::{flowspec_to_proto, FlowRule};
use rbgp_api::v1::*;
use rbgp_wire::attr::{Community, ExtCommunity};
use rbgp_wire::nlri::FlowSpec;

use super::{done, print_json};
use crate::connect::Clients;
use crate::table::Table;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    sub: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// MATCH... then ACTION...: actions are `discard`, `rate BYTES/S`,
    /// `redirect RT`, `mark DSCP`, `action sample|terminal|sample,terminal`,
    /// `community C` (repeatable).
    Add {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        words: Vec<String>,
    },
    /// MATCH...: the rule with exactly this match.
    Delete {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        words: Vec<String>,
    },
    List,
}

/// Splits `MATCH... then ACTION...` and parses both halves.
pub fn parse_rule(words: &[String]) -> anyhow::Result<FlowRule> {
    let (m, then) = match words.iter().position(|w| w == "then") {
        Some(i) => (
            words.get(..i).unwrap_or(&[]),
            words.get(i + 1..).unwrap_or(&[]),
        ),
        None => (words, &[][..]),
    };
    let spec: FlowSpec = m.join(" ").parse()?;
    let mut actions = Vec::new();
    let mut communities = Vec::new();
    let mut it = then.iter();
    while let Some(w) = it.next() {
        let mut arg = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("then {w}: needs a value"))
        };
        match w.as_str() {
            "discard" => actions.push(ExtCommunity::traffic_rate(0, 0.0)),
            "rate" => {
                let r: f32 = arg()?
                    .parse()
                    .map_err(|_| anyhow::anyhow!("then rate: bytes per second"))?;
                actions.push(ExtCommunity::traffic_rate(0, r));
            }
            "redirect" => actions.push(format!("redirect:{}", arg()?).parse()?),
            "mark" => actions.push(format!("mark:{}", arg()?).parse()?),
            "action" => actions.push(format!("action:{}", arg()?).parse()?),
            "community" => communities.push(arg()?.parse::<Community>()?),
            other => anyhow::bail!(
                "then {other}: expected discard, rate, redirect, mark, action or community"
            ),
        }
    }
    Ok(FlowRule {
        spec,
        actions,
        communities,
    })
}

pub async fn run(c: &mut Clients, a: Args, json: bool) -> anyhow::Result<()> {
    match a.sub {
        Sub::Add { words } => {
            let rule = parse_rule(&words)?;
            let text = rule.key();
            c.injection
                .add_flow_spec(AddFlowSpecRequest {
                    rule: Some(flowspec_to_proto(&rule)),
                })
                .await?;
            done(json, &format!("flowspec {text} added"))
        }
        Sub::Delete { words } => {
            let rule = parse_rule(&words)?;
            let r = c
                .injection
                .delete_flow_spec(DeleteFlowSpecRequest {
                    rule: Some(flowspec_to_proto(&rule)),
                })
                .await?
                .into_inner();
            if json {
                return print_json(&r);
            }
            outln!(
                "flowspec {} {}",
                rule.key(),
                if r.existed {
                    "deleted"
                } else {
                    "was not added"
                }
            );
            Ok(())
        }
        Sub::List => {
            let r = c
                .injection
                .list_flow_spec(ListFlowSpecRequest {})
                .await?
                .into_inner();
            if json {
                return print_json(&r.rules);
            }
            let mut t = Table::new(&["Match", "Actions"]);
            for rule in &r.rules {
                t.row(vec![
                    rule.text.clone().into(),
                    actions_text(rule.actions.as_ref()).into(),
                ]);
            }
            t.print();
            Ok(())
        }
    }
}

fn actions_text(a: Option<&FlowSpecActions>) -> String {
    let Some(a) = a else { return String::new() };
    let mut v = Vec::new();
    if let Some(r) = &a.traffic_rate {
        v.push(if r.bytes_per_second == 0.0 {
            "discard".to_string()
        } else {
            format!("rate {}", r.bytes_per_second)
        });
    }
    if let Some(r) = &a.redirect {
        v.push(format!("redirect {r}"));
    }
    if let Some(d) = a.dscp_mark {
        v.push(format!("mark {d}"));
    }
    if let Some(t) = &a.traffic_action {
        v.push(format!(
            "action {}{}",
            if t.sample { "sample" } else { "" },
            if t.terminal { ",terminal" } else { "" }
        ));
    }
    v.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn match_then_actions() {
        let r = parse_rule(&words(
            "destination 203.0.113.0/24 protocol =17 destination-port =53 then rate 1000 redirect 65000:666 mark 46 action sample community 65535:666",
        ))
        .unwrap();
        assert_eq!(
            r.key(),
            "destination 203.0.113.0/24 protocol =17 destination-port =53"
        );
        let p = flowspec_to_proto(&r);
        let a = p.actions.unwrap();
        assert_eq!(a.traffic_rate.unwrap().bytes_per_second, 1000.0);
        assert_eq!(a.redirect.as_deref(), Some("65000:666"));
        assert_eq!(a.dscp_mark, Some(46));
        assert!(a.traffic_action.unwrap().sample);
        assert_eq!(p.communities, vec!["blackhole"]);
        assert!(parse_rule(&words("destination 10.0.0.0/8 then explode")).is_err());
        assert!(parse_rule(&words("destination 10.0.0.0/8 then rate")).is_err());
        assert!(parse_rule(&words("then discard")).is_err());
    }
}
