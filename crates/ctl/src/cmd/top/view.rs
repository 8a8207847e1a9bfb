//! Drawing `rbgpctl top`: a header (daemon and RIB sizes), the neighbor
//! table, recent events, the key help, and a neighbor's detail on Enter.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::model::{Model, Sort};
use crate::format;

fn count(n: u64) -> String {
    n.to_string()
}

fn rate(r: f64) -> String {
    if r == 0.0 {
        "0".into()
    } else if r < 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.0}")
    }
}

pub fn draw(f: &mut Frame<'_>, m: &Model) {
    let [head, table, events, help] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(5),
        Constraint::Length(8),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header(f, head, m);
    neighbors(f, table, m);
    let lines: Vec<Line<'_>> = m.events.iter().map(|e| Line::from(e.as_str())).collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Events ")),
        events,
    );
    let keys = if m.editing {
        format!("filter: {}_   (Enter: apply, Esc: clear)", m.filter)
    } else {
        format!(
            "q quit  ↑↓/jk select  Enter details  s sort ({}{})  r reverse  / filter{}",
            m.sort.unwrap_or(Sort::Address).name(),
            if m.reverse { ", reversed" } else { "" },
            if m.filter.is_empty() {
                String::new()
            } else {
                format!(" [{}]  Esc clear", m.filter)
            }
        )
    };
    f.render_widget(Paragraph::new(keys), help);
    if let Some(addr) = &m.detail {
        detail(f, m, addr);
    }
}

fn header(f: &mut Frame<'_>, area: Rect, m: &Model) {
    let mut lines = Vec::new();
    match &m.health {
        Some(h) => {
            lines.push(Line::from(format!(
                "rbgpd {}  up {}  neighbors {}  established {}",
                h.version,
                format::duration(h.uptime_seconds),
                h.neighbors,
                h.established
            )));
            let rib: Vec<String> = h
                .rib
                .iter()
                .map(|r| {
                    format!(
                        "{} {} routes / {} paths",
                        format::family(r.family.as_ref()),
                        r.routes,
                        r.paths
                    )
                })
                .collect();
            lines.push(Line::from(if rib.is_empty() {
                "RIB empty".to_string()
            } else {
                format!("RIB: {}", rib.join("   "))
            }));
        }
        None => lines.push(Line::from("connecting…")),
    }
    if let Some(e) = &m.error {
        lines.push(Line::styled(e.clone(), Style::default().fg(Color::Red)));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn neighbors(f: &mut Frame<'_>, area: Rect, m: &Model) {
    let head = Row::new(
        [
            "Neighbor",
            "AS",
            "State",
            "Uptime",
            "Received",
            "Accepted",
            "Sent",
            "Upd in/s",
            "Upd out/s",
            "Notif/min",
            "Description",
        ]
        .map(|h| Cell::from(h).style(Style::default().add_modifier(Modifier::BOLD))),
    );
    let rows: Vec<Row<'_>> = m
        .visible()
        .into_iter()
        .map(|r| {
            let colour = if r.established {
                Color::Green
            } else if r.admin_down {
                Color::DarkGray
            } else {
                Color::Yellow
            };
            Row::new(vec![
                Cell::from(r.address.clone()),
                Cell::from(r.asn.to_string()),
                Cell::from(if r.admin_down { "Disabled" } else { r.state })
                    .style(Style::default().fg(colour)),
                Cell::from(if r.established {
                    format::duration(r.uptime)
                } else {
                    String::new()
                }),
                Cell::from(count(r.received)),
                Cell::from(count(r.accepted)),
                Cell::from(count(r.sent)),
                Cell::from(rate(r.updates_in)),
                Cell::from(rate(r.updates_out)),
                Cell::from(rate(r.notifications_per_min)),
                Cell::from(r.description.clone()),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(26),
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    let title = format!(" Neighbors ({}) ", m.visible().len());
    let t = Table::new(rows, widths)
        .header(head)
        .block(Block::default().borders(Borders::ALL).title(title))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(m.selected));
    f.render_stateful_widget(t, area, &mut state);
}

fn detail(f: &mut Frame<'_>, m: &Model, addr: &str) {
    let area = f.area();
    let w = area.width.saturating_sub(8).min(100);
    let h = area.height.saturating_sub(4).min(26);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    };
    let mut lines: Vec<Line<'_>> = Vec::new();
    match m.status.get(addr) {
        None => lines.push(Line::from("gone")),
        Some(n) => {
            let s = n.config.as_ref().and_then(|c| c.settings.as_ref());
            lines.push(Line::from(format!(
                "AS {}  state {}{}  uptime {}",
                n.remote_asn,
                format::state(n.state),
                if n.admin_down { " (disabled)" } else { "" },
                format::duration(n.uptime_seconds)
            )));
            if let Some(d) = s.and_then(|s| s.description.as_ref()) {
                lines.push(Line::from(format!("description: {d}")));
            }
            lines.push(Line::from(format!(
                "router ID {}  hold time {}",
                if n.remote_router_id.is_empty() {
                    "-"
                } else {
                    &n.remote_router_id
                },
                n.negotiated_hold_time
            )));
            if let Some(c) = &n.capabilities {
                let fams: Vec<String> =
                    c.families.iter().map(|f| format::family(Some(f))).collect();
                lines.push(Line::from(format!("families: {}", fams.join(" "))));
                let mut caps = Vec::new();
                for (on, name) in [
                    (c.four_octet_as, "4-octet AS"),
                    (c.route_refresh, "route refresh"),
                    (c.enhanced_route_refresh, "enhanced refresh"),
                    (c.extended_message, "extended message"),
                    (c.graceful_restart, "graceful restart"),
                    (
                        !c.add_path_receive.is_empty() || !c.add_path_send.is_empty(),
                        "ADD-PATH",
                    ),
                ] {
                    if on {
                        caps.push(name);
                    }
                }
                lines.push(Line::from(format!("capabilities: {}", caps.join(", "))));
            }
            lines.push(Line::from(""));
            lines.push(Line::from("family            received  accepted      sent"));
            for c in &n.counters {
                lines.push(Line::from(format!(
                    "{:<16} {:>9} {:>9} {:>9}",
                    format::family(c.family.as_ref()),
                    c.received,
                    c.accepted,
                    c.advertised
                )));
            }
            lines.push(Line::from(""));
            let mc = |m: Option<rbgp_api::v1::MessageCounters>| {
                let m = m.unwrap_or_default();
                format!(
                    "open {} update {} keepalive {} notification {} refresh {}",
                    m.open, m.update, m.keepalive, m.notification, m.route_refresh
                )
            };
            lines.push(Line::from(format!("in:  {}", mc(n.messages_in))));
            lines.push(Line::from(format!("out: {}", mc(n.messages_out))));
            if let Some(x) = &n.last_notification_received {
                lines.push(Line::from(format!(
                    "last NOTIFICATION received: {}",
                    x.text
                )));
            }
            if let Some(x) = &n.last_notification_sent {
                lines.push(Line::from(format!("last NOTIFICATION sent: {}", x.text)));
            }
            if !n.last_error.is_empty() {
                lines.push(Line::from(format!("last error: {}", n.last_error)));
            }
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from("Esc or Enter: close"));
    f.render_widget(Clear, popup);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Neighbor {addr} ")),
        ),
        popup,
    );
}
