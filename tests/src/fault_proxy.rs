//! A TCP proxy on loopback that a test can break and heal: the way to make one
//! AWS service unreachable for a deployed function while the rest still works.
//!
//! Point a function's `AWS_ENDPOINT_URL_<SERVICE>` at [`FaultProxy::url`]
//! (see [`crate::FunctionEnvironment`]). While healthy, the proxy copies bytes
//! both ways to the emulator; while broken, it cuts every open connection and
//! drops each new one as soon as it is accepted, which the SDK sees as a
//! connection that broke: a transient failure, as a network partition is.
//! It can also lose one answer: the next connection's request reaches the
//! emulator, which acts on it, but its answer never comes back, as when a
//! call times out on the client after the service applied it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, copy, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A breakable proxy to one upstream address.
#[derive(Debug)]
pub struct FaultProxy {
    local: SocketAddr,
    broken: watch::Sender<bool>,
    lose_next: Arc<AtomicBool>,
    accepting: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`
    /// (`host:port`), healthy.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let local = listener.local_addr().expect("the listener's address");
        let (broken, watching) = watch::channel(false);
        let lose_next = Arc::new(AtomicBool::new(false));
        let losing = Arc::clone(&lose_next);
        let upstream = upstream.to_owned();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() {
                    drop(client);
                    continue;
                }
                if losing.swap(false, Ordering::SeqCst) {
                    tokio::spawn(lose_answer(client, upstream.clone()));
                } else {
                    tokio::spawn(relay(client, upstream.clone(), watching.clone()));
                }
            }
        });
        Self {
            local,
            broken,
            lose_next,
            accepting,
        }
    }

    /// The endpoint URL to give a function.
    pub fn url(&self) -> String {
        format!("http://{}", self.local)
    }

    /// Cuts every connection and refuses new ones until [`Self::heal`].
    pub fn break_down(&self) {
        self.broken.send_replace(true);
    }

    /// Forwards again.
    pub fn heal(&self) {
        self.broken.send_replace(false);
    }

    /// The next connection's requests reach the upstream, but its answer
    /// is dropped and the connection closed once the answer has come: the
    /// client sees a broken call that the service did carry out.
    pub fn lose_next_answer(&self) {
        self.lose_next.store(true, Ordering::SeqCst);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.broken.send_replace(true);
    }
}

/// Copies one connection both ways until either side closes or the proxy
/// breaks down.
async fn relay(mut client: TcpStream, upstream: String, mut broken: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    tokio::select! {
        _ = copy_bidirectional(&mut client, &mut server) => {}
        _ = broken.wait_for(|broken| *broken) => {}
    }
}

/// Forwards what the client sends, waits for the upstream's answer, drops
/// it, and closes the client's connection.
async fn lose_answer(client: TcpStream, upstream: String) {
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut from_client, _to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let forwarding = tokio::spawn(async move { copy(&mut from_client, &mut to_server).await });
    let mut answer = [0u8; 1024];
    let _answered = from_server.read(&mut answer).await;
    // Let the rest of the answer arrive upstream-side, then hang up on the
    // client without a byte of it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    forwarding.abort();
}
