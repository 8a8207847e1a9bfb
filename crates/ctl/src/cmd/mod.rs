//! One module per command.

pub mod bmp;
pub mod control;
pub mod flowspec;
pub mod group;
pub mod neighbor;
pub mod policy;
pub mod rib;
pub mod rpki;
pub mod watch;

/// Prints a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
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
