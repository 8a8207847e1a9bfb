//! `[looking_glass]`: rbgpd's read-only HTTP listener: a birdwatcher-
//! compatible REST API (what Alice-LG reads) and a web page.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::{invalid, ConfigError};

/// The looking glass listener. Like the API it serves only loopback unless
/// told otherwise: a listener on another address needs TLS, a token, or
/// `public = true` to say that anyone may read the routes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookingGlass {
    /// e.g. "127.0.0.1:29184".
    pub listen: SocketAddr,
    /// PEM certificate chain: serve HTTPS (with `key`).
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert`.
    pub key: Option<PathBuf>,
    /// A file whose content (trimmed) clients send as
    /// `authorization: Bearer TOKEN` or `?token=TOKEN`.
    pub token_file: Option<PathBuf>,
    /// Serve a non-loopback address without TLS or token.
    #[serde(default)]
    pub public: bool,
    /// The first field of the large community that tells why a filtered
    /// route was rejected (`ASN:65666:CODE`, as IXPs and Alice-LG's
    /// `[rejection_reasons]` encode it); default: `global.asn`.
    pub reject_asn: Option<u32>,
    /// Reason codes per deciding policy term: keys "POLICY/TERM",
    /// "POLICY" (its default), "chain" (the chain's default),
    /// "no_policy" (RFC 8212), "rules" (loops, leaks...), "family".
    /// A reason not listed gets code 0.
    #[serde(default)]
    pub reject_reasons: BTreeMap<String, u32>,
}

/// The middle field of a filtered route's reason community (the value
/// Alice-LG's configurations use for `reject_id`).
pub const REJECT_ID: u32 = 65666;

impl LookingGlass {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        match (&self.cert, &self.key) {
            (Some(_), None) => return Err(invalid("looking_glass.key", "cert needs key")),
            (None, Some(_)) => return Err(invalid("looking_glass.cert", "key needs cert")),
            _ => {}
        }
        let guarded = self.cert.is_some() || self.token_file.is_some();
        if !self.listen.ip().is_loopback() && !guarded && !self.public {
            return Err(invalid(
                "looking_glass.public",
                format!(
                    "{} is not a loopback address: set cert and key, token_file, or public = true to let anyone read the routes",
                    self.listen
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn parse(lg: &str) -> Result<Config, crate::ConfigError> {
        Config::parse(&format!(
            "[global]\nasn = 65000\nrouter_id = \"192.0.2.1\"\n[looking_glass]\n{lg}"
        ))
    }

    #[test]
    fn loopback_is_served_without_more() {
        let c = parse("listen = \"127.0.0.1:29184\"").unwrap();
        let lg = c.looking_glass.unwrap();
        assert_eq!(lg.listen.port(), 29184);
        assert!(lg.reject_reasons.is_empty());
    }

    #[test]
    fn other_addresses_need_a_guard_or_public() {
        let e = parse("listen = \"0.0.0.0:80\"").unwrap_err().to_string();
        assert!(e.contains("looking_glass.public"), "{e}");
        parse("listen = \"0.0.0.0:80\"\npublic = true").unwrap();
        parse("listen = \"0.0.0.0:80\"\ntoken_file = \"/etc/rbgp/lg.token\"").unwrap();
    }

    #[test]
    fn half_a_tls_setup_names_the_missing_key() {
        let e = parse("listen = \"127.0.0.1:1\"\ncert = \"c.pem\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("looking_glass.key"), "{e}");
    }

    #[test]
    fn reason_codes_are_read() {
        let c = parse(
            "listen = \"127.0.0.1:1\"\nreject_asn = 9033\n[looking_glass.reject_reasons]\n\"rs-import/bogons\" = 2\nno_policy = 9",
        )
        .unwrap();
        let lg = c.looking_glass.unwrap();
        assert_eq!(lg.reject_asn, Some(9033));
        assert_eq!(lg.reject_reasons.get("rs-import/bogons"), Some(&2));
        assert_eq!(lg.reject_reasons.get("no_policy"), Some(&9));
    }
}
