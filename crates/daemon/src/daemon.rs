//! Wires the tasks together: the RIB task, the supervisor with its peer
//! tasks, and the BGP listeners. Returns the control [`Handle`] the API,
//! SIGHUP and tests drive the daemon with.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use rbgp_config::Config;
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::control::LocalRoute;
use crate::handle::Handle;
use crate::listener;
use crate::metrics::{Histogram, LATENCY_BOUNDS};
use crate::rib_task::{self, RibTask};
use crate::sockets::Listeners;
use crate::supervisor::{self, Supervisor};
use crate::tasks::{COMMAND_Q, CONN_Q, EVENTS, GONE_Q, RIB_Q};

/// Start everything. The returned task ends when the daemon has shut down
/// (after `Handle::shutdown`). The `disabled` neighbors start
/// administratively down (as the API left them).
pub async fn start(
    config: Config,
    disabled: HashSet<IpAddr>,
) -> anyhow::Result<(Handle, JoinHandle<()>)> {
    let (rib_tx, rib_rx) = mpsc::channel(RIB_Q);
    let drained = Arc::new(Notify::new());
    let local = rbgp_rib::rules::Local {
        asn: config.global.asn,
        router_id: config.global.router_id,
        cluster_id: config.global.router_id,
    };
    let latency = Arc::new(Histogram::new(LATENCY_BOUNDS));
    let routes = config.routes.iter().map(LocalRoute::from_config).collect();
    let policies = Arc::new(rbgp_policy::Policies::compile(&config.policy)?);
    let rib = spawn_rib(rib_task::run(
        RibTask::new(local, Arc::clone(&latency), policies),
        routes,
        rib_rx,
        Arc::clone(&drained),
    ))?;
    let (rpki_status, rpki_status_rx) = watch::channel(crate::rpki::RpkiStatus::default());
    let (rpki_reload, rpki_reload_rx) = mpsc::channel(1);
    let rpki = tokio::spawn(crate::rpki::run(
        config.rpki.clone(),
        crate::rpki::Rtr {
            rib: rib_tx.clone(),
            status: rpki_status,
        },
        rpki_reload_rx,
    ));
    let (bmp_status, bmp_status_rx) = watch::channel(crate::bmp::BmpStatus::default());
    let (bmp_ctl, bmp_ctl_rx) = mpsc::channel(4);
    let bmp = spawn_exporter(crate::bmp::run(
        config.bmp.clone(),
        rib_tx.clone(),
        bmp_ctl_rx,
        bmp_status,
    ))?;
    let (mrt_status, mrt_status_rx) = watch::channel(crate::mrt::MrtStatus::default());
    let (mrt_ctl, mrt_ctl_rx) = mpsc::channel(4);
    let mrt = tokio::spawn(crate::mrt::run(
        config.mrt.clone(),
        crate::mrt::Ends {
            rib: rib_tx.clone(),
            status: mrt_status,
        },
        mrt_ctl_rx,
    ));
    let (events, _) = broadcast::channel(EVENTS);
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_Q);
    let (conn_tx, conn_rx) = mpsc::channel(CONN_Q);
    let (gone_tx, gone_rx) = mpsc::channel(GONE_Q);

    let sockets = Listeners::bind(&config)?;
    let listeners: Vec<_> = sockets
        .sockets()
        .map(|l| tokio::spawn(listener::run(l, conn_tx.clone())))
        .collect();
    let (asn, router_id) = (config.global.asn, config.global.router_id);
    let mut sup = Supervisor::new(
        config,
        rib_tx.clone(),
        events.clone(),
        drained,
        gone_tx,
        disabled,
    );
    sup.listeners = sockets;
    sup.start_configured()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(asn, %router_id, "rbgpd started");
    let handle = Handle {
        cmd: cmd_tx,
        rib: rib_tx,
        events,
        update_latency: latency,
        rpki: rpki_reload,
        rpki_status: rpki_status_rx,
        bmp: bmp_ctl,
        bmp_status: bmp_status_rx,
        mrt: mrt_ctl,
        mrt_status: mrt_status_rx,
    };
    let done = tokio::spawn(async move {
        supervisor::run(sup, cmd_rx, conn_rx, gone_rx).await;
        for l in listeners {
            l.abort();
        }
        rpki.abort();
        let _ = bmp.send(());
        mrt.abort();
        let _ = rib.send(());
    });
    Ok((handle, done))
}

/// The RIB task on a thread of its own, on a runtime of its own (one
/// thread). Every route waits for it, so it must not wait for a core: as a
/// task among the peer tasks it shared a worker with the tasks it had just
/// woken (tokio runs a woken task next on the waker's worker), and the
/// pipeline feeder -> RIB -> receivers ran on one core much of the time.
/// On its own thread the OS gives it a core and the peer tasks the other.
/// Ends when the returned sender is used or dropped, or when every sender
/// of its inbox is gone.
fn spawn_rib(
    task: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<oneshot::Sender<()>> {
    spawn_thread("rib", None, task)
}

/// How much less the kernel prefers the BMP exporter's thread (nice).
const EXPORTER_NICE: i32 = 5;

/// The BMP stations' tasks on a thread of their own that the kernel
/// prefers less (`EXPORTER_NICE`): encoding every view for a station is
/// about as much work as BGP itself, and as tasks among the peer tasks it
/// took cores from the RIB thread and from the peer task feeding it (case
/// m). Now BGP goes first and the stations catch up when the cores idle;
/// each station's buffer (`buffer`) bounds what waits.
fn spawn_exporter(
    task: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<oneshot::Sender<()>> {
    spawn_thread("bmp", Some(EXPORTER_NICE), task)
}

/// `task` on a thread named `name` with a one-thread runtime, at a lower
/// priority (`nice`) if given; ends when the returned sender is used or
/// dropped, or when `task` does.
fn spawn_thread(
    name: &str,
    nice: Option<i32>,
    task: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<oneshot::Sender<()>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = oneshot::channel();
    let thread = name.to_string();
    std::thread::Builder::new()
        .name(thread.clone())
        .spawn(move || {
            if let Some(n) = nice {
                if let Err(e) = rbgp_sockopt::lower_thread_priority(n) {
                    tracing::warn!(thread, error = %e, "cannot lower the thread's priority");
                }
            }
            rt.block_on(async {
                tokio::select! {
                    () = task => {}
                    _ = stopped => {}
                }
            });
        })?;
    Ok(stop)
}
