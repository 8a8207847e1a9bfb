//! `bunzip FILE [libbzip2]`: decompress FILE to nothing, with rbgp-bunzip
//! or (second argument) libbzip2's port, for `perf stat` comparisons.

use std::io::{BufReader, Read};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "-".into());
    let file = std::fs::File::open(&path)?;
    let mut r: Box<dyn Read> = match args.next().as_deref() {
        Some("libbzip2") => Box::new(bzip2::bufread::MultiBzDecoder::new(BufReader::new(file))),
        _ => Box::new(rbgp_bunzip::Decoder::new(file)),
    };
    let mut buf = vec![0u8; 1 << 17];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    println!("{total}");
    Ok(())
}
