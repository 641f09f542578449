//! The notifications reactor end to end: events become e-mails in a real SMTP sink
//! (`agora-mail-sink`), and a replay of the whole log from offset 0 sends none of them again.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Duration,
};

use chrono::{Duration as Span, Utc};
use domain::{
    customer::{self, Customer},
    inventory::{self, InventoryCommand, InventoryItem},
    order::{self, CancelReason, Order, OrderCommand},
    payment::{self, Payment, PaymentCommand},
    values::Sku,
};
use runtime::testing::{ChildProcess, TestNamespace, eventually};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    catalog_and_inventory::eur,
    checkout::{commit, initiate, place, register},
    support::{Log, Model, Pending, pg},
};

const STAFF: &str = "ops@agora.test";
const TIMEOUT: Duration = Duration::from_secs(90);

/// One stored message: envelope recipient, subject, Message-ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Mail {
    to: String,
    subject: String,
    message_id: String,
}

/// Starts a private sink storing into `dir`; returns it with its `host:port`.
async fn start_sink(ns: &TestNamespace, dir: &Path) -> (ChildProcess, String) {
    let sink = ns
        .spawn(
            "agora-mail-sink",
            &[],
            &[
                ("AGORA_MAIL_SINK_DIR", dir.to_str().unwrap()),
                ("AGORA_MAIL_SINK_ADDR", "127.0.0.1:0"),
            ],
        )
        .expect("agora-mail-sink starts (build it with `cargo build -p projectors --bins`)");
    let addr_file = dir.join("sink.addr");
    let addr = eventually(TIMEOUT, "the mail sink to listen", || {
        let addr_file = addr_file.clone();
        async move { Ok(std::fs::read_to_string(addr_file).ok()) }
    })
    .await
    .unwrap();
    (sink, addr.trim().to_string())
}

fn start_projector(ns: &TestNamespace, smtp: &str) -> ChildProcess {
    let url = format!("smtp://{smtp}");
    ns.spawn(
        "agora-projector",
        &["run"],
        &[
            ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
            ("AGORA_SMTP_URL", &url),
            ("AGORA_STAFF_EMAIL", STAFF),
        ],
    )
    .expect("agora-projector starts")
}

/// Every `<n>.eml` in `dir`, parsed.
fn read_mails(dir: &Path) -> Vec<Mail> {
    let mut mails: Vec<Mail> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| parse_mail(&std::fs::read_to_string(&path).unwrap()))
        .collect();
    mails.sort();
    mails
}

/// The headers we check, unfolded (a header may continue on lines starting with whitespace).
fn parse_mail(text: &str) -> Mail {
    let head = text.split("\r\n\r\n").next().unwrap();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        unfolded
            .split("\r\n")
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} header in:\n{text}"))
    };
    Mail {
        to: header("X-Envelope-To").trim_matches(['<', '>']).to_string(),
        subject: header("Subject"),
        message_id: header("Message-ID"),
    }
}

/// Waits until the sink holds `count` messages and the outbox shows them all sent.
async fn wait_sent(dir: &Path, pool: &PgPool, count: usize) -> Vec<Mail> {
    eventually(TIMEOUT, &format!("{count} messages sent"), || async move {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status = 'sent'")
                .fetch_one(pool)
                .await
                .unwrap_or(0);
        let mails = read_mails(dir);
        Ok((mails.len() >= count && sent as usize >= count).then_some(mails))
    })
    .await
    .unwrap()
}

/// Waits until the reactor's checkpoint covers everything `log` wrote.
async fn wait_reactor_caught_up(log: &Log, pool: &PgPool) {
    let ends = log.ends();
    eventually(TIMEOUT, "the reactor to reach the end of the log", || {
        let ends = ends.clone();
        async move {
            let offsets: Vec<i64> = sqlx::query_scalar(
                "SELECT next_offset FROM projection_checkpoints
                 WHERE projection = 'notifications' ORDER BY partition",
            )
            .fetch_all(pool)
            .await
            .unwrap_or_default();
            Ok((offsets == ends).then_some(()))
        }
    })
    .await
    .unwrap();
}

/// A shop's worth of events: a registration, an order confirmed, paid, shipped and refunded,
/// an order confirmed then cancelled, and a SKU falling to its low-stock threshold.
/// Returns the records and the (recipient, subject) of every mail they call for.
fn shop(log: &mut Log) -> (Vec<Pending>, Vec<(String, String)>) {
    let mut customers = Model::<Customer>::default();
    let mut orders = Model::<Order>::default();
    let mut payments = Model::<Payment>::default();
    let mut stock = Model::<InventoryItem>::default();
    let mut records = Vec::new();
    let ada = Uuid::now_v7();
    let email = "ada@example.com".to_string();
    records.push(commit(
        log,
        &mut customers,
        &customer::stream_id(ada),
        register(ada, &email),
    ));

    let (shipped, paid_with) = (Uuid::now_v7(), Uuid::now_v7());
    let (order_stream, payment_stream) = (order::stream_id(shipped), payment::stream_id(paid_with));
    for command in [
        place(shipped, ada, &[2]),
        OrderCommand::RecordLineReserved { line: 1 },
    ] {
        records.push(commit(log, &mut orders, &order_stream, command));
    }
    for command in [
        initiate(paid_with, shipped, 2_000),
        PaymentCommand::AuthorizePayment {
            amount: eur(2_000),
            provider_reference: "sim_1".into(),
        },
        PaymentCommand::CapturePayment { amount: eur(2_000) },
    ] {
        records.push(commit(log, &mut payments, &payment_stream, command));
    }
    for command in [
        OrderCommand::MarkOrderPaid {
            payment_id: paid_with,
            amount: eur(2_000),
        },
        OrderCommand::ShipOrder {
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
        },
    ] {
        records.push(commit(log, &mut orders, &order_stream, command));
    }
    records.push(commit(
        log,
        &mut payments,
        &payment_stream,
        PaymentCommand::RefundPayment {
            refund_id: Uuid::now_v7(),
            amount: eur(500),
        },
    ));

    let cancelled = Uuid::now_v7();
    let cancelled_stream = order::stream_id(cancelled);
    for command in [
        place(cancelled, ada, &[1]),
        OrderCommand::RecordLineReserved { line: 1 },
        OrderCommand::CancelOrder {
            reason: CancelReason::Customer,
        },
    ] {
        records.push(commit(log, &mut orders, &cancelled_stream, command));
    }

    let sku = Sku::parse("NOTIFY-TEE").unwrap();
    let sku_stream = inventory::stream_id(&sku);
    for command in [
        InventoryCommand::RegisterSku {
            sku: sku.clone(),
            product_id: Uuid::now_v7(),
            low_stock_threshold: 5,
        },
        InventoryCommand::ReceiveStock { quantity: 10 },
        InventoryCommand::ReserveStock {
            order_id: Uuid::now_v7(),
            line: 1,
            quantity: 6,
            expires_at: Utc::now() + Span::minutes(15),
        },
    ] {
        records.push(commit(log, &mut stock, &sku_stream, command));
    }
    let low_stock = records
        .iter()
        .flat_map(|r| &r.events)
        .filter(|(_, kind)| kind == "LowStockReached")
        .count();
    assert_eq!(
        low_stock, 1,
        "the reservation takes the SKU to its threshold"
    );

    let expected = vec![
        (email.clone(), "Welcome to Agora".to_string()),
        (email.clone(), format!("Your order {shipped} is confirmed")),
        (email.clone(), format!("Your order {shipped} has shipped")),
        (email.clone(), format!("Refund for your order {shipped}")),
        (
            email.clone(),
            format!("Your order {cancelled} is confirmed"),
        ),
        (email, format!("Your order {cancelled} was cancelled")),
        (STAFF.to_string(), "Low stock: NOTIFY-TEE".to_string()),
    ];
    (records, expected)
}

fn mail_dir(ns: &TestNamespace) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agora-mail-{}", ns.name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn every_notification_is_mailed_once_and_a_replay_from_offset_zero_sends_none_again() {
    let ns = TestNamespace::create("projector-notifications")
        .await
        .unwrap();
    let dir = mail_dir(&ns);
    let (_sink, smtp) = start_sink(&ns, &dir).await;
    let mut log = Log::open(&ns).await;
    let (records, expected) = shop(&mut log);
    log.send(records).await;

    let mut projector = start_projector(&ns, &smtp);
    let pool = pg(&ns).await;
    let mails = wait_sent(&dir, &pool, expected.len()).await;
    let mut got: Vec<(String, String)> = mails
        .iter()
        .map(|m| (m.to.clone(), m.subject.clone()))
        .collect();
    let mut want = expected.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // Each message carries its notification id, each id was sent once, with one attempt.
    let rows: Vec<(Uuid, String, i32)> = sqlx::query_as(
        "SELECT notification_id, status, attempts FROM notifications ORDER BY notification_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), expected.len());
    assert!(
        rows.iter()
            .all(|(_, status, attempts)| status == "sent" && *attempts == 1)
    );
    let ids_in_mails: BTreeSet<String> = mails
        .iter()
        .map(|m| {
            m.message_id
                .trim_matches(['<', '>'])
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let ids_in_table: BTreeSet<String> = rows.iter().map(|(id, ..)| id.to_string()).collect();
    assert_eq!(ids_in_mails, ids_in_table);

    // Crash, then replay the whole log from offset 0 (as after a restore's new log epoch).
    wait_reactor_caught_up(&log, &pool).await;
    projector.kill9().unwrap();
    sqlx::query("DELETE FROM projection_checkpoints WHERE projection = 'notifications'")
        .execute(&pool)
        .await
        .unwrap();
    let _projector = start_projector(&ns, &smtp);

    // A registration after the restart is the only new mail.
    let mut customers = Model::<Customer>::default();
    let bob = Uuid::now_v7();
    let record = commit(
        &mut log,
        &mut customers,
        &customer::stream_id(bob),
        register(bob, "bob@example.com"),
    );
    log.send(vec![record]).await;
    wait_reactor_caught_up(&log, &pool).await;
    let after = wait_sent(&dir, &pool, expected.len() + 1).await;

    // The replay is complete and the outbox holds nothing unsent, so nothing more can arrive.
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status <> 'sent'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(unsent, 0);
    assert_eq!(after.len(), expected.len() + 1, "no message was sent twice");
    let new: Vec<&Mail> = after.iter().filter(|m| !mails.contains(m)).collect();
    assert_eq!(new.len(), 1);
    assert_eq!(
        (new[0].to.as_str(), new[0].subject.as_str()),
        ("bob@example.com", "Welcome to Agora")
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total as usize, expected.len() + 1);

    // The history the query side reads: Ada's mails, newest first, with their kinds.
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT n.kind FROM notifications AS n
         JOIN notification_recipients AS r ON r.customer_id = n.customer_id
         WHERE r.email = 'ada@example.com' ORDER BY n.created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(kinds.len(), expected.len() - 1);
    assert_eq!(kinds[0], "welcome");
    let _ = std::fs::remove_dir_all(&dir);
}
