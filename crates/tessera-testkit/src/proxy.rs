//! A TCP proxy that can take its upstream "down" and bring it back, to test outages of a shared
//! database without stopping it. Down, it is what a stopped server looks like from outside:
//! open connections are cut and new ones are refused (the listening socket is closed). Up, it
//! listens on the same port again and relays every connection to the upstream.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub struct TcpProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
    /// `None` while down (not listening), else how many connections are being relayed.
    relaying: watch::Sender<Option<usize>>,
}

impl TcpProxy {
    /// A proxy to `upstream`, up.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = bind_outside_ephemeral_range().await;
        let addr = listener.local_addr().unwrap();
        let (up, up_rx) = watch::channel(true);
        let (relaying, _) = watch::channel(Some(0));
        tokio::spawn(run(listener, addr, upstream, up_rx, relaying.clone()));
        TcpProxy { addr, up, relaying }
    }

    /// Cuts every relayed connection and refuses new ones; returns once that is done.
    pub async fn go_down(&self) {
        let mut relaying = self.relaying.subscribe();
        self.up.send_replace(false);
        let _ = relaying.wait_for(Option::is_none).await;
    }

    /// Listens and relays again; returns once it listens.
    pub async fn come_up(&self) {
        let mut relaying = self.relaying.subscribe();
        self.up.send_replace(true);
        let _ = relaying.wait_for(Option::is_some).await;
    }

    /// Connections being relayed now (0 while down).
    pub fn open_connections(&self) -> usize {
        self.relaying.borrow().unwrap_or(0)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.up.send_replace(false);
    }
}

/// The port is reused when the proxy comes back up. One from the ephemeral range could be taken
/// meanwhile as the local port of some outgoing connection, so it is picked below that range.
async fn bind_outside_ephemeral_range() -> TcpListener {
    for _ in 0..100 {
        let port = 20_000 + rand::random::<u16>() % 12_000;
        if let Ok(listener) = listen(SocketAddr::from(([127, 0, 0, 1], port))) {
            return listener;
        }
    }
    panic!("no free port for the TCP proxy in 20000..32000");
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn run(
    first: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    mut up: watch::Receiver<bool>,
    relaying: watch::Sender<Option<usize>>,
) {
    let mut listener = Some(first);
    loop {
        let current = match listener.take() {
            Some(listener) => listener,
            None => {
                if up.wait_for(|up| *up).await.is_err() {
                    return;
                }
                relisten(addr).await
            }
        };
        relaying.send_replace(Some(0));
        let mut relayed = JoinSet::new();
        let proxy_dropped = loop {
            tokio::select! {
                accepted = current.accept() => {
                    if let Ok((client, _)) = accepted {
                        relayed.spawn(relay(client, upstream));
                    }
                }
                Some(_) = relayed.join_next() => {}
                down = up.wait_for(|up| !*up) => break down.is_err(),
            }
            relaying.send_replace(Some(relayed.len()));
        };
        relayed.abort_all();
        while relayed.join_next().await.is_some() {}
        drop(current); // the port refuses connections until the proxy is up again
        relaying.send_replace(None);
        if proxy_dropped {
            return;
        }
    }
}

async fn relisten(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = listen(addr) {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the TCP proxy could not listen on {addr} again");
}

async fn relay(mut client: TcpStream, upstream: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
