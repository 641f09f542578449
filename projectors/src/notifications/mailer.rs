//! Turning an outbox row into an e-mail and handing it to the SMTP server (lettre).
//!
//! The `Message-ID` is the notification id, so a receiver (or the local sink's reader) can
//! recognise the one duplicate this design cannot rule out: the server accepted the mail and
//! the projector died before marking it sent (see `docs/NOTIFICATIONS.md`).

use std::time::Duration;

use lettre::{
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};

use super::store::Outgoing;
use crate::error::ProjectorError;

/// How long one SMTP conversation may take before it counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a notification was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The mail cannot be built (an address lettre refuses): retrying cannot help.
    #[error("cannot build the message: {0}")]
    Invalid(String),
    /// The server refused it for good (5xx).
    #[error("refused by the SMTP server: {0}")]
    Refused(String),
    /// The server was away, busy or said 4xx: may pass later.
    #[error("SMTP server unavailable: {0}")]
    Transient(String),
}

impl SendError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

/// The parts of `smtp://[user:password@]host[:port]` (port 25 when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// Host name or IP address (IPv6 in brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Login, when the URL has one (taken literally: no percent-decoding).
    pub credentials: Option<(String, String)>,
}

impl SmtpServer {
    /// Parses an `smtp://` URL; the reason on failure.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("{url:?} is not an smtp:// URL (TLS is not built in)"))?;
        let rest = rest.trim_end_matches('/');
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((login, host_port)) => {
                let (user, password) = login
                    .split_once(':')
                    .ok_or("the login must be user:password")?;
                (Some((user.to_string(), password.to_string())), host_port)
            }
            None => (None, rest),
        };
        // The port follows the last colon, unless that colon is inside an IPv6 literal.
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("bad port {port:?}"))?,
            ),
            _ => (host_port, 25),
        };
        if host.is_empty() || host.contains('/') {
            return Err(format!("bad host {host:?}"));
        }
        Ok(Self {
            host: host.to_string(),
            port,
            credentials,
        })
    }
}

/// An SMTP transport and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for the server at `smtp_url` (`smtp://host:port`, optionally with
    /// `user:password@`) sending as `from` (`Name <address>` or a bare address).
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, ProjectorError> {
        let from: Mailbox = from
            .parse()
            .map_err(|error| ProjectorError::Invalid(format!("AGORA_MAIL_FROM: {error}")))?;
        let server = SmtpServer::parse(smtp_url)
            .map_err(|reason| ProjectorError::Invalid(format!("AGORA_SMTP_URL: {reason}")))?;
        // Plain SMTP: lettre is built without TLS (loopback sink, or a relay on a private
        // network). `builder_dangerous` is lettre's name for exactly that.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host)
            .port(server.port)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = server.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// The e-mail for `mail`: plain text, `Message-ID: <notification id@sender's domain>`.
    pub fn message(&self, mail: &Outgoing) -> Result<Message, SendError> {
        let address: Address = mail
            .recipient
            .parse()
            .map_err(|error| SendError::Invalid(format!("recipient address: {error}")))?;
        let to = Mailbox::new(mail.display_name.clone(), address);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!(
                "<{}@{}>",
                mail.notification_id,
                self.from.email.domain()
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|error| SendError::Invalid(error.to_string()))
    }

    /// Sends `mail`; `Ok` once the server has accepted it.
    pub async fn send(&self, mail: &Outgoing) -> Result<(), SendError> {
        let message = self.message(mail)?;
        match self.transport.send(message).await {
            Ok(_response) => Ok(()),
            Err(error) if error.is_permanent() => Err(SendError::Refused(error.to_string())),
            // 4xx, timeouts, refused connections: the server may be back later.
            Err(error) => Err(SendError::Transient(error.to_string())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn outgoing(recipient: &str) -> Outgoing {
        Outgoing {
            notification_id: Uuid::from_u128(7),
            kind: "welcome".into(),
            recipient: recipient.into(),
            display_name: Some("Ada Lovelace".into()),
            customer_id: None,
            subject: "Welcome to Agora".into(),
            body: "Hello Ada,\n".into(),
            attempts: 0,
        }
    }

    fn formatted(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn the_message_id_is_the_notification_id_at_the_senders_domain() {
        let mailer = Mailer::new("smtp://127.0.0.1:2525", "Agora <no-reply@agora.local>").unwrap();
        let text = formatted(&mailer.message(&outgoing("ada@example.com")).unwrap());
        assert!(text.contains("Message-ID: <00000000-0000-0000-0000-000000000007@agora.local>"));
        assert!(text.contains("To: \"Ada Lovelace\" <ada@example.com>"));
        assert!(text.contains("Subject: Welcome to Agora"));
    }

    #[test]
    fn an_unusable_recipient_is_a_permanent_failure() {
        let mailer = Mailer::new("smtp://127.0.0.1:2525", "no-reply@agora.local").unwrap();
        let error = mailer.message(&outgoing("not an address")).unwrap_err();
        assert!(!error.is_transient());
    }

    #[test]
    fn smtp_urls_give_host_port_and_login() {
        assert_eq!(
            SmtpServer::parse("smtp://127.0.0.1:2525").unwrap(),
            SmtpServer {
                host: "127.0.0.1".into(),
                port: 2525,
                credentials: None
            }
        );
        assert_eq!(
            SmtpServer::parse("smtp://agora:s3cret@mail.internal/").unwrap(),
            SmtpServer {
                host: "mail.internal".into(),
                port: 25,
                credentials: Some(("agora".into(), "s3cret".into()))
            }
        );
        assert_eq!(SmtpServer::parse("smtp://[::1]:2525").unwrap().port, 2525);
        assert!(SmtpServer::parse("smtps://mail.internal").is_err());
        assert!(SmtpServer::parse("smtp://mail.internal:99999").is_err());
        assert!(SmtpServer::parse("smtp://").is_err());
    }

    #[test]
    fn bad_settings_are_refused_at_start() {
        assert!(Mailer::new("http://127.0.0.1:2525", "no-reply@agora.local").is_err());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
    }
}
