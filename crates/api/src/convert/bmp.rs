//! BmpStation <-> rbgp-config's BMP station (`[[bmp.collectors]]`).

use rbgp_config::{BmpCollector, BmpView};

use crate::v1::{self, BmpStation};
use crate::FieldError;

fn view_from_proto(v: i32, field: &str) -> Result<BmpView, FieldError> {
    match v1::BmpView::try_from(v) {
        Ok(v1::BmpView::PrePolicy) => Ok(BmpView::PrePolicy),
        Ok(v1::BmpView::PostPolicy) => Ok(BmpView::PostPolicy),
        Ok(v1::BmpView::LocRib) => Ok(BmpView::LocRib),
        Ok(v1::BmpView::AdjRibOut) => Ok(BmpView::AdjRibOut),
        Ok(v1::BmpView::AdjRibOutPrePolicy) => Ok(BmpView::AdjRibOutPrePolicy),
        _ => Err(FieldError::new(
            field,
            format!("{v} is not a view: PRE_POLICY, POST_POLICY, LOC_RIB, ADJ_RIB_OUT or ADJ_RIB_OUT_PRE_POLICY"),
        )),
    }
}

fn view_to_proto(v: BmpView) -> v1::BmpView {
    match v {
        BmpView::PrePolicy => v1::BmpView::PrePolicy,
        BmpView::PostPolicy => v1::BmpView::PostPolicy,
        BmpView::LocRib => v1::BmpView::LocRib,
        BmpView::AdjRibOut => v1::BmpView::AdjRibOut,
        BmpView::AdjRibOutPrePolicy => v1::BmpView::AdjRibOutPrePolicy,
    }
}

/// The station port: 0 means BMP's customary 11019.
pub fn station_port(port: u32, field: &str) -> Result<u16, FieldError> {
    match port {
        0 => Ok(11019),
        p => u16::try_from(p).map_err(|_| FieldError::new(field, "must be below 65536")),
    }
}

/// A station with the defaults for what is left unset; errors name the
/// field.
pub fn station_from_proto(s: &BmpStation) -> Result<BmpCollector, FieldError> {
    let address = super::parse_ip(&s.address, "address")?;
    let mut c = BmpCollector::new(address, station_port(s.port, "port")?);
    if !s.views.is_empty() {
        c.views = s
            .views
            .iter()
            .enumerate()
            .map(|(i, v)| view_from_proto(*v, &format!("views[{i}]")))
            .collect::<Result<_, _>>()?;
        c.views.sort();
        c.views.dedup();
    }
    if let Some(i) = s.statistics_interval {
        c.statistics_interval = i;
    }
    if s.buffer != 0 {
        c.buffer = s.buffer;
    }
    c.check("").map_err(|e| match e {
        rbgp_config::ConfigError::Invalid { field, reason } => {
            FieldError::new(field.trim_start_matches('.'), reason)
        }
        other => FieldError::new("station", other.to_string()),
    })?;
    Ok(c)
}

pub fn station_to_proto(c: &BmpCollector) -> BmpStation {
    BmpStation {
        address: c.address.to_string(),
        port: u32::from(c.port),
        views: c.views.iter().map(|v| view_to_proto(*v) as i32).collect(),
        statistics_interval: Some(c.statistics_interval),
        buffer: c.buffer,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_round_trip_and_errors_name_the_field() {
        let s = BmpStation {
            address: "192.0.2.9".into(),
            ..BmpStation::default()
        };
        let c = station_from_proto(&s).unwrap();
        assert_eq!(c.port, 11019);
        assert_eq!(c, station_from_proto(&station_to_proto(&c)).unwrap());
        let bad = |s: BmpStation| station_from_proto(&s).unwrap_err().to_string();
        assert!(bad(BmpStation {
            address: "x".into(),
            ..s.clone()
        })
        .contains("address"));
        assert!(bad(BmpStation {
            port: 70000,
            ..s.clone()
        })
        .contains("port"));
        assert!(bad(BmpStation {
            views: vec![1, 9],
            ..s.clone()
        })
        .contains("views[1]"));
        assert!(bad(BmpStation { buffer: 5, ..s }).contains("buffer"));
    }
}
