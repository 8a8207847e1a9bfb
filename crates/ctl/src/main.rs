//! rbgpctl: the command-line client of rbgpd's gRPC API (docs/API.md).
//! Tables on a terminal, plain text when piped, `--json` everywhere.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

/// `println!` that ends the program quietly when stdout is closed
/// (`rbgpctl rib | head`) instead of panicking on EPIPE.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod cmd;
mod connect;
mod format;
mod table;

#[derive(Parser)]
#[command(
    name = "rbgpctl",
    version,
    about = "Control rbgpd through its gRPC API"
)]
pub struct Cli {
    /// unix:///path/to/rbgpd.sock or https://host:port (default: RBGPCTL_SOCKET's
    /// path, else the built-in configuration's socket).
    #[arg(short, long, global = true, env = "RBGPCTL_SERVER", default_value_t = connect::default_socket())]
    server: String,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// https: CA certificate (PEM) the server's certificate chains to.
    #[arg(long, global = true)]
    ca: Option<PathBuf>,
    /// https: client certificate (PEM) for mTLS.
    #[arg(long, global = true, requires = "key")]
    cert: Option<PathBuf>,
    /// https: the client certificate's private key (PEM).
    #[arg(long, global = true, requires = "cert")]
    key: Option<PathBuf>,
    /// File holding the bearer token of a token listener.
    #[arg(long, global = true, env = "RBGPCTL_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Neighbors: a table, one neighbor's details, or a change.
    Neighbor(cmd::neighbor::Args),
    /// Peer groups: list, `add NAME --asn N ...`, `delete NAME`.
    PeerGroup(cmd::group::GroupArgs),
    /// Dynamic-neighbor ranges: list, `add PREFIX --group NAME`, `delete PREFIX`.
    Dynamic(cmd::group::DynamicArgs),
    /// The RIB: list, explain, add and delete paths.
    Rib(cmd::rib::Args),
    /// FlowSpec rules: `flowspec add MATCH... then ACTION...`.
    Flowspec(cmd::flowspec::Args),
    /// Live route changes and session events.
    Watch(cmd::watch::Args),
    /// Routing policy: list, show, set FILE, delete, attachments,
    /// attach/detach chains, test a route.
    Policy(cmd::policy::Args),
    /// Defined sets (prefixes, AS paths, ASNs, communities, addresses):
    /// list, `add KIND NAME ENTRY...`, `delete KIND NAME`.
    Set(cmd::policy::SetArgs),
    /// RPKI: where the data comes from and how fresh it is; `rpki validate
    /// PREFIX ASN` for a route's origin validation state.
    Rpki(cmd::rpki::Args),
    /// BMP stations rbgpd exports to: list, `add ADDRESS [--views ...]`,
    /// `delete ADDRESS`.
    Bmp(cmd::bmp::Args),
    /// rbgpd's AS, router ID, listeners and state directory; `global set`
    /// changes the AS or router ID (stored; affected sessions restart).
    Global {
        #[command(subcommand)]
        set: Option<cmd::control::GlobalCmd>,
    },
    /// Is rbgpd up?
    Health,
    /// Stop rbgpd (Cease/Administrative Shutdown to every peer); with
    /// --graceful (RFC 8326) first send every route again with
    /// GRACEFUL_SHUTDOWN and wait for the peers to move their traffic.
    Shutdown {
        /// RFC 9003 shutdown communication.
        #[arg(long)]
        message: Option<String>,
        #[arg(long)]
        graceful: bool,
        /// Seconds between the re-sent routes and the close (default 30).
        #[arg(long, requires = "graceful")]
        wait: Option<u32>,
    },
    /// Re-read rbgpd's configuration file.
    Reload,
    /// A live dashboard: neighbors (state, uptime, prefixes, UPDATE
    /// rates), RIB sizes, recent events; keys to sort, filter and open a
    /// neighbor.
    Top(cmd::top::Args),
    /// MRT: `mrt dump` writes a TABLE_DUMP_V2 file of the RIB now.
    Mrt {
        #[command(subcommand)]
        cmd: cmd::control::MrtCmd,
    },
    /// Shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // gRPC statuses carry the server's explanation (the field for
            // INVALID_ARGUMENT): show it without the transport noise.
            match e.downcast_ref::<tonic::Status>() {
                Some(s) => eprintln!("rbgpctl: {:?}: {}", s.code(), s.message()),
                None => eprintln!("rbgpctl: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "rbgpctl", &mut script);
        outln!("{}", String::from_utf8_lossy(&script).trim_end());
        return Ok(());
    }
    let token = match &cli.token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let target = connect::Target {
        server: cli.server.clone(),
        ca: cli.ca.clone(),
        cert: cli.cert.clone(),
        key: cli.key.clone(),
        token,
    };
    let mut c = connect::connect(&target).await?;
    let json = cli.json;
    match cli.command {
        Command::Neighbor(a) => cmd::neighbor::run(&mut c, a, json).await,
        Command::PeerGroup(a) => cmd::group::peer_group(&mut c, a, json).await,
        Command::Dynamic(a) => cmd::group::dynamic(&mut c, a, json).await,
        Command::Rib(a) => cmd::rib::run(&mut c, a, json).await,
        Command::Flowspec(a) => cmd::flowspec::run(&mut c, a, json).await,
        Command::Watch(a) => cmd::watch::run(&mut c, a, json).await,
        Command::Top(a) => cmd::top::run(&mut c, a).await,
        Command::Policy(a) => cmd::policy::policy(&mut c, a, json).await,
        Command::Set(a) => cmd::policy::sets(&mut c, a, json).await,
        Command::Rpki(a) => cmd::rpki::run(&mut c, a, json).await,
        Command::Bmp(a) => cmd::bmp::run(&mut c, a, json).await,
        Command::Global { set } => cmd::control::global(&mut c, set, json).await,
        Command::Health => cmd::control::health(&mut c, json).await,
        Command::Shutdown {
            message,
            graceful,
            wait,
        } => {
            let graceful = graceful.then_some(wait.unwrap_or(0));
            cmd::control::shutdown(&mut c, message, graceful, json).await
        }
        Command::Reload => cmd::control::reload(&mut c, json).await,
        Command::Mrt { cmd } => cmd::control::mrt(&mut c, cmd, json).await,
        Command::Completions { .. } => Ok(()),
    }
}
