//! The accept loop of `kpot server`: what keeps slow, idle and numerous
//! clients from exhausting it.
//!
//! - every socket gets `TCP_NODELAY`: a response's head and body are two
//!   writes, and Nagle's algorithm would hold the second until the client's
//!   delayed ACK (40 ms per response on a kept-alive connection);
//! - a request head must be complete within the header timeout, counted
//!   from the moment the server waits for it: after connecting, and after
//!   each response on a kept-alive connection (so it is also the longest a
//!   connection may sit idle; hyper's own timer, tested in tests/server.rs);
//! - at most `max_connections` at once; when full, the oldest connection
//!   with no request in flight (idle, or still sending its head) is closed
//!   to make room, as nginx reuses its idle connections, so a flood of
//!   slow or idle clients cannot lock out a health check. Only when every
//!   connection is busy is the newcomer closed;
//! - on shutdown, connections without a request in flight close at once,
//!   requests in flight finish, and the process stops after the shutdown
//!   timeout whatever is left.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

/// The limits a server runs with (see `kpot server --help`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

/// One open connection, as the accept loop and the shutdown see it.
struct Connection {
    /// Requests in flight, until their response body is written or dropped.
    busy: AtomicUsize,
    /// Told to close if still idle (room for a newcomer, or shutdown).
    close_if_idle: Notify,
}

impl Connection {
    fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }
}

/// Open connections by accept order: the first idle one is the oldest.
#[derive(Default)]
struct Registry {
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    emptied: Notify,
}

impl Registry {
    /// Registers a new connection unless all `cap` slots are busy; when
    /// full, the oldest idle connection is told to close and its slot is
    /// taken at once.
    fn admit(&self, id: u64, cap: usize) -> Option<Arc<Connection>> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= cap {
            let oldest_idle = open.iter().find(|(_, c)| c.idle()).map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&oldest_idle) {
                evicted.close_if_idle.notify_one();
            }
        }
        let connection = Arc::new(Connection {
            busy: AtomicUsize::new(0),
            close_if_idle: Notify::new(),
        });
        open.insert(id, connection.clone());
        Some(connection)
    }

    fn leave(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(&id);
        if open.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    fn len(&self) -> usize {
        self.open.lock().map(|o| o.len()).unwrap_or(0)
    }

    /// Tells every idle connection to close (the others close after their
    /// response, through hyper's graceful shutdown).
    fn close_idle(&self) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for connection in open.values() {
            connection.close_if_idle.notify_one();
        }
    }

    async fn wait_empty(&self) {
        loop {
            let emptied = self.emptied.notified();
            if self.len() == 0 {
                return;
            }
            emptied.await;
        }
    }
}

/// Marks a connection busy while a request and its response body live.
struct Busy(Arc<Connection>);

impl Busy {
    fn new(connection: &Arc<Connection>) -> Busy {
        connection.busy.fetch_add(1, Ordering::AcqRel);
        Busy(connection.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains as
/// described in the module documentation.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let registry = Arc::new(Registry::default());
    let (stop_sender, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next_id: u64 = 0;
    let mut refused: u64 = 0;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: wait for some to
                // be released rather than spin.
                eprintln!("kpot server: cannot accept a connection: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        next_id += 1;
        let Some(connection) = registry.admit(next_id, limits.max_connections) else {
            refused += 1;
            if refused.is_power_of_two() {
                eprintln!(
                    "kpot server: {refused} connections refused so far: all {} are busy (--max-connections)",
                    limits.max_connections
                );
            }
            continue;
        };
        prepare(&stream);
        let id = next_id;
        let registry = registry.clone();
        let app = app.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            run_connection(stream, app, connection, limits, stop).await;
            registry.leave(id);
        });
    }
    drop(listener);
    let _ = stop_sender.send(true);
    registry.close_idle();
    if tokio::time::timeout(limits.shutdown_timeout, registry.wait_empty())
        .await
        .is_err()
    {
        eprintln!(
            "kpot server: {} connections still open after {} s; stopping anyway",
            registry.len(),
            limits.shutdown_timeout.as_secs_f64()
        );
    }
}

/// Sends each write at once: a response is a head and a body, and with
/// Nagle's algorithm the body would wait for the client's delayed ACK.
fn prepare(stream: &tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
}

/// One connection: HTTP/1.1 with keep-alive and the header timeout, until
/// the client leaves, it is told to close while idle, or the server stops.
async fn run_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    connection: Arc<Connection>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let tracked = connection.clone();
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let busy = Busy::new(&tracked);
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::new)).await?;
            // The connection stays busy until the body is written.
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &busy;
                    frame
                }))
            }))
        }
    });
    let serving = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut serving = std::pin::pin!(serving);
    let mut draining = *stop.borrow();
    if draining {
        return;
    }
    loop {
        tokio::select! {
            _ = serving.as_mut() => return,
            () = connection.close_if_idle.notified() => {
                if connection.idle() {
                    return;
                }
                // A request came in meanwhile: let it finish, then close.
                serving.as_mut().graceful_shutdown();
            }
            changed = stop.changed(), if !draining => {
                draining = true;
                if changed.is_err() || connection.idle() {
                    return;
                }
                serving.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Raises the soft limit on open files to the hard limit, and returns how
/// many connections fit under it with room for the index and the site's
/// files (128 descriptors).
pub fn fit_connections(wanted: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    let current = getrlimit(Resource::Nofile).current;
    match current {
        Some(files) => wanted.min((files as usize).saturating_sub(128).max(16)),
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_sockets_send_without_delay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let _client = tokio::net::TcpStream::connect(address).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        prepare(&stream);
        assert!(stream.nodelay().unwrap());
    }

    #[test]
    fn a_full_registry_makes_room_by_closing_the_oldest_idle_connection() {
        let registry = Registry::default();
        let first = registry.admit(1, 2).unwrap();
        let second = registry.admit(2, 2).unwrap();
        let _busy = Busy::new(&first);
        // The oldest is busy: the second goes.
        let _third = registry.admit(3, 2).unwrap();
        assert_eq!(registry.len(), 2);
        assert!(!registry.open.lock().unwrap().contains_key(&2));
        drop(second);
        // Both left are busy now: a newcomer is refused.
        let _busy3 = Busy::new(&_third);
        assert!(registry.admit(4, 2).is_none());
    }
}
