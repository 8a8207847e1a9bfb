//! A tower layer for a tonic server that tells an observer about every
//! call: its method when it starts and its final gRPC status when it ends.
//! The status is read where gRPC puts it: the response headers of a
//! trailers-only answer (every error a handler returns), else the trailers
//! at the end of the body (successes and errors in the middle of a stream).
//! A call whose body is dropped before its trailers (the client went away)
//! ends as `CANCELLED`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body::{Frame, SizeHint};
use tonic::body::Body;
use tonic::codegen::http;
use tonic::Code;

/// Told about each call (implemented by the server's metrics).
pub trait CallObserver: Send + Sync + 'static {
    /// `method` is the rbgp.v1 method the request path names
    /// (`rbgp.v1.NeighborService/GetNeighbor`), or `other`.
    fn started(&self, method: &str);
    fn finished(&self, method: &str, code: Code);
}

/// `Server::builder().layer(ObserveLayer::new(observer))`.
#[derive(Clone)]
pub struct ObserveLayer {
    observer: Arc<dyn CallObserver>,
}

impl ObserveLayer {
    pub fn new(observer: Arc<dyn CallObserver>) -> Self {
        ObserveLayer { observer }
    }
}

impl<S> tower_layer::Layer<S> for ObserveLayer {
    type Service = Observed<S>;
    fn layer(&self, inner: S) -> Observed<S> {
        Observed {
            inner,
            observer: Arc::clone(&self.observer),
        }
    }
}

#[derive(Clone)]
pub struct Observed<S> {
    inner: S,
    observer: Arc<dyn CallObserver>,
}

/// The method a request path names, or `other`: labels come from
/// untrusted paths (requests are counted before any token check), so only
/// the service's own methods get one of their own.
fn method_label(path: &str) -> &'static str {
    let name = path.trim_start_matches('/');
    crate::v1::METHODS
        .iter()
        .find(|m| **m == name)
        .copied()
        .unwrap_or("other")
}

fn code_of(headers: &http::HeaderMap) -> Option<Code> {
    let v = headers.get("grpc-status")?.to_str().ok()?;
    v.parse::<i32>().ok().map(Code::from_i32)
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower_service::Service<http::Request<B>> for Observed<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = method_label(req.uri().path()).to_string();
        self.observer.started(&method);
        let observer = Arc::clone(&self.observer);
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = match fut.await {
                Ok(r) => r,
                Err(e) => {
                    observer.finished(&method, Code::Internal);
                    return Err(e);
                }
            };
            if let Some(code) = code_of(resp.headers()) {
                observer.finished(&method, code);
                return Ok(resp);
            }
            let (parts, body) = resp.into_parts();
            let watched = Watched {
                inner: body,
                call: Some((method, observer)),
            };
            Ok(http::Response::from_parts(parts, Body::new(watched)))
        })
    }
}

/// A response body that reports the status in its trailers.
struct Watched {
    inner: Body,
    /// Until the status is reported.
    call: Option<(String, Arc<dyn CallObserver>)>,
}

impl Watched {
    fn report(&mut self, code: Code) {
        if let Some((method, observer)) = self.call.take() {
            observer.finished(&method, code);
        }
    }
}

impl http_body::Body for Watched {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(t) = f.trailers_ref() {
                    let code = code_of(t).unwrap_or(Code::Unknown);
                    self.report(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.report(Code::Internal),
            Poll::Ready(None) => self.report(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.report(Code::Cancelled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_methods_get_their_own_label() {
        assert_eq!(
            method_label("/rbgp.v1.NeighborService/GetNeighbor"),
            "rbgp.v1.NeighborService/GetNeighbor"
        );
        assert!(crate::v1::METHODS.len() > 10);
        for p in ["/x/random-1", "/rbgp.v1.NeighborService/Nope", "", "/"] {
            assert_eq!(method_label(p), "other", "{p}");
        }
    }
}
