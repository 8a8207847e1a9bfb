//! `rbgp`: offline BGP tools.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bmp;
mod bmp_json;
mod collector;
mod decode;
mod mrt;

#[derive(Parser)]
#[command(
    name = "rbgp",
    version,
    about = "BGP tools: decode BGP messages, read MRT files and BMP streams, collect BMP from routers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode BGP messages to JSON, one object per message.
    Decode(decode::Args),
    /// Route elements of MRT files (RIB dumps and updates): bgpdump -m, JSON or PSV lines.
    Mrt(mrt::Args),
    /// Decode a BMP stream (RFC 7854) to JSON, one object per message.
    Bmp(bmp::Args),
    /// A BMP station for many routers: Kafka (OpenBMP raw_bmp + JSON), MRT archives, NDJSON.
    Collector(collector::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(a) => decode::run(a),
        Command::Mrt(a) => mrt::run(a),
        Command::Bmp(a) => bmp::run(a),
        Command::Collector(a) => collector::run(a),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rbgp: {e:#}");
            ExitCode::from(2)
        }
    }
}
