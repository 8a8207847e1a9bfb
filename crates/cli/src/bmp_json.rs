//! A BMP message as `rbgp bmp` prints it: the message's own fields, and
//! for a Route Monitoring its UPDATE in `rbgp decode`'s form with the
//! context it was read with. Shared by `rbgp bmp` and the collector's
//! NDJSON output.

use anyhow::Result;
use rbgp_bmp::session::Processed;
use rbgp_bmp::BmpMessage;
use serde_json::{json, Map, Value};

/// A message as JSON; a Route Monitoring's UPDATE in `rbgp decode`'s form
/// with the context it was read with.
pub fn message_json(p: &Processed) -> Result<Value> {
    let mut v = serde_json::to_value(&p.message)?;
    let Value::Object(m) = &mut v else {
        return Ok(v);
    };
    if let BmpMessage::RouteMonitoring(rm) = &p.message {
        m.insert("length".into(), json!(rm.pdu.len()));
        match &p.update {
            Some(Ok(u)) => {
                m.remove("pdu");
                m.insert("update".into(), crate::decode::update_json(&u.update));
                let mut c = Map::new();
                c.insert("source".into(), serde_json::to_value(u.source)?);
                c.insert("four_octet_as".into(), json!(u.context.four_octet_as));
                c.insert(
                    "add_path".into(),
                    serde_json::to_value(u.context.add_path_families())?,
                );
                m.insert("context".into(), Value::Object(c));
                if !u.verdict.is_clean() {
                    m.insert("rfc7606".into(), serde_json::to_value(&u.verdict)?);
                }
                if let Some(f) = u.update.is_end_of_rib() {
                    m.insert("end_of_rib".into(), serde_json::to_value(f)?);
                }
            }
            Some(Err(e)) => {
                m.insert("error".into(), json!(e.to_string()));
            }
            None => {}
        }
    }
    if !p.warnings.is_empty() {
        m.insert("warnings".into(), json!(p.warnings));
    }
    Ok(v)
}
