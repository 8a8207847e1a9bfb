//! JSON of the generated messages (rbgpctl --json): enum fields by name.

/// The name of an enum value; implemented for every rbgp.v1 enum by
/// build.rs.
pub trait EnumName {
    fn name_of(v: i32) -> Option<&'static str>;
}

/// `serialize_with` for i32 enum fields: the value's name, or the number
/// when it is not one the API knows (a newer server).
pub fn enum_name<E: EnumName, S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
    match E::name_of(*v) {
        Some(n) => s.serialize_str(n),
        None => s.serialize_i32(*v),
    }
}
