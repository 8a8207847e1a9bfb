//! Kafka in and out, with rskafka (a pure-Rust client speaking the Kafka
//! protocol's record batches, Kafka 0.11 and later).
//!
//! Out: every BMP message as an OpenBMP `raw_bmp` v1.7 record (header,
//! then the message exactly as the router sent it: one message per record,
//! as OpenBMP's readers expect a row count of 1), and the parsed messages
//! as JSON objects ([`super::json`]) on a second topic. The record key is
//! the router hash in hex and the partition follows from it, so one
//! router's messages stay in order on one partition.
//!
//! In: raw_bmp records of every partition, from the oldest kept or from
//! now on, handed out with their OpenBMP header.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use rbgp_bmp::openbmp::OpenBmpHeader;
use rskafka::client::partition::{Compression, OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;
use tokio::sync::mpsc;

use super::config::Kafka;
use super::metrics::Metrics;
use super::router::RouterId;
use super::{Event, Msg};

/// Up to this many messages go out in one produce request per partition
/// (a full-table UPDATE makes a hundred JSON rows or more: batches stay a
/// few MB).
const BATCH: usize = 1024;

async fn connect(brokers: &[String]) -> Client {
    let mut wait = Duration::from_millis(500);
    loop {
        match ClientBuilder::new(brokers.to_vec())
            .client_id("rbgp-collector")
            .build()
            .await
        {
            Ok(c) => return c,
            Err(e) => {
                tracing::warn!("kafka: connecting to {brokers:?}: {e}; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// The partitions of `topic`, created with `create` partitions if missing.
async fn partitions(
    client: &Client,
    topic: &str,
    create: i32,
) -> Result<Vec<Arc<PartitionClient>>> {
    let topics = client
        .list_topics()
        .await
        .context("kafka: listing topics")?;
    let n = match topics.iter().find(|t| t.name == topic) {
        Some(t) => t.partitions.len() as i32,
        None => {
            tracing::info!("kafka: creating topic {topic} ({create} partitions)");
            client
                .controller_client()
                .context("kafka: controller")?
                .create_topic(topic, create, 1, 5_000)
                .await
                .with_context(|| format!("kafka: creating topic {topic}"))?;
            create
        }
    };
    let mut v = Vec::new();
    for p in 0..n.max(1) {
        v.push(Arc::new(
            client
                .partition_client(topic.to_string(), p, UnknownTopicHandling::Retry)
                .await
                .with_context(|| format!("kafka: partition {p} of {topic}"))?,
        ));
    }
    Ok(v)
}

/// The partition a router's records go to.
fn partition_of(r: &RouterId, n: usize) -> usize {
    let [a, b, c, d, ..] = r.hash;
    (u32::from_be_bytes([a, b, c, d]) as usize) % n.max(1)
}

fn timestamp(at: (u32, u32)) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(i64::from(at.0), at.1.min(999_999) * 1000).unwrap_or_default()
}

/// The raw_bmp record value of one message.
pub fn raw_bmp(m: &Msg, admin_id: &str, group: &str, collector_hash: [u8; 16]) -> Vec<u8> {
    let mut h = OpenBmpHeader::new(m.router.ip, admin_id, group);
    h.collector_ts_sec = m.at.0;
    h.collector_ts_usec = m.at.1;
    h.collector_hash = collector_hash;
    h.router_hash = m.router.hash;
    let mut v = Vec::with_capacity(m.raw.len() + 128);
    h.encode(&m.raw, &mut v);
    v
}

struct Topic {
    name: String,
    parts: Vec<Arc<PartitionClient>>,
}

/// Produce until the channel closes (then flush what is left).
pub async fn produce(
    cfg: Kafka,
    admin_id: String,
    group: String,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Event>,
) {
    let collector_hash = super::router::collector_hash(&admin_id);
    let client = connect(&cfg.brokers).await;
    let mut topics = Vec::new();
    for name in [&cfg.raw_topic, &cfg.json_topic] {
        if name.is_empty() {
            continue;
        }
        loop {
            match partitions(&client, name, cfg.partitions).await {
                Ok(parts) => {
                    topics.push(Topic {
                        name: name.clone(),
                        parts,
                    });
                    break;
                }
                Err(e) => {
                    tracing::warn!("{e:#}; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    tracing::info!("kafka: producing to {:?}", cfg.brokers);
    let enc = Encoder {
        raw_topic: cfg.raw_topic.clone(),
        admin_id,
        group,
        collector_hash,
    };
    let mut events = Vec::with_capacity(BATCH);
    loop {
        events.clear();
        if rx.recv_many(&mut events, BATCH).await == 0 {
            return;
        }
        let out = enc.records(&topics, &events);
        for ((ti, p), records) in out {
            let Some(pc) = topics.get(ti).and_then(|t| t.parts.get(p)) else {
                continue;
            };
            let n = records.len() as u64;
            let mut records = records;
            let mut wait = Duration::from_millis(200);
            // A produce that fails is retried with the records built again
            // (no copy is kept). The
            // channel fills meanwhile and routers are read more slowly
            // (TCP holds what they send).
            loop {
                match pc.produce(records, Compression::NoCompression).await {
                    Ok(_) => break,
                    Err(e) => {
                        metrics.kafka_errors.fetch_add(1, Relaxed);
                        tracing::warn!(
                            "kafka: producing to {} partition {p}: {e}; retrying",
                            pc.topic()
                        );
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(10));
                        records = enc
                            .records(&topics, &events)
                            .remove(&(ti, p))
                            .unwrap_or_default();
                    }
                }
            }
            metrics.kafka_records.fetch_add(n, Relaxed);
        }
    }
}

/// Builds the records of a batch of events.
struct Encoder {
    raw_topic: String,
    admin_id: String,
    group: String,
    collector_hash: [u8; 16],
}

impl Encoder {
    /// (topic index, partition) -> records, in arrival order.
    fn records(&self, topics: &[Topic], events: &[Event]) -> BTreeMap<(usize, usize), Vec<Record>> {
        let mut out: BTreeMap<(usize, usize), Vec<Record>> = BTreeMap::new();
        for ev in events {
            let Event::Msg(m) = ev else {
                continue;
            };
            let key = hex::encode(m.router.hash).into_bytes();
            let ts = timestamp(m.at);
            for (ti, t) in topics.iter().enumerate() {
                let p = partition_of(&m.router, t.parts.len());
                let values = if t.name == self.raw_topic {
                    vec![raw_bmp(m, &self.admin_id, &self.group, self.collector_hash)]
                } else {
                    // Rendered by the router's reader.
                    m.rows.as_deref().cloned().unwrap_or_default()
                };
                for value in values {
                    out.entry((ti, p)).or_default().push(Record {
                        key: Some(key.clone()),
                        value: Some(value),
                        headers: BTreeMap::new(),
                        timestamp: ts,
                    });
                }
            }
        }
        out
    }
}

/// One raw_bmp record read back.
pub struct RawRecord {
    pub partition: i32,
    pub offset: i64,
    pub value: Vec<u8>,
}

/// A reader of `topic`: every partition from the oldest record kept
/// (`from_beginning`) or from the end.
pub struct Consumer {
    topic: String,
    /// (client, next offset, read up to the high watermark)
    parts: Vec<(PartitionClient, i64, bool)>,
}

impl Consumer {
    pub async fn connect(
        brokers: &[String],
        topic: &str,
        from_beginning: bool,
    ) -> Result<Consumer> {
        let client = ClientBuilder::new(brokers.to_vec())
            .client_id("rbgp-collector")
            .build()
            .await
            .with_context(|| format!("kafka: connecting to {brokers:?}"))?;
        let topics = client
            .list_topics()
            .await
            .context("kafka: listing topics")?;
        let t = topics
            .iter()
            .find(|t| t.name == topic)
            .ok_or_else(|| anyhow!("kafka: no topic {topic}"))?;
        let mut parts = Vec::new();
        for &p in &t.partitions {
            let pc = client
                .partition_client(topic.to_string(), p, UnknownTopicHandling::Error)
                .await
                .with_context(|| format!("kafka: partition {p} of {topic}"))?;
            let at = if from_beginning {
                OffsetAt::Earliest
            } else {
                OffsetAt::Latest
            };
            let start = pc
                .get_offset(at)
                .await
                .with_context(|| format!("kafka: offsets of {topic}/{p}"))?;
            parts.push((pc, start, false));
        }
        Ok(Consumer {
            topic: topic.to_string(),
            parts,
        })
    }

    /// The next records, partition by partition. Without `follow`, `None`
    /// once every partition is read up to its high watermark (taken from
    /// fetch answers: some brokers' ListOffsets answers lag behind).
    pub async fn next(&mut self, follow: bool) -> Result<Option<Vec<RawRecord>>> {
        loop {
            let mut busy = false;
            for (pc, next, done) in self.parts.iter_mut() {
                if !follow && *done {
                    continue;
                }
                busy = true;
                // Following, a fetch waits for new records; catching up, it
                // only waits briefly on a partition that has none.
                let wait = if follow { 500 } else { 100 };
                let (records, high) = pc
                    .fetch_records(*next, 1..8_000_000, wait)
                    .await
                    .with_context(|| {
                        format!("kafka: fetching {}/{}", self.topic, pc.partition())
                    })?;
                if records.is_empty() {
                    *done = *next >= high;
                    continue;
                }
                let mut out = Vec::with_capacity(records.len());
                for r in records {
                    *next = r.offset + 1;
                    out.push(RawRecord {
                        partition: pc.partition(),
                        offset: r.offset,
                        value: r.record.value.unwrap_or_default(),
                    });
                }
                return Ok(Some(out));
            }
            if !busy {
                return Ok(None);
            }
        }
    }
}
