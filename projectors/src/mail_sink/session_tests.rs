//! The sink's SMTP dialogue, line by line.

use super::*;

/// Feeds `lines` and returns the reply codes and the messages completed.
fn converse(session: &mut Session, lines: &[&str]) -> (Vec<String>, Vec<Received>) {
    let mut codes = Vec::new();
    let mut messages = Vec::new();
    for line in lines {
        let output = session.line(line.as_bytes());
        if let Some(reply) = output.reply {
            // The last line of a multi-line reply carries the final code.
            let last = reply
                .trim_end()
                .lines()
                .last()
                .unwrap_or_default()
                .to_string();
            codes.push(last[..3].to_string());
        }
        messages.extend(output.message);
    }
    (codes, messages)
}

#[test]
fn a_message_is_accepted_with_its_envelope_and_dot_unstuffed_body() {
    let mut session = Session::new("sink.test");
    assert!(session.greeting().starts_with("220 sink.test"));
    let (codes, messages) = converse(
        &mut session,
        &[
            "EHLO client.test",
            "MAIL FROM:<no-reply@agora.local> BODY=8BITMIME",
            "RCPT TO:<ada@example.com>",
            "RCPT TO: <staff@agora.local>",
            "DATA",
            "Subject: hi",
            "",
            "..leading dot",
            ".",
            "QUIT",
        ],
    );
    assert_eq!(codes, ["250", "250", "250", "250", "354", "250", "221"]);
    assert_eq!(
        messages,
        [Received {
            from: "no-reply@agora.local".into(),
            to: vec!["ada@example.com".into(), "staff@agora.local".into()],
            data: b"Subject: hi\r\n\r\n.leading dot\r\n".to_vec(),
        }]
    );
}

#[test]
fn ehlo_advertises_the_extensions_the_sink_speaks() {
    let mut session = Session::new("sink.test");
    let reply = session.line(b"EHLO c").reply.unwrap_or_default();
    assert!(reply.starts_with("250-sink.test\r\n"));
    assert!(reply.contains("250-8BITMIME\r\n"));
    assert!(reply.ends_with(&format!("250 SIZE {MAX_MESSAGE_BYTES}\r\n")));
}

#[test]
fn commands_out_of_order_are_refused() {
    let mut session = Session::new("sink.test");
    let (codes, _) = converse(
        &mut session,
        &[
            "MAIL FROM:<a@b.c>",
            "HELO c",
            "RCPT TO:<a@b.c>",
            "DATA",
            "MAIL FROM:<a@b.c>",
            "MAIL FROM:<a@b.c>",
            "DATA",
        ],
    );
    assert_eq!(codes, ["503", "250", "503", "503", "250", "503", "554"]);
}

#[test]
fn rset_forgets_the_transaction_and_noop_changes_nothing() {
    let mut session = Session::new("sink.test");
    let (codes, messages) = converse(
        &mut session,
        &[
            "helo c",
            "mail from:<a@b.c>",
            "rcpt to:<d@e.f>",
            "noop",
            "RSET",
            "RCPT TO:<d@e.f>",
            "MAIL FROM:<>",
            "RCPT TO:<d@e.f>",
            "DATA",
            "body",
            ".",
        ],
    );
    assert_eq!(
        codes,
        [
            "250", "250", "250", "250", "250", "503", "250", "250", "354", "250"
        ]
    );
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].from, "");
}

#[test]
fn bad_syntax_and_unknown_commands_get_5xx() {
    let mut session = Session::new("sink.test");
    let (codes, _) = converse(
        &mut session,
        &[
            "EHLO",
            "EHLO c",
            "MAIL TO:<a@b.c>",
            "MAIL FROM:<a@b.c",
            "MAIL FROM:<a@b.c>",
            "RCPT TO:<>",
            "AUTH PLAIN x",
            "FROB",
            "",
        ],
    );
    assert_eq!(
        codes,
        [
            "501", "250", "501", "501", "250", "501", "502", "500", "500"
        ]
    );
}

#[test]
fn a_lone_dot_inside_the_body_must_be_stuffed_to_survive() {
    let mut session = Session::new("sink.test");
    let (_, messages) = converse(
        &mut session,
        &[
            "HELO c",
            "MAIL FROM:<a@b.c>",
            "RCPT TO:<d@e.f>",
            "DATA",
            "..",
            "...",
            ".",
        ],
    );
    assert_eq!(messages[0].data, b".\r\n..\r\n".to_vec());
}

#[test]
fn shutdown_waits_only_for_a_message_in_progress() {
    let mut session = Session::new("sink.test");
    converse(
        &mut session,
        &["HELO c", "MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>"],
    );
    assert!(!session.in_data());
    converse(&mut session, &["DATA"]);
    assert!(session.in_data());
    converse(&mut session, &["."]);
    assert!(!session.in_data());
}
