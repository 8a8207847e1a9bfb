//! EventService: session state changes and NOTIFICATIONs.

use rbgp_api::convert;
use rbgp_api::v1::event_service_server::EventService;
use rbgp_api::v1::*;
use tokio::sync::broadcast;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::status::{notification, state, unix_ms};
use super::{RpcStream, Service};
use crate::control::Direction;

#[tonic::async_trait]
impl EventService for Service {
    type WatchEventsStream = RpcStream<WatchEventsResponse>;

    async fn watch_events(
        &self,
        req: Request<WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let only = req.get_ref().neighbor.trim().to_string();
        let only = if only.is_empty() {
            None
        } else {
            Some(convert::parse_ip(&only, "neighbor")?)
        };
        let mut rx = self.inner.handle.watch_sessions();
        let (tx, out) = super::slow::channel();
        tokio::spawn(async move {
            loop {
                let (neighbor, time_ms, event) = match rx.recv().await {
                    Ok(e) if only.is_some_and(|a| a != e.peer) => continue,
                    Ok(e) => {
                        let reason = e
                            .notification
                            .as_ref()
                            .map(|n| n.notification.to_string())
                            .unwrap_or_default();
                        let at = unix_ms(e.at);
                        if let Some(n) = &e.notification {
                            let ev =
                                watch_events_response::Event::Notification(NotificationEvent {
                                    sent: n.direction == Direction::Sent,
                                    notification: Some(notification(n)),
                                });
                            let m = WatchEventsResponse {
                                neighbor: e.peer.to_string(),
                                time_ms: at,
                                event: Some(ev),
                            };
                            if !super::slow::send(&tx, m).await {
                                return;
                            }
                        }
                        let ev = watch_events_response::Event::State(SessionStateChange {
                            old_state: state(e.from) as i32,
                            new_state: state(e.to) as i32,
                            reason,
                        });
                        (e.peer.to_string(), at, ev)
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => (
                        String::new(),
                        unix_ms(std::time::SystemTime::now()),
                        watch_events_response::Event::Lagged(n),
                    ),
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let m = WatchEventsResponse {
                    neighbor,
                    time_ms,
                    event: Some(event),
                };
                if !super::slow::send(&tx, m).await {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(out))))
    }
}
