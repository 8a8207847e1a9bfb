//! Generates the rbgp.v1 messages and services from proto/ with protox (a
//! protobuf compiler in Rust), so building needs only cargo, no protoc.
//! The same descriptor set is written to OUT_DIR for server reflection.

use std::fmt::Write as _;
use std::path::PathBuf;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};

const PROTOS: &[&str] = &[
    "rbgp/v1/common.proto",
    "rbgp/v1/global.proto",
    "rbgp/v1/neighbor.proto",
    "rbgp/v1/rib.proto",
    "rbgp/v1/flowspec.proto",
    "rbgp/v1/injection.proto",
    "rbgp/v1/event.proto",
    "rbgp/v1/control.proto",
    "rbgp/v1/policy.proto",
    "rbgp/v1/rpki.proto",
    "rbgp/v1/bmp.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("rbgp_v1_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    let mut builder = tonic_prost_build::configure()
        .type_attribute(".rbgp.v1", "#[derive(serde::Serialize)]")
        .emit_rerun_if_changed(false);
    // JSON shows enum values by name (prost keeps them as i32 fields).
    let mut names = String::new();
    for (field, rust_enum) in enum_fields(&fds) {
        builder = builder.field_attribute(
            &field,
            format!("#[serde(serialize_with = \"crate::json::enum_name::<{rust_enum}, _>\")]"),
        );
        if !names.contains(&format!("for {rust_enum} ")) {
            writeln!(
                names,
                "impl crate::json::EnumName for {rust_enum} {{ fn name_of(v: i32) -> Option<&'static str> {{ Self::try_from(v).ok().map(|e| e.as_str_name()) }} }}"
            )?;
        }
    }
    std::fs::write(out.join("enum_names.rs"), names)?;
    // Every gRPC method path, for labels taken from request paths.
    let mut methods = String::from(
        "/// Every rbgp.v1 method, as `package.Service/Method`.\npub const METHODS: &[&str] = &[\n",
    );
    for file in &fds.file {
        for s in &file.service {
            for m in &s.method {
                writeln!(
                    methods,
                    "    \"{}.{}/{}\",",
                    file.package(),
                    s.name(),
                    m.name()
                )?;
            }
        }
    }
    methods.push_str("];\n");
    std::fs::write(out.join("methods.rs"), methods)?;
    builder.compile_fds(fds)?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}

/// Every singular enum field: (proto path, Rust path of its enum type).
fn enum_fields(fds: &FileDescriptorSet) -> Vec<(String, String)> {
    fn walk(m: &DescriptorProto, scope: &str, out: &mut Vec<(String, String)>) {
        let path = format!("{scope}.{}", m.name());
        for f in &m.field {
            if f.r#type() == Type::Enum && f.label() != Label::Repeated && !f.proto3_optional() {
                out.push((format!("{path}.{}", f.name()), rust_path(f.type_name())));
            }
        }
        for n in &m.nested_type {
            walk(n, &path, out);
        }
    }
    let mut out = Vec::new();
    for file in &fds.file {
        for m in &file.message_type {
            walk(m, &format!(".{}", file.package()), &mut out);
        }
    }
    out
}

/// `.rbgp.v1.AsSegment.Type` -> `crate::v1::as_segment::Type`: prost puts
/// a message's nested types in a snake_case module.
fn rust_path(proto: &str) -> String {
    let rest = proto.trim_start_matches(".rbgp.v1.");
    let parts: Vec<&str> = rest.split('.').collect();
    let mut path = String::from("crate::v1");
    for (i, p) in parts.iter().enumerate() {
        path.push_str("::");
        if i + 1 == parts.len() {
            path.push_str(p);
        } else {
            path.push_str(&snake(p));
        }
    }
    path
}

fn snake(camel: &str) -> String {
    let mut s = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}
