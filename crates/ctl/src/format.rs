//! Text forms for tables: AS paths, states, durations.

use rbgp_api::v1::{self, as_segment, SessionState};

pub fn as_path(segs: &[v1::AsSegment]) -> String {
    segs.iter()
        .map(|s| {
            let asns: Vec<String> = s.asns.iter().map(u32::to_string).collect();
            let body = asns.join(" ");
            match as_segment::Type::try_from(s.r#type) {
                Ok(as_segment::Type::AsSet) => format!("{{{body}}}"),
                Ok(as_segment::Type::ConfedSequence) => format!("({body})"),
                Ok(as_segment::Type::ConfedSet) => format!("[{body}]"),
                _ => body,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn state(s: i32) -> &'static str {
    match SessionState::try_from(s) {
        Ok(SessionState::Idle) => "Idle",
        Ok(SessionState::Connect) => "Connect",
        Ok(SessionState::Active) => "Active",
        Ok(SessionState::OpenSent) => "OpenSent",
        Ok(SessionState::OpenConfirm) => "OpenConfirm",
        Ok(SessionState::Established) => "Established",
        _ => "?",
    }
}

/// `3d04h`, `02:10:05`, or `never`.
pub fn duration(secs: u64) -> String {
    if secs == 0 {
        return "never".into();
    }
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

pub fn family(f: Option<&v1::Family>) -> String {
    f.and_then(|f| {
        let afi = u16::try_from(f.afi).ok()?;
        let safi = u8::try_from(f.safi).ok()?;
        Some(rbgp_wire::AfiSafi::new(rbgp_wire::Afi(afi), rbgp_wire::Safi(safi)).to_string())
    })
    .unwrap_or_default()
}

/// A policy disposition's name.
pub fn disposition(d: i32) -> String {
    match v1::Disposition::try_from(d) {
        Ok(v1::Disposition::Accept) => "accept".into(),
        Ok(v1::Disposition::Reject) => "reject".into(),
        _ => "next".into(),
    }
}

/// An RPKI origin validation state as a table cell (empty where it does
/// not apply).
pub fn rpki(s: v1::RpkiState) -> crate::table::Cell {
    use crate::table::{toned, Tone};
    match s {
        v1::RpkiState::Unspecified => "".into(),
        v1::RpkiState::NotFound => toned("not-found", Tone::Dim),
        v1::RpkiState::Valid => toned("valid", Tone::Good),
        v1::RpkiState::Invalid => toned("invalid", Tone::Bad),
    }
}

/// An ASPA verification state as a table cell.
pub fn aspa(s: v1::AspaState) -> crate::table::Cell {
    use crate::table::{toned, Tone};
    match s {
        v1::AspaState::Unspecified => "".into(),
        v1::AspaState::Unknown => toned("unknown", Tone::Dim),
        v1::AspaState::Valid => toned("valid", Tone::Good),
        v1::AspaState::Invalid => toned("invalid", Tone::Bad),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn texts() {
        let p = vec![
            v1::AsSegment {
                r#type: 0,
                asns: vec![65001, 65002],
            },
            v1::AsSegment {
                r#type: 1,
                asns: vec![1, 2],
            },
        ];
        assert_eq!(as_path(&p), "65001 65002 {1 2}");
        assert_eq!(duration(0), "never");
        assert_eq!(duration(3725), "01:02:05");
        assert_eq!(duration(3 * 86400 + 4 * 3600), "3d04h");
        assert_eq!(state(6), "Established");
    }
}
