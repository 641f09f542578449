//! `agora-mail-sink`: a small SMTP server for development and tests that accepts every message
//! and stores it as a file, so a test (or a person running the demo) can read what Agora sent.
//!
//! It is not a mail server: no relaying, no TLS, no authentication, loopback only. It exists so
//! the notifications reactor speaks real SMTP end to end on a machine without a mail system.
//!
//! Settings: `AGORA_MAIL_SINK_ADDR` (default `127.0.0.1:2525`; port 0 picks a free one) and
//! `AGORA_MAIL_SINK_DIR` (default `.stack/data/mail`). Once bound it writes the address it
//! listens on to `<dir>/sink.addr`. SIGINT/SIGTERM stop it: it stops accepting, lets a message
//! in progress finish (up to [`DRAIN`]) and exits.
//!
//! # Layout
//! - [`session`]: the SMTP dialogue (pure).
//! - [`mailbox`]: the message files.

use std::{
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use runtime::{
    config::{ConfigError, env_parse, env_string},
    shutdown::Shutdown,
};
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinSet,
};

use self::{
    mailbox::{ADDR_FILE, Mailbox},
    session::Session,
};

pub mod mailbox;
pub mod session;

/// How long shutdown waits for connections in the middle of a message.
pub const DRAIN: Duration = Duration::from_secs(5);
/// A client silent this long is disconnected (RFC 5321 suggests minutes).
const IDLE: Duration = Duration::from_secs(300);
/// Longest line accepted, command or data (generous: RFC 5321 allows 1000 bytes).
const MAX_LINE: usize = 64 * 1024;
/// The name the sink greets with.
const HOSTNAME: &str = "agora-mail-sink.local";

/// Where the sink listens and stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Listen address (`AGORA_MAIL_SINK_ADDR`, default `127.0.0.1:2525`).
    pub addr: SocketAddr,
    /// Message directory (`AGORA_MAIL_SINK_DIR`, default `.stack/data/mail`).
    pub dir: PathBuf,
}

impl SinkConfig {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            addr: env_parse(
                "AGORA_MAIL_SINK_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 2525)),
            )?,
            dir: PathBuf::from(env_string("AGORA_MAIL_SINK_DIR", ".stack/data/mail")),
        })
    }
}

/// A bound sink, ready to run.
pub struct MailSink {
    listener: TcpListener,
    mailbox: Arc<Mailbox>,
    addr: SocketAddr,
}

impl MailSink {
    /// Opens the message directory, binds, and records the bound address in the directory.
    pub async fn bind(config: &SinkConfig) -> io::Result<Self> {
        let mailbox = Mailbox::open(&config.dir).await?;
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        tokio::fs::write(config.dir.join(ADDR_FILE), format!("{addr}\n")).await?;
        Ok(Self {
            listener,
            mailbox: Arc::new(mailbox),
            addr,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The message directory.
    pub fn dir(&self) -> &Path {
        self.mailbox.dir()
    }

    /// Serves until `shutdown`, then drains (see [`DRAIN`]).
    pub async fn run_until_stopped(self, shutdown: Shutdown) {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        connections.spawn(serve(stream, self.mailbox.clone(), shutdown.clone()));
                    }
                    Err(error) => {
                        // Out of file descriptors, say: pause rather than spin.
                        tracing::warn!(error = %error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(finished) = connections.join_next(), if !connections.is_empty() => {
                    log_connection_end(finished);
                }
            }
        }
        drop(self.listener);
        let drained = tokio::time::timeout(DRAIN, async {
            while let Some(finished) = connections.join_next().await {
                log_connection_end(finished);
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                open = connections.len(),
                "connections still open after the drain; closing them"
            );
        }
    }
}

fn log_connection_end(finished: Result<io::Result<()>, tokio::task::JoinError>) {
    match finished {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(error = %error, "connection ended with an error"),
        Err(error) => tracing::warn!(error = %error, "connection task failed"),
    }
}

/// What reading one line found.
enum Line {
    Complete,
    TooLong,
    Closed,
}

async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<Line> {
    let limit = (MAX_LINE - line.len()) as u64;
    (&mut *reader).take(limit).read_until(b'\n', line).await?;
    Ok(match line.last() {
        Some(b'\n') => Line::Complete,
        _ if line.len() >= MAX_LINE => Line::TooLong,
        // End of stream, possibly mid-line: the client is gone.
        _ => Line::Closed,
    })
}

/// One SMTP connection.
async fn serve(stream: TcpStream, mailbox: Arc<Mailbox>, shutdown: Shutdown) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut session = Session::new(HOSTNAME);
    write.write_all(session.greeting().as_bytes()).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = if session.in_data() {
            // A message in progress is allowed to finish during shutdown.
            tokio::time::timeout(IDLE, read_line(&mut reader, &mut line)).await
        } else {
            tokio::select! {
                _ = shutdown.wait() => {
                    write.write_all(b"421 4.3.2 shutting down\r\n").await?;
                    return Ok(());
                }
                read = tokio::time::timeout(IDLE, read_line(&mut reader, &mut line)) => read,
            }
        };
        match read {
            Err(_idle) => {
                write.write_all(b"421 4.4.2 idle too long\r\n").await?;
                return Ok(());
            }
            Ok(read) => match read? {
                Line::Complete => {}
                Line::TooLong => {
                    write.write_all(b"500 5.5.6 line too long\r\n").await?;
                    return Ok(());
                }
                Line::Closed => return Ok(()),
            },
        }
        let text = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(&line);
        let output = session.line(text);
        let mut reply = output.reply;
        if let Some(message) = &output.message {
            match mailbox.store(message).await {
                Ok(path) => tracing::info!(file = %path.display(), "message stored"),
                Err(error) => {
                    tracing::error!(error = %error, "could not store a message");
                    reply = Some("451 4.3.0 could not store the message\r\n".into());
                }
            }
        }
        if let Some(reply) = reply {
            write.write_all(reply.as_bytes()).await?;
        }
        if output.close {
            return Ok(());
        }
    }
}
