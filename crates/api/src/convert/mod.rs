//! Conversions between rbgp.v1 messages and rbgp's own types. `*_from_proto`
//! validate and name the rejected field; `*_to_proto` cannot fail.

mod bmp;
mod family;
mod flowspec;
mod neighbor;
mod path;
pub mod policy;

pub use bmp::{station_from_proto, station_port, station_to_proto};
pub use family::{family_from_proto, family_to_proto};
pub use flowspec::{flowspec_from_proto, flowspec_to_proto, FlowRule};
pub use neighbor::{
    dynamic_from_proto, neighbor_from_proto, peer_group_from_proto, settings_to_proto,
};
pub use path::{
    as_path_from_proto, as_path_to_proto, path_from_proto, path_key, path_to_proto,
    prefix_from_proto, InjectedPath,
};

use crate::FieldError;

/// A text field read with its type's `FromStr` (rbgp-wire's text forms),
/// the parse error becoming a [`FieldError`] for `field`.
pub(crate) fn parse_field<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, FieldError>
where
    T::Err: std::fmt::Display,
{
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    text.parse::<T>()
        .map_err(|e| FieldError::new(field, e.to_string()))
}

/// Each element of a repeated text field, errors naming `field[i]`.
pub(crate) fn parse_list<T: std::str::FromStr, C: FromIterator<T>>(
    items: &[String],
    field: &str,
) -> Result<C, FieldError>
where
    T::Err: std::fmt::Display,
{
    items
        .iter()
        .enumerate()
        .map(|(i, s)| parse_field(s, &format!("{field}[{i}]")))
        .collect()
}

/// An IP address field.
pub fn parse_ip(text: &str, field: &str) -> Result<std::net::IpAddr, FieldError> {
    parse_field(text, field)
}

/// The fields of a SetGlobal request (`None`: left unset), validated: a
/// local AS other than 0 and AS_TRANS 23456 (RFC 7607, RFC 6793), a
/// non-zero IPv4 router ID (RFC 6286).
pub fn identity_from_proto(
    r: &crate::v1::SetGlobalRequest,
) -> Result<(Option<u32>, Option<std::net::Ipv4Addr>), FieldError> {
    let asn = match r.asn {
        Some(0) => return Err(FieldError::new("asn", "AS 0 is reserved (RFC 7607)")),
        Some(23456) => {
            return Err(FieldError::new(
                "asn",
                "AS_TRANS 23456 is not a local AS (RFC 6793)",
            ))
        }
        a => a,
    };
    let router_id = match &r.router_id {
        Some(t) => {
            let id: std::net::Ipv4Addr = parse_field(t, "router_id")?;
            if id.is_unspecified() {
                return Err(FieldError::new(
                    "router_id",
                    "must not be 0.0.0.0 (RFC 6286)",
                ));
            }
            Some(id)
        }
        None => None,
    };
    Ok((asn, router_id))
}
