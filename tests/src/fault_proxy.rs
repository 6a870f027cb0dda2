//! A TCP proxy on loopback that a test can break and heal: the way to make one
//! AWS service unreachable for a deployed function while the rest still works.
//!
//! Point a function's `AWS_ENDPOINT_URL_<SERVICE>` at [`FaultProxy::url`]
//! (see [`crate::FunctionEnvironment`]). While healthy, the proxy copies bytes
//! both ways to the emulator; while broken, it cuts every open connection and
//! drops each new one as soon as it is accepted, which the SDK sees as a
//! connection that broke: a transient failure, as a network partition is.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A breakable proxy to one upstream address.
#[derive(Debug)]
pub struct FaultProxy {
    local: SocketAddr,
    broken: watch::Sender<bool>,
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
        let upstream = upstream.to_owned();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() {
                    drop(client);
                    continue;
                }
                tokio::spawn(relay(client, upstream.clone(), watching.clone()));
            }
        });
        Self {
            local,
            broken,
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
