//! `rbgp collector`: a BMP monitoring station for many routers.
//!
//! ```text
//!  routers --TCP--> listener --> router::serve (one task per router:
//!  Kafka raw_bmp --> kafka::Consumer   framer + BmpSession, counters)
//!                                 |
//!                                 v  Event (bounded channels, one per output)
//!               +-----------------+------------------+
//!               v                 v                  v
//!       kafka::produce     archive::run (MRT)   ndjson::run
//!       raw_bmp + JSON     per-router files     stdout / file
//! ```
//! Every output gets every event in the order each router sent them. A
//! full output channel slows the readers (routers buffer in TCP); it never
//! drops a message. `Event::Tick` every second rotates files and flushes.

pub mod archive;
pub mod config;
pub mod json;
pub mod kafka;
pub mod metrics;
pub mod ndjson;
pub mod router;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use rbgp_bmp::openbmp::OpenBmpHeader;
use rbgp_bmp::session::Processed;
use rbgp_wire::elem::Elem;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use self::config::Config;
use self::metrics::Metrics;
use self::router::{RouterFeed, RouterId};

/// What the readers hand the outputs.
#[derive(Clone)]
pub enum Event {
    Msg(Msg),
    /// A router's connection closed.
    RouterDown(Arc<RouterId>),
    /// Once a second: Unix time.
    Tick(u64),
}

/// One BMP message of a router.
#[derive(Clone)]
pub struct Msg {
    pub router: Arc<RouterId>,
    /// When the collector read it (Unix seconds, microseconds).
    pub at: (u32, u32),
    /// The message exactly as the router sent it.
    pub raw: Arc<Vec<u8>>,
    pub p: Arc<Result<Processed, String>>,
    /// A Route Monitoring's route elements, built once for every output.
    pub elems: Arc<Vec<Elem>>,
    /// The NDJSON output's lines, when there is one.
    pub ndjson: Option<Arc<Vec<u8>>>,
    /// The JSON topic's rows, when there is one.
    pub rows: Option<Arc<Vec<Vec<u8>>>>,
}

/// Unix time now: seconds (u32 until 2106) and microseconds.
pub fn now() -> (u32, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as u32, d.subsec_micros())
}

/// What the readers render for the outputs: JSON is the costly part of
/// the work, and each router's reader runs on its own task, so routers
/// are rendered in parallel; the outputs only write.
#[derive(Default)]
pub struct Render {
    /// NDJSON lines, per element (true) or per message.
    pub ndjson: Option<bool>,
    /// JSON topic rows.
    pub rows: bool,
    /// The rows' `seq`: ranges taken per message.
    seq: std::sync::atomic::AtomicU64,
}

impl Render {
    pub fn render(&self, m: &mut Msg) {
        if let Some(elems) = self.ndjson {
            m.ndjson = Some(Arc::new(ndjson::render(m, elems)));
        }
        if self.rows {
            if let Ok(p) = m.p.as_ref() {
                // At most one row per element, plus one.
                let n = m.elems.len() as u64 + 1;
                let mut seq = self.seq.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                let mut rows = Vec::new();
                json::rows(&m.router, m.at, &mut seq, p, &m.elems, &mut rows);
                m.rows = Some(Arc::new(
                    rows.iter()
                        .filter_map(|r| serde_json::to_vec(r).ok())
                        .collect(),
                ));
            }
        }
    }
}

/// Every output's channel, and what readers render for them.
#[derive(Clone, Default)]
pub struct Fanout {
    senders: Arc<Vec<mpsc::Sender<Event>>>,
    pub render: Arc<Render>,
}

impl Fanout {
    pub async fn send(&self, ev: Event) {
        for s in self.senders.iter() {
            // An output that ended (its error is logged) is skipped.
            let _ = s.send(ev.clone()).await;
        }
    }
}

/// Events an output may hold before readers wait.
const QUEUE: usize = 4096;

#[derive(clap::Args)]
pub struct Args {
    /// A TOML file of settings (see the README); flags override it.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Listen for BMP from routers on ADDR:PORT.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// The OpenBMP collector admin id.
    #[arg(long)]
    admin_id: Option<String>,
    /// Publish to Kafka: bootstrap brokers, comma-separated.
    #[arg(long, value_delimiter = ',')]
    kafka: Vec<String>,
    /// The raw_bmp topic.
    #[arg(long)]
    raw_topic: Option<String>,
    /// The JSON topic ("" to leave it out).
    #[arg(long)]
    json_topic: Option<String>,
    /// Read OpenBMP raw_bmp from these Kafka brokers instead of (or besides) routers.
    #[arg(long, value_delimiter = ',')]
    from_kafka: Vec<String>,
    /// The topic read with --from-kafka.
    #[arg(long, default_value = "openbmp.bmp_raw")]
    from_topic: String,
    /// Write per-router MRT archives under DIR.
    #[arg(long, value_name = "DIR")]
    mrt_dir: Option<PathBuf>,
    /// Seconds per MRT update file (with --mrt-dir).
    #[arg(long, default_value_t = 300)]
    updates_interval: u32,
    /// Seconds between MRT table dumps (with --mrt-dir; 0: none).
    #[arg(long, default_value_t = 7200)]
    table_interval: u32,
    /// JSON lines of every message to FILE ("-": stdout).
    #[arg(long, value_name = "FILE")]
    ndjson: Option<PathBuf>,
    /// With --ndjson: one line per route element.
    #[arg(long)]
    elems: bool,
    /// Serve Prometheus /metrics on ADDR:PORT.
    #[arg(long)]
    metrics: Option<std::net::SocketAddr>,
}

fn mrt_from_flags(dir: &std::path::Path, a: &Args) -> Result<config::Mrt> {
    let mut t = toml::Table::new();
    t.insert("directory".into(), dir.display().to_string().into());
    t.insert(
        "updates_interval".into(),
        i64::from(a.updates_interval).into(),
    );
    t.insert("table_interval".into(), i64::from(a.table_interval).into());
    Ok(toml::Value::Table(t).try_into()?)
}

fn settings(a: &Args) -> Result<Config> {
    let mut c = match &a.config {
        Some(p) => Config::load(p)?,
        None => toml::from_str("")?,
    };
    if a.listen.is_some() {
        c.listen = a.listen;
    }
    if let Some(id) = &a.admin_id {
        c.admin_id = id.clone();
    }
    if !a.kafka.is_empty() {
        let mut k = c.kafka.take().unwrap_or(config::Kafka {
            brokers: Vec::new(),
            raw_topic: config::raw_topic(),
            json_topic: "rbgp.bmp.json".into(),
            partitions: 1,
        });
        k.brokers = a.kafka.clone();
        c.kafka = Some(k);
    }
    if let Some(k) = &mut c.kafka {
        if let Some(t) = &a.raw_topic {
            k.raw_topic = t.clone();
        }
        if let Some(t) = &a.json_topic {
            k.json_topic = t.clone();
        }
    }
    if !a.from_kafka.is_empty() {
        c.from_kafka = Some(config::FromKafka {
            brokers: a.from_kafka.clone(),
            topic: a.from_topic.clone(),
            from_beginning: true,
        });
    }
    if let Some(d) = &a.mrt_dir {
        c.mrt = Some(mrt_from_flags(d, a)?);
    }
    if let Some(p) = &a.ndjson {
        c.ndjson = Some(config::Ndjson {
            path: p.clone(),
            elems: a.elems,
        });
    }
    if a.metrics.is_some() {
        c.metrics = a.metrics;
    }
    c.check()?;
    Ok(c)
}

pub fn run(args: Args) -> Result<bool> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rskafka=warn")),
        )
        .init();
    let cfg = settings(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(serve(cfg))?;
    Ok(true)
}

async fn serve(cfg: Config) -> Result<()> {
    let metrics = Arc::new(Metrics::default());
    let mut senders = Vec::new();
    let mut outputs: JoinSet<()> = JoinSet::new();
    if let Some(k) = cfg.kafka.clone() {
        let (tx, rx) = mpsc::channel(QUEUE);
        senders.push(tx);
        let (id, group, m) = (
            cfg.admin_id.clone(),
            cfg.router_group.clone(),
            metrics.clone(),
        );
        outputs.spawn(kafka::produce(k, id, group, m, rx));
    }
    if let Some(mrt) = cfg.mrt.clone() {
        let (tx, rx) = mpsc::channel(QUEUE);
        senders.push(tx);
        let m = metrics.clone();
        outputs.spawn_blocking(move || archive::run(mrt, m, rx));
    }
    if let Some(nd) = cfg.ndjson.clone() {
        let (tx, rx) = mpsc::channel(QUEUE);
        senders.push(tx);
        outputs.spawn_blocking(move || {
            if let Err(e) = ndjson::run(nd, rx) {
                tracing::error!("ndjson output: {e}");
            }
        });
    }
    let render = Render {
        ndjson: cfg.ndjson.as_ref().map(|n| n.elems),
        rows: cfg.kafka.as_ref().is_some_and(|k| !k.json_topic.is_empty()),
        ..Render::default()
    };
    let fanout = Fanout {
        senders: Arc::new(senders),
        render: Arc::new(render),
    };
    let mut inputs: JoinSet<()> = JoinSet::new();
    if let Some(addr) = cfg.metrics {
        metrics::serve(metrics.clone(), addr).await?;
    }
    let collector_hash = router::collector_hash(&cfg.admin_id);
    if let Some(addr) = cfg.listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listen: binding {addr}"))?;
        tracing::info!("listening for BMP on {addr}");
        let (out, m) = (fanout.clone(), metrics.clone());
        inputs.spawn(async move {
            let mut routers = JoinSet::new();
            loop {
                let (s, from) = match l.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = s.set_nodelay(true);
                let r = Arc::new(RouterId::new(from.ip(), from.port(), &collector_hash));
                let stats = m.router(from.ip());
                routers.spawn(router::serve(s, from, r, stats, out.clone()));
                while routers.try_join_next().is_some() {}
            }
        });
    }
    if let Some(k) = cfg.from_kafka.clone() {
        let (out, m) = (fanout.clone(), metrics.clone());
        inputs.spawn(async move {
            if let Err(e) = from_kafka(k, out, m).await {
                tracing::error!("{e:#}");
            }
        });
    }
    let out = fanout.clone();
    inputs.spawn(async move {
        let mut t = tokio::time::interval(Duration::from_secs(1));
        loop {
            t.tick().await;
            out.send(Event::Tick(u64::from(now().0))).await;
        }
    });
    drop(fanout);
    stop_signal().await;
    tracing::info!("stopping: completing outputs");
    inputs.abort_all();
    while inputs.join_next().await.is_some() {}
    // Every sender is gone with the inputs: outputs drain and finish.
    let done = async { while outputs.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(30), done)
        .await
        .is_err()
    {
        tracing::warn!("outputs did not finish within 30 s");
    }
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// raw_bmp records from Kafka, one feed per router (address and hash).
async fn from_kafka(k: config::FromKafka, out: Fanout, metrics: Arc<Metrics>) -> Result<()> {
    let mut c = loop {
        match kafka::Consumer::connect(&k.brokers, &k.topic, k.from_beginning).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!("{e:#}; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    tracing::info!("reading raw_bmp from {:?} topic {}", k.brokers, k.topic);
    let mut feeds: HashMap<(IpAddr, [u8; 16]), (Arc<RouterId>, RouterFeed)> = HashMap::new();
    let mut fed = Vec::new();
    while let Some(records) = c.next(true).await? {
        for r in records {
            let (h, bmp) = match OpenBmpHeader::decode(&r.value) {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(
                        "kafka {}/{} offset {}: OpenBMP header: {e}",
                        k.topic,
                        r.partition,
                        r.offset
                    );
                    continue;
                }
            };
            let (id, feed) = feeds
                .entry((h.router_ip, h.router_hash))
                .or_insert_with(|| {
                    (
                        Arc::new(RouterId {
                            ip: h.router_ip,
                            port: 0,
                            hash: h.router_hash,
                        }),
                        RouterFeed::default(),
                    )
                });
            let stats = metrics.router(id.ip);
            feed.push(bmp, &mut fed);
            for f in fed.drain(..) {
                router::deliver(id, &stats, f, &out).await;
            }
        }
    }
    Ok(())
}
