//! One module per command.

pub mod bmp;
pub mod control;
pub mod flowspec;
pub mod group;
pub mod neighbor;
pub mod policy;
pub mod rib;
pub mod rpki;
pub mod top;
pub mod watch;

/// Prints a value as pretty JSON, families as their names
/// (`"ipv4_unicast"` rather than the API's `{"afi": 1, "safi": 1}`).
pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(v)?;
    name_families(&mut v);
    outln!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// Every object that is exactly an AFI/SAFI pair becomes the family's name.
fn name_families(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            if m.len() == 2 {
                let num = |k: &str| m.get(k).and_then(Value::as_u64);
                if let (Some(afi), Some(safi)) = (num("afi"), num("safi")) {
                    if let (Ok(afi), Ok(safi)) = (u16::try_from(afi), u8::try_from(safi)) {
                        let f = rbgp_wire::AfiSafi::new(rbgp_wire::Afi(afi), rbgp_wire::Safi(safi));
                        *v = Value::String(f.to_string());
                        return;
                    }
                }
            }
            m.values_mut().for_each(name_families);
        }
        Value::Array(a) => a.iter_mut().for_each(name_families),
        _ => {}
    }
}

/// `--json` for a mutation that returns nothing to show.
pub fn done(json: bool, what: &str) -> anyhow::Result<()> {
    if json {
        print_json(&serde_json::json!({ "ok": true, "done": what }))
    } else {
        outln!("{what}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn families_print_as_names() {
        let mut v = serde_json::json!({
            "family": {"afi": 2, "safi": 1},
            "families": [{"afi": 1, "safi": 133}, {"afi": 9, "safi": 9}],
            "other": {"afi": 1, "safi": 1, "more": 2},
        });
        super::name_families(&mut v);
        assert_eq!(v["family"], "ipv6_unicast");
        assert_eq!(v["families"][0], "ipv4_flowspec");
        assert_eq!(v["families"][1], "afi9_safi9");
        assert_eq!(v["other"]["afi"], 1);
    }
}
