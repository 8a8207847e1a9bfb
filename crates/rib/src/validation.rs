//! RPKI validation states kept per received path: route origin
//! validation (RFC 6811) and ASPA path verification
//! (draft-ietf-sidrops-aspa-verification). The RIB only stores them (two
//! bytes in the path's padding); the daemon computes them and policy
//! matches on them.

/// Route origin validation state (RFC 6811 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rpki {
    Valid,
    Invalid,
    #[default]
    NotFound,
}

/// ASPA path verification state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Aspa {
    Valid,
    Invalid,
    #[default]
    Unknown,
}

/// Both states of one path. The default is what a path has while no RPKI
/// data is loaded: not-found and unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Validation {
    pub rpki: Rpki,
    pub aspa: Aspa,
}

/// Text names for a fieldless enum: `ALL`, `name()`, `Display` and
/// `FromStr` (whose error lists the names). Exported for the other enums
/// policy reads from text (`rbgp_policy::Source`).
#[macro_export]
macro_rules! text_enum {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            pub fn name(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
        }
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl ::std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok(<$t>::$v),)*
                    _ => Err(format!(
                        "{s:?}: expected one of {}",
                        [$($s),*].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(Rpki { Valid = "valid", Invalid = "invalid", NotFound = "not-found" });
text_enum!(Aspa { Valid = "valid", Invalid = "invalid", Unknown = "unknown" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Rpki::ALL {
            assert_eq!(r.name().parse::<Rpki>(), Ok(*r));
        }
        for a in Aspa::ALL {
            assert_eq!(a.to_string().parse::<Aspa>(), Ok(*a));
        }
        assert!("notfound"
            .parse::<Rpki>()
            .unwrap_err()
            .contains("not-found"));
        assert_eq!(Validation::default().rpki, Rpki::NotFound);
        // The states fit in the path's padding.
        assert_eq!(std::mem::size_of::<crate::Path>(), 24);
    }
}
