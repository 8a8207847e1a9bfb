//! rbgp-bench: the load generator and monitor of the daemon benchmark
//! (`bench/run.sh`). `feed` announces generated tables over N sessions;
//! `monitor` times their arrival through the daemon under test; `churn`
//! adds flapping sessions and moving prefixes (case f);
//! `bmp-sink` drains a DUT's BMP export. All print JSON lines on stdout
//! for the harness.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bmp_gen;
mod bmp_sink;
mod churn;
mod config;
mod feed;
mod gen;
mod monitor;
mod mrt;
mod prefix_set;
mod rng;
mod rov;
mod session;

#[derive(Parser)]
#[command(
    name = "rbgp-bench",
    version,
    about = "BGP daemon benchmark: feeders and a monitor"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Announce generated prefixes over N sessions, then keep them up.
    Feed(feed::FeedArgs),
    /// Case f: feeders and a monitor, then flapping sessions and moving
    /// prefixes for a while, timed at the monitor.
    Churn(churn::ChurnArgs),
    /// Count prefixes received until the expected number is reached.
    Monitor(monitor::MonitorArgs),
    /// Print the DUT configuration of a policy case (p, d) for rbgpd or
    /// BIRD, from the same generated table the feeders announce.
    Config(config::ConfigArgs),
    /// Route origin validation of the generated table against a VRP file
    /// (case u's expected counts), and the 1,000-VRP delta file.
    Rov(rov::RovArgs),
    /// A BMP station that drains and counts what the DUT exports (case m).
    BmpSink(bmp_sink::SinkArgs),
    /// Write a router's BMP stream of generated tables (bench/collector.sh).
    BmpGen(bmp_gen::GenArgs),
}

fn main() -> ExitCode {
    let r = match Cli::parse().cmd {
        Cmd::Feed(a) => feed::run(&a),
        Cmd::Churn(a) => churn::run(&a),
        Cmd::Monitor(a) => monitor::run(&a),
        Cmd::Config(a) => config::run(&a),
        Cmd::Rov(a) => rov::run(&a),
        Cmd::BmpSink(a) => bmp_sink::run(&a),
        Cmd::BmpGen(a) => bmp_gen::run(&a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rbgp-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
