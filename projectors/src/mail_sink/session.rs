//! One SMTP conversation as a pure state machine: lines in, replies and finished messages out.
//!
//! Enough of RFC 5321 for a sink: `HELO`/`EHLO`, `MAIL FROM`, `RCPT TO`, `DATA` (with
//! dot-unstuffing), `RSET`, `NOOP`, `VRFY` and `QUIT`. No `AUTH` or `STARTTLS` (it listens on
//! loopback for development and tests) and no relaying: every message is accepted and kept.
//! Keeping it free of IO makes the protocol testable line by line.

/// Largest message accepted (advertised as `SIZE`).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Most recipients per message.
const MAX_RECIPIENTS: usize = 100;

/// A message the client finished sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Envelope sender (`MAIL FROM`), empty for the null sender `<>`.
    pub from: String,
    /// Envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed, CRLF line ends.
    pub data: Vec<u8>,
}

/// What the server does after a line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// Reply to write (complete lines with CRLF), if any.
    pub reply: Option<String>,
    /// A message that is now complete and must be stored before `reply` is written.
    pub message: Option<Received>,
    /// Close the connection after writing the reply.
    pub close: bool,
}

impl Output {
    fn reply(text: impl Into<String>) -> Self {
        Self {
            reply: Some(text.into()),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `HELO`/`EHLO`.
    Connected,
    /// Greeted; no transaction, or a transaction collecting its envelope.
    Ready,
    /// Reading the message after `DATA`.
    Data,
}

/// The server side of one connection.
#[derive(Debug)]
pub struct Session {
    hostname: String,
    state: State,
    from: Option<String>,
    to: Vec<String>,
    data: Vec<u8>,
    too_big: bool,
}

impl Session {
    /// A fresh session of a server calling itself `hostname`.
    pub fn new(hostname: &str) -> Self {
        Self {
            hostname: hostname.to_string(),
            state: State::Connected,
            from: None,
            to: Vec::new(),
            data: Vec::new(),
            too_big: false,
        }
    }

    /// The banner to send when the client connects.
    pub fn greeting(&self) -> String {
        format!("220 {} ESMTP agora-mail-sink ready\r\n", self.hostname)
    }

    /// Whether the client is in the middle of sending a message (shutdown lets it finish).
    pub fn in_data(&self) -> bool {
        self.state == State::Data
    }

    /// Handles one line, without its line end.
    pub fn line(&mut self, line: &[u8]) -> Output {
        if self.state == State::Data {
            return self.data_line(line);
        }
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        let (verb, rest) = match text.split_once(' ') {
            Some((verb, rest)) => (verb, rest.trim()),
            None => (text, ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "HELO" | "EHLO" if rest.is_empty() => Output::reply("501 5.5.4 a domain is needed\r\n"),
            "HELO" => {
                self.greet();
                Output::reply(format!("250 {}\r\n", self.hostname))
            }
            "EHLO" => {
                self.greet();
                Output::reply(format!(
                    "250-{}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n250 SIZE {MAX_MESSAGE_BYTES}\r\n",
                    self.hostname
                ))
            }
            "MAIL" => self.mail(rest),
            "RCPT" => self.rcpt(rest),
            "DATA" => self.start_data(),
            "RSET" => {
                self.reset();
                Output::reply("250 2.0.0 reset\r\n")
            }
            "NOOP" => Output::reply("250 2.0.0 ok\r\n"),
            "VRFY" => Output::reply("252 2.1.5 cannot verify, will accept\r\n"),
            "QUIT" => Output {
                reply: Some(format!("221 2.0.0 {} closing\r\n", self.hostname)),
                close: true,
                ..Output::default()
            },
            "STARTTLS" | "AUTH" => Output::reply("502 5.5.1 not implemented by this sink\r\n"),
            _ => Output::reply("500 5.5.2 command not recognized\r\n"),
        }
    }

    fn greet(&mut self) {
        self.reset();
        self.state = State::Ready;
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
        self.data.clear();
        self.too_big = false;
        if self.state == State::Data {
            self.state = State::Ready;
        }
    }

    fn mail(&mut self, rest: &str) -> Output {
        if self.state == State::Connected {
            return Output::reply("503 5.5.1 say HELO or EHLO first\r\n");
        }
        if self.from.is_some() {
            return Output::reply("503 5.5.1 nested MAIL command\r\n");
        }
        match path_argument(rest, "FROM:") {
            Some(from) => {
                self.from = Some(from);
                Output::reply("250 2.1.0 sender ok\r\n")
            }
            None => Output::reply("501 5.5.4 syntax: MAIL FROM:<address>\r\n"),
        }
    }

    fn rcpt(&mut self, rest: &str) -> Output {
        if self.from.is_none() {
            return Output::reply("503 5.5.1 need MAIL before RCPT\r\n");
        }
        if self.to.len() >= MAX_RECIPIENTS {
            return Output::reply("452 4.5.3 too many recipients\r\n");
        }
        match path_argument(rest, "TO:") {
            Some(to) if !to.is_empty() => {
                self.to.push(to);
                Output::reply("250 2.1.5 recipient ok\r\n")
            }
            _ => Output::reply("501 5.5.4 syntax: RCPT TO:<address>\r\n"),
        }
    }

    fn start_data(&mut self) -> Output {
        if self.from.is_none() {
            return Output::reply("503 5.5.1 need MAIL before DATA\r\n");
        }
        if self.to.is_empty() {
            return Output::reply("554 5.5.1 no valid recipients\r\n");
        }
        self.state = State::Data;
        Output::reply("354 end data with <CR><LF>.<CR><LF>\r\n")
    }

    fn data_line(&mut self, line: &[u8]) -> Output {
        if line == b"." {
            let received = Received {
                from: self.from.take().unwrap_or_default(),
                to: std::mem::take(&mut self.to),
                data: std::mem::take(&mut self.data),
            };
            let too_big = self.too_big;
            self.reset();
            self.state = State::Ready;
            if too_big {
                return Output::reply(format!(
                    "552 5.3.4 message exceeds {MAX_MESSAGE_BYTES} bytes\r\n"
                ));
            }
            return Output {
                reply: Some("250 2.0.0 message accepted\r\n".into()),
                message: Some(received),
                close: false,
            };
        }
        // Dot-unstuffing: the client doubled every leading dot (RFC 5321 4.5.2).
        let line = line.strip_prefix(b".").unwrap_or(line);
        if self.data.len() + line.len() + 2 > MAX_MESSAGE_BYTES {
            // Keep reading to the end of the message, then refuse it as a whole.
            self.too_big = true;
            self.data.clear();
        } else if !self.too_big {
            self.data.extend_from_slice(line);
            self.data.extend_from_slice(b"\r\n");
        }
        Output::default()
    }
}

/// The address in `FROM:<a@b> PARAMS` / `TO:<a@b>` (`keyword` case-insensitive; a space after
/// the colon and a missing pair of angle brackets are tolerated). `None` on bad syntax.
fn path_argument(rest: &str, keyword: &str) -> Option<String> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let path = rest[keyword.len()..].trim_start();
    let address = match path.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => path.split_whitespace().next()?,
    };
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(address.to_string())
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
