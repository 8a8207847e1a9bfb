//! One timed pass over an (uncompressed) MRT file, for scripts/bench-mrt.sh:
//!
//! ```sh
//! cargo run --release -p rbgp-mrt --example bench_elems -- rbgp-elems FILE
//! ```
//!
//! Modes: `rbgp-elems` (typed records → `Elem`s), `rbgp-text` (elements
//! printed as PSV lines), `rbgp-bgpdump` (bgpdump -m lines), `bgpkit-elems`
//! (bgpkit-parser's element iterator), `bgpkit-text` (its elements printed
//! with `Display`), `bgpkit-text-once` (the same in one pass, for timing
//! the whole process), `bgpkit-records` (its records only, no elements).
//! Text goes to a sink, so output I/O is not measured.
//! Prints `mode records elements seconds records/s` on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufReader, Write};
use std::time::Instant;

use rbgp_mrt::bgpdump::Formatter;
use rbgp_mrt::elem::ElemDecoder;
use rbgp_mrt::{RawRecord, Reader};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = match args.as_slice() {
        [_, m, p] => (m.as_str(), p.as_str()),
        _ => {
            eprintln!("usage: bench_elems MODE FILE");
            std::process::exit(2);
        }
    };
    let open = || BufReader::with_capacity(1 << 17, File::open(path).unwrap());
    let mut sink = std::io::sink();
    let start = Instant::now();
    let (mut records, mut elems) = (0u64, 0u64);
    match mode {
        "rbgp-elems" | "rbgp-text" => {
            let mut rd = Reader::new(open());
            let mut dec = ElemDecoder::new();
            let mut out = Vec::new();
            let mut raw = RawRecord::default();
            let mut line = String::new();
            while rd.read_into(&mut raw).unwrap() {
                records += 1;
                let Ok(rec) = raw.decode() else { continue };
                out.clear();
                dec.decode(&rec, &mut out);
                elems += out.len() as u64;
                if mode == "rbgp-text" {
                    for e in &out {
                        use std::fmt::Write as _;
                        line.clear();
                        let _ = writeln!(
                            line,
                            "{}|{}|{}|{}|{:?}|{:?}|{:?}",
                            e.timestamp,
                            e.peer_ip,
                            e.peer_asn,
                            e.nlri,
                            e.as_path,
                            e.next_hop,
                            e.communities
                        );
                        sink.write_all(line.as_bytes()).unwrap();
                    }
                }
            }
            dec.take_issues();
        }
        "rbgp-bgpdump" => {
            let mut rd = Reader::new(open());
            let mut f = Formatter::new();
            let mut buf = Vec::with_capacity(1 << 16);
            while let Some((h, body)) = rd.next_ref().unwrap() {
                records += 1;
                f.format(&h, body, &mut buf);
                if buf.len() > 1 << 15 {
                    sink.write_all(&buf).unwrap();
                    buf.clear();
                }
                f.take_notes();
            }
            // Lines are not counted here (a pass over the text would be timed).
        }
        "bgpkit-records" => {
            // Parse only: bgpkit's records, no elements.
            let p = bgpkit_parser::BgpkitParser::from_reader(open());
            for r in p.into_record_iter() {
                records += 1;
                let _ = r;
            }
        }
        "bgpkit-text-once" => {
            // One element pass, as a user runs it: for whole-process timing.
            let p = bgpkit_parser::BgpkitParser::from_reader(open());
            for e in p.into_elem_iter() {
                elems += 1;
                writeln!(sink, "{e}").unwrap();
            }
        }
        "bgpkit-elems" | "bgpkit-text" => {
            let p = bgpkit_parser::BgpkitParser::from_reader(open());
            for r in p.into_record_iter() {
                records += 1;
                let _ = r;
            }
            // Records and elements in two passes would double the work:
            // count records in a cheap pass, time the element pass alone.
            let start = Instant::now();
            let p = bgpkit_parser::BgpkitParser::from_reader(open());
            for e in p.into_elem_iter() {
                elems += 1;
                if mode == "bgpkit-text" {
                    writeln!(sink, "{e}").unwrap();
                }
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{mode} {records} {elems} {secs:.3} {:.0}",
                records as f64 / secs
            );
            return;
        }
        other => panic!("unknown mode {other}"),
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode} {records} {elems} {secs:.3} {:.0}",
        records as f64 / secs
    );
}
