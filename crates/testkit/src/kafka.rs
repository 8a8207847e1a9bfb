//! A real Kafka-protocol broker (tansu, in-memory storage) in a lab
//! namespace, and an independent client (kafka-python) reading topics.

use std::process::Child;

use crate::lab::Lab;
use crate::process::need;

/// One record as kafka-python read it.
#[derive(Debug, Clone)]
pub struct KafkaRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Reads every record of a topic from the beginning, as JSON lines with
/// hex key and value.
const READER: &str = r#"
import json, sys
from kafka import KafkaConsumer, TopicPartition
broker, topic = sys.argv[1], sys.argv[2]
# Until nothing came for 3 s: tansu 0.6 answers ListOffsets with the last
# batch's first offset, so end offsets cannot tell when to stop.
c = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False,
                  auto_offset_reset="earliest", consumer_timeout_ms=3000)
parts = c.partitions_for_topic(topic) or set()
tps = [TopicPartition(topic, p) for p in sorted(parts)]
c.assign(tps)
c.seek_to_beginning(*tps)
for m in c:
    print(json.dumps({"partition": m.partition, "offset": m.offset,
                      "key": (m.key or b"").hex(), "value": (m.value or b"").hex()}))
"#;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

impl Lab {
    /// tansu's broker in namespace `ns`, on 127.0.0.1:`port` there, its
    /// data in memory; logs to tansu.log.
    pub fn tansu_in(&mut self, ns: &str, port: u16) -> &mut Child {
        need("tansu");
        let url = format!("tcp://127.0.0.1:{port}");
        self.spawn(
            ns,
            &[
                "tansu",
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ],
            "tansu.log",
        )
    }

    /// Every record of `topic` on the broker at 127.0.0.1:`port` of
    /// namespace `ns`, read with kafka-python; empty when it cannot.
    pub fn kafka_read(&self, ns: &str, port: u16, topic: &str) -> Vec<KafkaRecord> {
        need("kafka-python");
        let script = self.write("kafka_read.py", READER);
        let out = self.run_in(ns, &format!("python3 {script} 127.0.0.1:{port} {topic}"));
        out.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| KafkaRecord {
                partition: v["partition"].as_i64().unwrap() as i32,
                offset: v["offset"].as_i64().unwrap(),
                key: unhex(v["key"].as_str().unwrap()),
                value: unhex(v["value"].as_str().unwrap()),
            })
            .collect()
    }
}
